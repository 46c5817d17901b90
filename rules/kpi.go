package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// kpiCtx is one KPI seen by the rule builders: the names and label lists every
// rule kind of the KPI shares.
type kpiCtx struct {
	c *catalog.Catalog
	k *catalog.KPI
	// by are the labels that identify one series of the KPI: its label
	// columns, then the catalog's constant labels in name order.
	by []string
	// keep are the labels every KPI-level vector match keeps: kpi, team and by.
	keep []string
	// metric is the KPI's exported metric name.
	metric string
	// t is the catalog language's sentences.
	t *i18n.Text
	// alerts are the KPI's alert rules once the tests ask for them
	// (withAlerts), so that each expected alert does not build them all.
	alerts []alertRule
}

func newKPICtx(c *catalog.Catalog, k *catalog.KPI) kpiCtx {
	by := slices.Clone(k.Labels)
	for _, g := range sortedKeys(c.Global.Labels) {
		by = append(by, g)
	}
	keep := append([]string{catalog.LabelKPI, catalog.LabelTeam}, by...)
	return kpiCtx{c: c, k: k, by: by, keep: keep, metric: k.MetricName(), t: i18n.For(c.Global.Language)}
}

// rec is the name of the KPI-level record op, catalog.KPI.KPIRecord.
func (x kpiCtx) rec(op string) string { return "kpi:" + x.metric + ":" + op }

// on is the explicit one-to-one matching clause of KPI-level records.
func (x kpiCtx) on() string { return "on(" + strings.Join(x.keep, ", ") + ")" }

// record builds a KPI-level recording rule with the kpi, team and owner labels.
func (x kpiCtx) record(op, expr string) rulefmt.Rule {
	return rulefmt.Rule{Record: x.rec(op), Expr: expr, Labels: x.ownerLabels()}
}

func (x kpiCtx) ownerLabels() map[string]string {
	return map[string]string{
		catalog.LabelKPI:   x.k.Name,
		catalog.LabelTeam:  x.k.Team,
		catalog.LabelOwner: x.k.Owner,
	}
}

func (x kpiCtx) alertLabels(severity string) map[string]string {
	l := x.ownerLabels()
	l[catalog.LabelSeverity] = severity
	return l
}

// selfSelector selects a self-metric of the KPI.
func (x kpiCtx) selfSelector(metric string) string {
	return metric + `{` + catalog.LabelKPI + `=` + strconv.Quote(x.k.Name) + `}`
}

// higher reports whether higher values are better. A KPI without a direction
// has no thresholds or target-based alerts that would need it, and attainment
// then reads as higher-is-better.
func (x kpiCtx) higher() bool { return x.k.Direction != catalog.LowerIsBetter }

// interval is the KPI's collection interval.
func (x kpiCtx) interval() time.Duration { return x.k.Interval.D() }

// scrape is the scrape interval of the Prometheus that evaluates the rules;
// the shortest for and keep_firing_for durations are counted in it.
func (x kpiCtx) scrape() time.Duration { return x.c.Alerting.ScrapeInterval.D() }

// annotations returns the annotations every alert of the KPI carries besides
// its summary.
func (x kpiCtx) annotations(summary, description string) map[string]string {
	a := map[string]string{
		"summary":       x.t.Finish(summary),
		"description":   x.t.Finish(description),
		"dashboard_url": x.c.DashboardURL(x.k),
	}
	if x.k.RunbookURL != "" {
		a["runbook_url"] = x.k.RunbookURL
	}
	return a
}

// title names the KPI by its display title and, in templates, the series'
// label values.
func (x kpiCtx) title() string {
	if len(x.k.Labels) == 0 {
		return x.t.Term(x.k.DisplayTitle())
	}
	parts := make([]string, len(x.k.Labels))
	for i, l := range x.k.Labels {
		parts[i] = l + "={{ $labels." + l + " }}"
	}
	return x.t.Term(fmt.Sprintf(x.t.SeriesF, x.k.DisplayTitle(), strings.Join(parts, x.t.LabelSep)))
}

// queryValue renders, in an alert template, the current value of a KPI-level
// record for the alert's series, humanized in the KPI's unit.
func (x kpiCtx) queryValue(record string) string {
	var b strings.Builder
	b.WriteString("{{ with printf `")
	b.WriteString(record)
	b.WriteByte('{')
	for i, l := range x.keep {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l)
		b.WriteString("=%q")
	}
	b.WriteString("}`")
	for _, l := range x.keep {
		b.WriteString(" $labels.")
		b.WriteString(l)
	}
	b.WriteString(" | query }}")
	b.WriteString(x.value("(. | first | value)"))
	b.WriteString("{{ else }}" + x.t.Unknown + "{{ end }}")
	return b.String()
}

// value renders the template pipeline expr in the KPI's unit, as the
// catalog's language writes numbers.
func (x kpiCtx) value(expr string) string { return x.t.ValueTemplate(x.k, expr) }

// withOwner ends a description: the KPI's help, the sentences, its owner.
func (x kpiCtx) withOwner(sentences ...string) string {
	parts := append([]string{x.k.Help}, sentences...)
	return x.t.Sentences(append(parts, x.t.Owner(x.k.Owner))...)
}

func maxDur(ds ...time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = max(m, d)
	}
	return m
}

func md(d time.Duration) model.Duration { return model.Duration(d) }

func durStr(d time.Duration) string { return model.Duration(d).String() }

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func itoa(i int) string { return strconv.Itoa(i) }
