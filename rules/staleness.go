package rules

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// selfFor is the for duration of alerts on the exporter's own metrics: two
// intervals, and at least two scrape intervals.
func (x kpiCtx) selfFor() time.Duration { return maxDur(2*x.interval(), 2*x.scrape()) }

// errorsWindow is both the increase window and the for duration of the
// collection-errors alert, so that one transient error does not page anybody
// but errors that keep coming do.
func (x kpiCtx) errorsWindow() time.Duration { return maxDur(3*x.interval(), 5*x.scrape()) }

// sources are the sources the KPI's value and target come from.
func (x kpiCtx) sources() []string {
	s := []string{x.k.Source}
	if t := x.k.Target; t != nil && t.Source != "" && t.Source != x.k.Source {
		s = append(s, t.Source)
	}
	return s
}

// stalenessAlerts watch the exporter's view of the KPI: no fresh value for
// longer than the KPI's max age, its source down, or collection errors that
// keep coming.
func (x kpiCtx) stalenessAlerts() []rulefmt.Rule {
	last := x.selfSelector(catalog.SelfLastSuccess)
	maxAge := x.k.MaxAge.D()
	stale := "(time() - max by (" + catalog.LabelKPI + ") (" + last + ") > " + fmtFloat(maxAge.Seconds()) + ")" +
		" or (absent(" + last + ") == 1)"

	srcs := x.sources()
	srcSel := catalog.LabelSource + "=" + strconv.Quote(srcs[0])
	if len(srcs) > 1 {
		q := make([]string, len(srcs))
		for i, s := range srcs {
			q[i] = regexp.QuoteMeta(s)
		}
		srcSel = catalog.LabelSource + "=~" + strconv.Quote(strings.Join(q, "|"))
	}
	down := "max by (" + catalog.LabelSource + ") (" + catalog.SelfSourceUp + "{" + srcSel + "}) == 0"

	w := durStr(x.errorsWindow())
	errs := "sum by (" + catalog.LabelKPI + ", " + catalog.LabelReason + ") (increase(" +
		x.selfSelector(catalog.SelfErrors) + "[" + w + "])) > 0"

	owner := " Owner: " + x.k.Owner + "."
	return []rulefmt.Rule{
		{
			Alert:  catalog.AlertStale,
			Expr:   stale,
			For:    md(x.selfFor()),
			Labels: x.alertLabels(catalog.SeverityWarning),
			Annotations: x.annotations(
				"No fresh value of "+x.k.Name+" for more than "+durStr(maxAge)+".",
				x.k.Help+" The exporter has not collected the KPI successfully within its max age of "+
					durStr(maxAge)+" ("+durStr(x.interval())+" interval), or does not report it at all."+owner),
		},
		{
			Alert:  catalog.AlertSourceDown,
			Expr:   down,
			For:    md(x.selfFor()),
			Labels: x.alertLabels(catalog.SeverityCritical),
			Annotations: x.annotations(
				"Source {{ $labels.source }} of "+x.k.Name+" is down.",
				"The exporter cannot reach database source {{ $labels.source }}, so "+x.k.Name+" is not collected."+owner),
		},
		{
			Alert:  catalog.AlertCollectionErrors,
			Expr:   errs,
			For:    md(x.errorsWindow()),
			Labels: x.alertLabels(catalog.SeverityWarning),
			Annotations: x.annotations(
				"Collecting "+x.k.Name+" keeps failing with {{ $labels.reason }} errors.",
				"The exporter counted "+x.k.Name+" errors of reason {{ $labels.reason }} in every "+w+" window for "+w+"."+owner),
		},
	}
}
