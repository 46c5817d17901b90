package dashboards

import (
	"slices"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
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
}

// calendarText names the calendar and zone a KPI's period is counted in.
func calendarText(c *catalog.Catalog, k *catalog.KPI) string {
	return "calendar " + c.CalendarName(k) + ", " + c.CalendarOf(k).Location().String()
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
			return k.Name
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
func definitionChanged(team string) string {
	info := selector(catalog.InfoMetric, eq(catalog.LabelTeam, team))
	return info + " and on (" + catalog.LabelKPI + ") (count by (" + catalog.LabelKPI + ") (count by (" +
		catalog.LabelKPI + ", " + catalog.LabelDefinitionHash + ") (last_over_time(" + info +
		"[" + stepInterval + "]))) > 1)"
}
