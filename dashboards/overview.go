package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/gauge"
	"github.com/grafana/grafana-foundation-sdk/go/stat"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// overview is the KPI wall: one row per team; per KPI its current value
// coloured by its thresholds, its attainment against the target, and its
// pacing through the period. Every panel links to the KPI's detail.
func overview(cat *catalog.Catalog) *dashboard.DashboardBuilder {
	t := i18n.For(cat.Global.Language)
	b := dashboard.NewDashboardBuilder(t.OverviewTitle).
		Uid(catalog.OverviewDashboardUID).
		Description(t.OverviewDesc).
		Tags([]string{tag}).
		Editable().
		Time("now-24h", "now").
		Refresh("1m").
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder(t.TeamDashboards).Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{tag}).AsDropdown(true).KeepTime(true).IncludeVars(true)).
		WithVariable(datasourceVariable(t))
	overviewPanels(cat, b)
	return b
}

func overviewPanels(cat *catalog.Catalog, out *dashboard.DashboardBuilder) {
	var g grid
	var id uint32
	next := func() uint32 { id++; return id }
	text := i18n.For(cat.Global.Language)
	for _, t := range cat.Teams {
		kpis := cat.TeamKPIs(t.Name)
		if len(kpis) == 0 {
			continue
		}
		title := t.DisplayTitle()
		if t.Description != "" {
			title += text.Colon + t.Description
		}
		out.WithRow(dashboard.NewRowBuilder(title).Id(next()).GridPos(g.row()))
		for _, k := range kpis {
			q := newKPIQueries(cat, k, nil)
			out.WithPanel(valueStat(k, q).Id(next()).GridPos(g.place(4, 5)))
			if k.Target != nil {
				out.WithPanel(attainmentGauge(k, q).Id(next()).GridPos(g.place(3, 5)))
			}
			if hasPacing(k) {
				out.WithPanel(pacingStat(k, q).Id(next()).GridPos(g.place(3, 5)))
			}
		}
	}
}

// valueStat shows the KPI's current value per series in its unit. With
// thresholds that are the same for every series it is coloured by them.
// Otherwise (a percentage of a per-series or expected-to-date target) there is
// no single level to colour by, and the attainment gauge or pacing figure
// beside it carries the colour.
func valueStat(k *catalog.KPI, q kpiQueries) *stat.PanelBuilder {
	colorMode := common.BigValueColorModeBackground
	l, static := valueLevels(k)
	s := steps(k.Direction, l)
	desc := describe(q)
	if !static {
		colorMode = common.BigValueColorModeNone
		s = steps(k.Direction, levels{})
		if k.Period != catalog.PeriodNone {
			desc += "\n\n" + q.t.SharedThresholdsPeriod
		} else {
			desc += "\n\n" + q.t.SharedThresholdsOwn
		}
	}
	return kpiStat(q, k.DisplayTitle(), desc, q.value(), k.GrafanaUnit(), s, colorMode)
}

// kpiStat is a stat panel of one KPI query, one value per series, linking to
// the KPI's detail.
func kpiStat(q kpiQueries, title, desc, expr, unit string, s []dashboard.Threshold, colorMode common.BigValueColorMode) *stat.PanelBuilder {
	k := q.k
	textMode := common.BigValueTextModeValue
	if len(k.Labels) > 0 {
		textMode = common.BigValueTextModeValueAndName
	}
	return stat.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(datasource()).
		WithTarget(instantQuery("A", expr, legend(k, ""))).
		Unit(unit).
		Thresholds(thresholdsConfig(s)).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ColorMode(colorMode).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(textMode).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(lastValue()).
		Links(detailLink(q))
}

// attainmentGauge shows the recorded attainment ratio (above 1 beats the
// target in either direction), coloured by the thresholds expressed as
// ratios of the target.
func attainmentGauge(k *catalog.KPI, q kpiQueries) *gauge.PanelBuilder {
	s := attainmentSteps(k)
	maxV := 1.2
	for _, st := range s {
		if st.Value != nil && *st.Value >= maxV {
			maxV = round(*st.Value * 1.25)
		}
	}
	return gauge.NewPanelBuilder().
		Title(q.named(q.t.VsTargetF)).
		Description(fmt.Sprintf(q.t.AttainmentGaugeDescF, targetText(q))).
		Datasource(datasource()).
		WithTarget(instantQuery("A", q.record(catalog.OpAttainment), legend(k, ""))).
		Unit(unitRatio).
		Min(0).
		Max(maxV).
		Thresholds(thresholdsConfig(s)).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ShowThresholdMarkers(true).
		ShowThresholdLabels(false).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(lastValue()).
		Links(detailLink(q))
}

// pacingStat shows the recorded pacing ratio: the value against the share of
// the target that should have been reached by now in the period.
func pacingStat(k *catalog.KPI, q kpiQueries) *stat.PanelBuilder {
	return kpiStat(q, q.named(q.t.PacingStatF),
		fmt.Sprintf(q.t.PacingStatDescF, q.t.Period(k.Period)),
		q.record(catalog.OpPacing), unitRatio, pacingSteps(k), common.BigValueColorModeValue)
}
