package dashboards

import (
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
	p := series(k.Name, describe(k, q.calendar), k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.value(), legend(k, "")))
	if k.Target != nil {
		p.WithTarget(rangeQuery("B", q.target(), legend(k, "target"))).
			OverrideByQuery("B", dashed())
	}
	withControl(p, k, q)
	l, static := valueLevels(k)
	switch {
	case !static:
		p.WithTarget(rangeQuery("C", q.record(catalog.OpThresholdWarning), legend(k, "warning"))).
			OverrideByQuery("C", append(dashed(), fixedColor(colorWarning))).
			WithTarget(rangeQuery("D", q.record(catalog.OpThresholdCritical), legend(k, "critical"))).
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
	return series(k.Name+": attainment",
		"Value against target (target "+targetText(k)+"); above 100% beats the target whichever way is better.",
		unitRatio).
		WithTarget(rangeQuery("A", q.record(catalog.OpAttainment), legend(k, ""))).
		Thresholds(thresholdsConfig(attainmentSteps(k))).
		ThresholdsStyle(thresholdsStyle(common.GraphThresholdsStyleModeLineAndArea))
}

// pacingSeries compares the value with the share of the target expected by
// now in the period.
func pacingSeries(k *catalog.KPI, q kpiQueries) *timeseries.PanelBuilder {
	return series(k.Name+": pacing",
		"Value against the share of the "+string(k.Period)+"'s target expected by now (in the KPI's calendar, by wall or working time).",
		k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.value(), legend(k, ""))).
		WithTarget(rangeQuery("B", q.record(catalog.OpExpectedToDate), legend(k, "expected"))).
		OverrideByQuery("B", dashed())
}

// compareColumns names the table's change columns, in the KPI's comparison
// order: "vs previous period", "vs previous year".
func compareColumns(k *catalog.KPI) []string {
	out := make([]string, len(k.Compare))
	for i, e := range k.Compare {
		out[i] = "vs " + strings.ReplaceAll(string(e), "_", " ")
	}
	return out
}

func tableDescription(k *catalog.KPI) string {
	d := "Current value of every series, with its target, attainment and pacing."
	if len(k.Compare) > 0 {
		d += " The change columns compare the value with the same point of the earlier period: +10% is 10% more."
	}
	return d + controlDescription(k) + " Click a label value to filter the dashboard by it."
}

// currentTable lists the current value by label dimension with target,
// attainment and pacing. Clicking a label value filters the dashboard by it.
func currentTable(k *catalog.KPI, q kpiQueries) *table.PanelBuilder {
	p := table.NewPanelBuilder().
		Title(k.Name + ": now, by dimension").
		Description(tableDescription(k)).
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
	rename := map[string]string{
		"Value": "value", "Value #A": "value", "Value #B": "target", "Value #C": "attainment", "Value #D": "pacing",
	}
	// The change against each earlier period, beside the value.
	changes := compareColumns(k)
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
	p.OverrideByName("value", valueProps)
	for _, c := range changes {
		p.OverrideByName(c, []dashboard.DynamicConfigValue{{Id: "unit", Value: unitRatio}})
	}
	if k.Target != nil {
		p.OverrideByName("target", []dashboard.DynamicConfigValue{{Id: "unit", Value: k.GrafanaUnit()}})
		ratioProps := func(s []dashboard.Threshold) []dashboard.DynamicConfigValue {
			return []dashboard.DynamicConfigValue{
				{Id: "unit", Value: unitRatio},
				{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: s}},
				byThresholds, cell,
			}
		}
		p.OverrideByName("attainment", ratioProps(attainmentSteps(k)))
		if hasPacing(k) {
			p.OverrideByName("pacing", ratioProps(pacingSteps(k)))
		}
	}
	for _, l := range k.Labels {
		p.OverrideByName(l, []dashboard.DynamicConfigValue{{Id: "links", Value: []dataLink{{
			Title: "Filter the dashboard by " + l + " ${__value.raw}",
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
			"0": {Text: ptr("down"), Color: ptr(colorCritical), Index: ptr(int32(0))},
			"1": {Text: ptr("up"), Color: ptr(colorGood), Index: ptr(int32(1))},
		},
	}}}
	th := func(s ...dashboard.Threshold) dashboard.DynamicConfigValue {
		return dashboard.DynamicConfigValue{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: s}}
	}
	return stat.NewPanelBuilder().
		Title(k.Name+": collection").
		Description("Source up, age of the last successful run (runs every "+k.Interval.String()+
			"; values older than "+k.MaxAge.String()+" are withdrawn), and errors in the time range by reason.").
		Datasource(datasource()).
		WithTarget(instantQuery("A", q.sourceUp(), "source {{source}}")).
		WithTarget(instantQuery("B", q.dataAge(), "data age")).
		WithTarget(instantQuery("C", q.errorsInRange(), "{{reason}} errors")).
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
	return series(k.Name+": errors by reason",
		"Rate of failed runs and skipped rows of the KPI's SQL, by reason.",
		"cps").
		WithTarget(rangeQuery("A", q.errorRate(), "{{reason}}")).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(60)
}

// breakdownSeries aggregates the value by one label dimension.
func breakdownSeries(k *catalog.KPI, q kpiQueries, label string) *timeseries.PanelBuilder {
	how := "sum"
	if breakdownAgg(k) != "sum" {
		how = "mean"
	}
	return series(k.Name+" by "+label+" ("+how+")",
		"The KPI's value by "+label+": the "+how+" over the other label dimensions.",
		k.GrafanaUnit()).
		WithTarget(rangeQuery("A", q.breakdown(label), "{{"+label+"}}"))
}
