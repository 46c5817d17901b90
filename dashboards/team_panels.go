package dashboards

import (
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func series(title, desc, unit string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(datasource()).
		Unit(unit).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
		LineWidth(2).
		FillOpacity(0).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

func thresholdsStyle(m common.GraphThresholdsStyleMode) *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(m)
}

// valueSeries is the KPI's detail panel: the value over time, the target as a
// dashed line, and the warning and critical levels as coloured bands. When
// the levels differ per series (a percentage of a SQL target) they are drawn
// as the recorded threshold series instead, and the attainment panel beside
// it carries the bands.
func valueSeries(k *catalog.KPI, q kpiQueries) *timeseries.PanelBuilder {
	p := series(k.DisplayTitle(), describe(q), k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.value(), legend(k, "")))
	if k.Target != nil {
		p.WithTarget(rangeQuery("B", q.target(), legend(k, q.t.LegendTarget))).
			OverrideByQuery("B", dashed())
	}
	withControl(p, k, q)
	l, static := valueLevels(k)
	switch {
	case !static:
		p.WithTarget(rangeQuery("C", q.record(catalog.OpThresholdWarning), legend(k, q.t.LegendWarning))).
			OverrideByQuery("C", append(dashed(), fixedColor(colorWarning))).
			WithTarget(rangeQuery("D", q.record(catalog.OpThresholdCritical), legend(k, q.t.LegendCritical))).
			OverrideByQuery("D", append(dashed(), fixedColor(colorCritical))).
			Thresholds(thresholdsConfig(steps(k.Direction, levels{}))).
			ThresholdsStyle(thresholdsStyle(common.GraphThresholdsStyleModeOff))
	case l.empty():
		p.Thresholds(thresholdsConfig(steps(k.Direction, l))).
			ThresholdsStyle(thresholdsStyle(common.GraphThresholdsStyleModeOff))
	default:
		p.Thresholds(thresholdsConfig(steps(k.Direction, l))).
			ThresholdsStyle(thresholdsStyle(common.GraphThresholdsStyleModeLineAndArea))
	}
	return p
}

// attainmentSeries is the recorded attainment ratio over time with the
// thresholds, as ratios of the target, as bands: exact for every series even
// when each has its own target.
func attainmentSeries(k *catalog.KPI, q kpiQueries) *timeseries.PanelBuilder {
	return series(q.named(q.t.AttainmentF),
		fmt.Sprintf(q.t.AttainmentDescF, targetText(q)),
		unitRatio).
		WithTarget(rangeQuery("A", q.record(catalog.OpAttainment), legend(k, ""))).
		Thresholds(thresholdsConfig(attainmentSteps(k))).
		ThresholdsStyle(thresholdsStyle(common.GraphThresholdsStyleModeLineAndArea))
}

// pacingSeries compares the value with the share of the target expected by
// now in the period.
func pacingSeries(k *catalog.KPI, q kpiQueries) *timeseries.PanelBuilder {
	return series(q.named(q.t.PacingF),
		fmt.Sprintf(q.t.PacingDescF, q.t.Period(k.Period)),
		k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.value(), legend(k, ""))).
		WithTarget(rangeQuery("B", q.record(catalog.OpExpectedToDate), legend(k, q.t.LegendExpected))).
		OverrideByQuery("B", dashed())
}

// compareColumns names the table's change columns, in the KPI's comparison
// order: "vs previous period", "vs previous year".
func compareColumns(q kpiQueries) []string {
	out := make([]string, len(q.k.Compare))
	for i, e := range q.k.Compare {
		out[i] = q.t.Compare[string(e)]
		if out[i] == "" {
			out[i] = "vs " + strings.ReplaceAll(string(e), "_", " ")
		}
	}
	return out
}

func tableDescription(q kpiQueries) string {
	d := []string{q.t.TableDesc}
	if len(q.k.Compare) > 0 {
		d = append(d, q.t.TableCompareDesc)
	}
	return q.t.Sentences(append(d, controlDescription(q.t, q.k), q.t.TableFilterDesc)...)
}

