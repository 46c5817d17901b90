package dashboards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// Panel id offsets within the block of ten ids the catalog reserves for each
// KPI (KPI.PanelNumber). The value panel takes the block's first id, so that
// the links in alerts and on the overview (viewPanel=panel-N) land on it.
const (
	offValue = iota
	offAttainment
	offPacing
	offTable
	offHealth
	offErrors
	offBreakdown // up to three breakdowns; more take ids after every block
	offRow       = 9
	blockSize    = 10
)

// labelVar is a dashboard variable filtering one label dimension across every
// KPI of the team that has it.
type labelVar struct {
	label, name string
	metrics     []string
}

// labelVariables returns one variable per label column used by the team's
// KPIs, in label order, each filled from the KPIs' value series.
func labelVariables(kpis []*catalog.KPI) []labelVar {
	byLabel := map[string]*labelVar{}
	for _, k := range kpis {
		for _, l := range k.Labels {
			v := byLabel[l]
			if v == nil {
				v = &labelVar{label: l, name: varName(l)}
				byLabel[l] = v
			}
			v.metrics = append(v.metrics, k.MetricName())
		}
	}
	out := make([]labelVar, 0, len(byLabel))
	for _, v := range byLabel {
		sort.Strings(v.metrics)
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out
}

// varName is the Grafana variable of a label: the label itself, unless that
// clashes with the data-source variable or Grafana's own __ variables.
func varName(label string) string {
	if label == datasourceVar || strings.HasPrefix(label, "__") {
		return "label_" + strings.TrimLeft(label, "_")
	}
	return label
}

// query is the label_values query that fills the variable.
func (v labelVar) query() string {
	sel := v.metrics[0]
	if len(v.metrics) > 1 {
		sel = `{__name__=~"` + strings.Join(v.metrics, "|") + `"}`
	}
	return "label_values(" + sel + ", " + v.label + ")"
}

func (v labelVar) builder(t *i18n.Text) *dashboard.QueryVariableBuilder {
	q := v.query()
	all := dashboard.VariableOption{
		Selected: ptr(true),
		Text:     dashboard.StringOrArrayOfString{String: ptr(t.All)},
		Value:    dashboard.StringOrArrayOfString{String: ptr("$__all")},
	}
	return dashboard.NewQueryVariableBuilder(v.name).
		Label(v.label).
		Datasource(datasource()).
		Query(dashboard.StringOrMap{String: ptr(q)}).
		Definition(q).
		Multi(true).
		IncludeAll(true).
		AllValue(".*").
		Current(all).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// matchers filter a KPI's series by the variables of its label columns.
func matchers(k *catalog.KPI) []string {
	out := make([]string, len(k.Labels))
	for i, l := range k.Labels {
		out[i] = l + `=~"$` + varName(l) + `"`
	}
	return out
}

// teamDashboard is a team's drill-down: per KPI a row with the value over
// time against target and thresholds, attainment, pacing, current values by
// dimension, collection health and a breakdown by each label.
func teamDashboard(cat *catalog.Catalog, t *catalog.Team, kpis []*catalog.KPI) *dashboard.DashboardBuilder {
	text := i18n.For(cat.Global.Language)
	title := fmt.Sprintf(text.TeamTitleF, t.DisplayTitle())
	if t.Description != "" {
		title = fmt.Sprintf(text.TeamTitleDescF, t.DisplayTitle(), t.Description)
	}
	b := dashboard.NewDashboardBuilder(title).
		Uid(catalog.DashboardUID(t.Name)).
		Description(text.Finish(fmt.Sprintf(text.TeamDescF, text.Term(t.DisplayTitle())))).
		Tags([]string{tag, "team:" + t.Name}).
		Editable().
		Time("now-7d", "now").
		Refresh("1m").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder(text.OverviewTitle).Type(dashboard.DashboardLinkTypeLink).
			Url("/d/" + catalog.OverviewDashboardUID).KeepTime(true).IncludeVars(false)).
		WithVariable(datasourceVariable(text))
	for _, v := range labelVariables(kpis) {
		b.WithVariable(v.builder(text))
	}
	b.Annotation(dashboard.NewAnnotationQueryBuilder().
		Name(text.AlertsFired).
		Datasource(datasource()).
		Enable(true).
		IconColor(colorCritical).
		Expr(alertsFired(t.Name)).
		TitleFormat("{{alertname}} ({{severity}})").
		TextFormat("KPI {{kpi}}").
		TagKeys("kpi,severity").
		UseValueForTime(false))
	b.Annotation(dashboard.NewAnnotationQueryBuilder().
		Name(text.DefinitionChanged).
		Datasource(datasource()).
		Enable(true).
		IconColor("purple").
		Expr(definitionChanged(t.Name)).
		TitleFormat(text.DefinitionChangedTitle).
		TextFormat(text.DefinitionChangedText).
		TagKeys("kpi").
		UseValueForTime(false))
	b.Annotation(dashboard.NewAnnotationQueryBuilder().
		Name(text.DefinitionLogged).
		Datasource(datasource()).
		Enable(true).
		IconColor("purple").
		Expr(definitionChangedLogged(t.Name)).
		TitleFormat(text.DefinitionChangedTitle).
		TextFormat(fmt.Sprintf(text.DefinitionLoggedTextF, catalog.LabelChangeApprover, catalog.LabelChangeAuthor, catalog.LabelChangeDate, catalog.LabelChangeReason)).
		TagKeys("kpi").
		UseValueForTime(false))
	teamPanels(cat, kpis, b)
	return b
}

func teamPanels(cat *catalog.Catalog, kpis []*catalog.KPI, out *dashboard.DashboardBuilder) {
	// Ids beyond a KPI's block (breakdowns past the third) come after every block.
	var extra uint32
	for _, k := range kpis {
		extra = max(extra, uint32(k.PanelNumber())+blockSize)
	}
	nextExtra := func() uint32 { id := extra; extra++; return id }

	var g grid
	for _, k := range kpis {
		base := uint32(k.PanelNumber())
		q := newKPIQueries(cat, k, matchers(k))
		rowTitle := k.DisplayTitle()
		if k.Help != "" {
			rowTitle += q.t.Colon + k.Help
		}
		out.WithRow(dashboard.NewRowBuilder(rowTitle).Id(base + offRow).GridPos(g.row()))

		valueW := uint32(12)
		out.WithPanel(valueSeries(k, q).Id(base + offValue).GridPos(g.place(valueW, 8)))
		if k.Target != nil {
			w := uint32(12)
			if hasPacing(k) {
				w = 6
			}
			out.WithPanel(attainmentSeries(k, q).Id(base + offAttainment).GridPos(g.place(w, 8)))
			if hasPacing(k) {
				out.WithPanel(pacingSeries(k, q).Id(base + offPacing).GridPos(g.place(6, 8)))
			}
		}
		out.WithPanel(currentTable(k, q).Id(base + offTable).GridPos(g.place(12, 8)))
		out.WithPanel(healthStat(k, q).Id(base + offHealth).GridPos(g.place(4, 8)))
		out.WithPanel(errorSeries(k, q).Id(base + offErrors).GridPos(g.place(8, 8)))
		for i, l := range k.Labels {
			id := base + offBreakdown + uint32(i)
			if i >= offRow-offBreakdown {
				id = nextExtra()
			}
			out.WithPanel(breakdownSeries(k, q, l).Id(id).GridPos(g.place(8, 7)))
		}
	}
}
