package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// datasourceVar is the dashboard variable that picks the Prometheus data
// source, so that the dashboards import into any Grafana.
const datasourceVar = "datasource"

// Tag carried by every generated dashboard, so that dashboard lists and links
// can find them.
const tag = "kpi_exporter"

// unitRatio is Grafana's unit for a 0..1 ratio shown as a percentage.
const unitRatio = "percentunit"

func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${" + datasourceVar + "}")}
}

func datasourceVariable(t *i18n.Text) *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(datasourceVar).Label(t.DataSource).Type("prometheus")
}

// rangeQuery is a time-series query; instantQuery evaluates once, at the end
// of the time range, for stats, gauges and tables. Queries name no data
// source: they use their panel's, the dashboard variable, as Grafana does for
// every query without one. That keeps 60 bytes per query out of dashboards of
// thousands of queries.
func rangeQuery(ref, expr, legendFormat string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).
		LegendFormat(legendFormat).Range()
}

func instantQuery(ref, expr, legendFormat string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).
		LegendFormat(legendFormat).Instant()
}

func tableQuery(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).
		Instant().Format(prometheus.PromQueryFormatTable)
}

// lastValue reduces a series to its last non-null value.
func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

// detailURL links to a KPI's value panel on its team dashboard. It is relative,
// so that it works in any Grafana (Grafana prefixes its sub-path), and keeps
// the time range and the data source.
func detailURL(k *catalog.KPI) string {
	return "/d/" + catalog.DashboardUID(k.Team) + "?viewPanel=" + k.PanelID() +
		"&${__url_time_range}&${" + datasourceVar + ":queryparam}"
}

func detailLink(q kpiQueries) []cog.Builder[dashboard.DashboardLink] {
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder(q.named(q.t.DetailsOfF)).Url(detailURL(q.k)),
	}
}

// describe is the panel description of a KPI: what it is, its target and
// thresholds as written in the catalog, who owns it.
func describe(q kpiQueries) string {
	k, t := q.k, q.t
	var b strings.Builder
	b.WriteString(strings.TrimSpace(k.Help))
	if d := strings.TrimSpace(k.Description); d != "" {
		b.WriteString("\n\n" + d)
	}
	b.WriteString("\n\n")
	facts := []string{
		fmt.Sprintf(t.TargetIsF, targetText(q)),
		fmt.Sprintf(t.WarningIsF, thresholdText(q, warning(k))),
		fmt.Sprintf(t.CriticalIsF, thresholdText(q, critical(k))),
	}
	switch k.Direction {
	case catalog.LowerIsBetter:
		facts = append(facts, t.LowerIsBetter)
	case catalog.HigherIsBetter:
		facts = append(facts, t.HigherIsBetter)
	}
	if k.Period != catalog.PeriodNone {
		facts = append(facts, fmt.Sprintf(t.PeriodIsF, t.Period(k.Period), q.calendar))
	}
	facts = append(facts, fmt.Sprintf(t.OwnerTeamF, k.Owner, q.team))
	if k.RunbookURL != "" {
		facts = append(facts, fmt.Sprintf(t.RunbookF, k.RunbookURL))
	}
	b.WriteString(t.Sentences(facts...))
	return b.String()
}

func targetText(q kpiQueries) string {
	k := q.k
	switch {
	case k.Target == nil:
		return q.t.None
	case k.Target.IsConstant():
		return q.t.Amount(k, k.Target.Value)
	default:
		return q.t.TargetFromSQL
	}
}

func thresholdText(q kpiQueries, t *catalog.Threshold) string {
	switch {
	case t == nil:
		return q.t.None
	case t.OfTarget:
		return fmt.Sprintf(q.t.OfTargetF, t.String())
	default:
		return q.t.Amount(q.k, t.Value)
	}
}

func warning(k *catalog.KPI) *catalog.Threshold {
	if k.Thresholds == nil {
		return nil
	}
	return k.Thresholds.Warning
}

func critical(k *catalog.KPI) *catalog.Threshold {
	if k.Thresholds == nil {
		return nil
	}
	return k.Thresholds.Critical
}

// hasPacing reports whether the rules record a pacing series for the KPI: it
// needs a period to pace through and a target to pace against.
func hasPacing(k *catalog.KPI) bool { return k.Period != catalog.PeriodNone && k.Target != nil }

// grid places panels left to right, top to bottom, on Grafana's 24-column
// grid, wrapping before a panel that would overflow.
type grid struct {
	x, y, rowH uint32
}

const gridWidth = 24

func (g *grid) place(w, h uint32) dashboard.GridPos {
	if g.x+w > gridWidth {
		g.newLine()
	}
	p := dashboard.GridPos{X: g.x, Y: g.y, W: w, H: h}
	g.x += w
	g.rowH = max(g.rowH, h)
	return p
}

func (g *grid) newLine() {
	g.y += g.rowH
	g.x, g.rowH = 0, 0
}

// row places a full-width row header on a line of its own.
func (g *grid) row() dashboard.GridPos {
	if g.x > 0 {
		g.newLine()
	}
	p := dashboard.GridPos{X: 0, Y: g.y, W: gridWidth, H: 1}
	g.y++
	return p
}

// dashed draws a series as a thin dashed line, for targets and thresholds.
func dashed() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "custom.lineStyle", Value: common.LineStyle{Fill: ptr(common.LineStyleFillDash), Dash: []float64{10, 10}}},
		{Id: "custom.lineWidth", Value: 1},
	}
}

func fixedColor(c string) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "color", Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdFixed, FixedColor: ptr(c)}}
}