// currentTable lists the current value by label dimension with target,
// attainment and pacing. Clicking a label value filters the dashboard by it.
func currentTable(k *catalog.KPI, q kpiQueries) *table.PanelBuilder {
	p := table.NewPanelBuilder().
		Title(q.named(q.t.NowF)).
		Description(tableDescription(q)).
		Datasource(datasource()).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{})).
		WithTarget(tableQuery("A", q.value()))
	if k.Target != nil {
		p.WithTarget(tableQuery("B", q.target())).
			WithTarget(tableQuery("C", q.record(catalog.OpAttainment)))
		if hasPacing(k) {
			p.WithTarget(tableQuery("D", q.record(catalog.OpPacing)))
		}
	}
	// Merged instant results are named after their query; name them plainly.
	t := q.t
	rename := map[string]string{
		"Value": t.ColValue, "Value #A": t.ColValue, "Value #B": t.ColTarget, "Value #C": t.ColAttainment, "Value #D": t.ColPacing,
	}
	// The change against each earlier period, beside the value.
	changes := compareColumns(q)
	for i, e := range k.Compare {
		ref := string(rune('E' + i))
		p.WithTarget(tableQuery(ref, q.record(catalog.ChangeOp(e))))
		rename["Value #"+ref] = changes[i]
	}
	controlColumns(p, k, q, rename)
	p.Transformations([]dashboard.DataTransformerConfig{
		{Id: "merge", Options: map[string]any{}},
		{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true},
			"renameByName":  rename,
		}},
	})
	cell := dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: common.TableColoredBackgroundCellOptions{Type: common.TableCellDisplayModeColorBackground}}
	byThresholds := dashboard.DynamicConfigValue{Id: "color", Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdThresholds}}
	valueProps := []dashboard.DynamicConfigValue{{Id: "unit", Value: k.GrafanaUnit()}}
	if l, static := valueLevels(k); static && !l.empty() {
		valueProps = append(valueProps,
			dashboard.DynamicConfigValue{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: steps(k.Direction, l)}},
			byThresholds, cell)
	}
	p.OverrideByName(t.ColValue, valueProps)
	for _, c := range changes {
		p.OverrideByName(c, []dashboard.DynamicConfigValue{{Id: "unit", Value: unitRatio}})
	}
	if k.Target != nil {
		p.OverrideByName(t.ColTarget, []dashboard.DynamicConfigValue{{Id: "unit", Value: k.GrafanaUnit()}})
		ratioProps := func(s []dashboard.Threshold) []dashboard.DynamicConfigValue {
			return []dashboard.DynamicConfigValue{
				{Id: "unit", Value: unitRatio},
				{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: s}},
				byThresholds, cell,
			}
		}
		p.OverrideByName(t.ColAttainment, ratioProps(attainmentSteps(k)))
		if hasPacing(k) {
			p.OverrideByName(t.ColPacing, ratioProps(pacingSteps(k)))
		}
	}
	for _, l := range k.Labels {
		p.OverrideByName(l, []dashboard.DynamicConfigValue{{Id: "links", Value: []dataLink{{
			Title: fmt.Sprintf(t.FilterByF, l) + " ${__value.raw}",
			URL:   "/d/" + catalog.DashboardUID(k.Team) + "?var-" + varName(l) + "=${__value.raw}&${__url_time_range}&${" + datasourceVar + ":queryparam}",
		}}}})
	}
	return p
}

// dataLink is a field data link as Grafana stores it.
type dataLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// healthStat shows whether the KPI's data is fresh: its sources up, the age
// of its last successful run, and its errors in the time range by reason.
func healthStat(k *catalog.KPI, q kpiQueries) *stat.PanelBuilder {
	interval := k.Interval.D()
	maxAge := k.MaxAge.D()
	up := []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: ptr(q.t.Down), Color: ptr(colorCritical), Index: ptr(int32(0))},
			"1": {Text: ptr(q.t.Up), Color: ptr(colorGood), Index: ptr(int32(1))},
		},
	}}}
	th := func(s ...dashboard.Threshold) dashboard.DynamicConfigValue {
		return dashboard.DynamicConfigValue{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: s}}
	}
	return stat.NewPanelBuilder().
		Title(q.named(q.t.CollectionF)).
		Description(fmt.Sprintf(q.t.HealthDescF, q.t.Span(interval), q.t.Span(maxAge))).
		Datasource(datasource()).
		WithTarget(instantQuery("A", q.sourceUp(), q.t.SourceLegend+" {{source}}")).
		WithTarget(instantQuery("B", q.dataAge(), q.t.DataAge)).
		WithTarget(instantQuery("C", q.errorsInRange(), "{{reason}} "+q.t.ErrorsLegend)).
		Thresholds(thresholdsConfig([]dashboard.Threshold{{Color: colorNeutral}})).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationHorizontal).
		ReduceOptions(lastValue()).
		OverrideByQuery("A", []dashboard.DynamicConfigValue{
			{Id: "mappings", Value: up},
			th(dashboard.Threshold{Color: colorCritical}, dashboard.Threshold{Value: ptr(1.0), Color: colorGood}),
		}).
		OverrideByQuery("B", []dashboard.DynamicConfigValue{
			{Id: "unit", Value: "s"},
			th(dashboard.Threshold{Color: colorGood},
				dashboard.Threshold{Value: ptr(seconds(2 * interval)), Color: colorWarning},
				dashboard.Threshold{Value: ptr(seconds(maxAge)), Color: colorCritical}),
		}).
		OverrideByQuery("C", []dashboard.DynamicConfigValue{
			{Id: "unit", Value: "short"},
			{Id: "decimals", Value: 0},
			th(dashboard.Threshold{Color: colorGood}, dashboard.Threshold{Value: ptr(1.0), Color: colorCritical}),
		})
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// errorSeries is the rate of the KPI's collection errors by reason.
func errorSeries(k *catalog.KPI, q kpiQueries) *timeseries.PanelBuilder {
	return series(q.named(q.t.ErrorsF),
		q.t.ErrorsDesc,
		"cps").
		WithTarget(rangeQuery("A", q.errorRate(), "{{reason}}")).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(60)
}

// breakdownSeries aggregates the value by one label dimension.
func breakdownSeries(k *catalog.KPI, q kpiQueries, label string) *timeseries.PanelBuilder {
	how := q.t.Sum
	if breakdownAgg(k) != "sum" {
		how = q.t.Mean
	}
	return series(q.t.Finish(fmt.Sprintf(q.t.BreakdownF, q.t.Term(k.DisplayTitle()), label, how)),
		fmt.Sprintf(q.t.BreakdownDescF, label, how),
		k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.breakdown(label), "{{"+label+"}}"))
}
