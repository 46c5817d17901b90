package dashboards

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// Grafana's built-in variables used in queries. Tests substitute them before
// handing an expression to the PromQL parser.
const (
	rateInterval = "$__rate_interval"
	stepInterval = "$__interval"
	rangeVar     = "$__range"
)

// selector renders a series selector: name, then the matchers in order.
// Matchers are already rendered, such as region=~"$region".
func selector(name string, matchers ...string) string {
	if len(matchers) == 0 {
		return name
	}
	return name + "{" + strings.Join(matchers, ",") + "}"
}

func eq(label, value string) string { return label + `="` + value + `"` }

// oneOf matches a label against a fixed set of values: = for one value, an
// anchored alternation for several. The values are catalog names (snake_case),
// which need no regex escaping.
func oneOf(label string, values []string) string {
	if len(values) == 1 {
		return eq(label, values[0])
	}
	return label + `=~"` + strings.Join(values, "|") + `"`
}

// kpiQueries renders every query of one KPI. matchers filter the KPI's own
// series by the dashboard's label variables; they are empty on the overview.
type kpiQueries struct {
	k        *catalog.KPI
	matchers []string
	// calendar says where the KPI's period is counted, for descriptions.
	calendar string
	// team is the display title of the KPI's team.
	team string
	// t is the catalog language's sentences.
	t *i18n.Text
}

// newKPIQueries are the queries of one KPI, filtered by matchers.
func newKPIQueries(c *catalog.Catalog, k *catalog.KPI, matchers []string) kpiQueries {
	t := i18n.For(c.Global.Language)
	cal := fmt.Sprintf(t.CalendarF, c.CalendarName(k), c.CalendarOf(k).Location().String())
	return kpiQueries{k: k, matchers: matchers, calendar: cal, team: c.TeamTitle(k.Team), t: t}
}

// named formats a title or sentence about the KPI (format's %[1]s), with
// the KPI's title set in the language's way.
func (q kpiQueries) named(format string) string {
	return q.t.Finish(fmt.Sprintf(format, q.t.Term(q.k.DisplayTitle())))
}

func (q kpiQueries) sel(name string) string { return selector(name, q.matchers...) }

func (q kpiQueries) value() string           { return q.sel(q.k.MetricName()) }
func (q kpiQueries) target() string          { return q.sel(q.k.TargetMetricName()) }
func (q kpiQueries) record(op string) string { return q.sel(q.k.KPIRecord(op)) }

// breakdown aggregates the value by one label dimension: a sum where the unit
// may be added up, a mean otherwise (ratios, scores and averages are never
// summed).
func (q kpiQueries) breakdown(label string) string {
	return breakdownAgg(q.k) + " by (" + label + ") (" + q.value() + ")"
}

func breakdownAgg(k *catalog.KPI) string {
	if k.Unit.Summable() {
		return "sum"
	}
	return "avg"
}

// sources are the sources a KPI reads: its own, its target's and its
// control's, in name order.
func sources(k *catalog.KPI) []string {
	out := []string{k.Source}
	if k.Target != nil && k.Target.Source != "" && k.Target.Source != k.Source {
		out = append(out, k.Target.Source)
	}
	if k.Control != nil && !slices.Contains(out, k.Control.Source) {
		out = append(out, k.Control.Source)
	}
	slices.Sort(out)
	return out
}

func (q kpiQueries) sourceUp() string {
	return selector(catalog.SelfSourceUp, oneOf(catalog.LabelSource, sources(q.k)))
}

func (q kpiQueries) dataAge() string {
	return "time() - " + selector(catalog.SelfLastSuccess, eq(catalog.LabelKPI, q.k.Name))
}

func (q kpiQueries) errorRate() string {
	return "sum by (" + catalog.LabelReason + ") (rate(" +
		selector(catalog.SelfErrors, eq(catalog.LabelKPI, q.k.Name)) + "[" + rateInterval + "]))"
}

func (q kpiQueries) errorsInRange() string {
	return "sum by (" + catalog.LabelReason + ") (increase(" +
		selector(catalog.SelfErrors, eq(catalog.LabelKPI, q.k.Name)) + "[" + rangeVar + "]))"
}

// legend names a KPI's series by its label columns.
func legend(k *catalog.KPI, prefix string) string {
	if len(k.Labels) == 0 {
		if prefix == "" {
			return k.DisplayTitle()
		}
		return prefix
	}
	parts := make([]string, 0, len(k.Labels)+1)
	if prefix != "" {
		parts = append(parts, prefix)
	}
	for _, l := range k.Labels {
		parts = append(parts, "{{"+l+"}}")
	}
	return strings.Join(parts, " ")
}

// alertsFired selects the team's firing alerts, which the generated rules
// label with team and kpi.
func alertsFired(team string) string {
	return selector("ALERTS", eq("alertstate", "firing"), eq(catalog.LabelTeam, team))
}

// definitionChanged is non-empty in the step in which a KPI of the team was
// exported with two different definition hashes: the old info series ended
// and a new one began. Counting distinct hashes, rather than series, keeps
// several exporter replicas from looking like a change. The result carries
// the new definition_hash for the annotation text.
//
// It selects the KPIs without a change log; definitionChangedLogged those
// with one, whose annotation says who approved the change and why.
func definitionChanged(team string) string {
	return changedDefinition(team, eq(catalog.LabelChangeDate, ""))
}

// definitionChangedLogged is definitionChanged for the KPIs whose latest
// change-log entry kpi_info carries: the result holds its change_ labels.
func definitionChangedLogged(team string) string {
	return changedDefinition(team, catalog.LabelChangeDate+`!=""`)
}

func changedDefinition(team, logged string) string {
	info := selector(catalog.InfoMetric, eq(catalog.LabelTeam, team))
	return selector(catalog.InfoMetric, eq(catalog.LabelTeam, team), logged) + " and on (" + catalog.LabelKPI + ") (count by (" + catalog.LabelKPI + ") (count by (" +
		catalog.LabelKPI + ", " + catalog.LabelDefinitionHash + ") (last_over_time(" + info +
		"[" + stepInterval + "]))) > 1)"
}
