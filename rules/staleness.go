package rules

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// selfFor is the for duration of alerts on the exporter's own metrics: two
// intervals, and at least two scrape intervals.
func (x kpiCtx) selfFor() time.Duration { return maxDur(2*x.interval(), 2*x.scrape()) }

// errorsWindow is both the increase window and the for duration of the
// collection-errors alert, so that one transient error does not page anybody
// but errors that keep coming do.
func (x kpiCtx) errorsWindow() time.Duration { return maxDur(3*x.interval(), 5*x.scrape()) }

// sources are the sources the KPI's value, target and control come from.
func (x kpiCtx) sources() []string {
	s := []string{x.k.Source}
	if t := x.k.Target; t != nil && t.Source != "" && t.Source != x.k.Source {
		s = append(s, t.Source)
	}
	if ct := x.k.Control; ct != nil && !slices.Contains(s, ct.Source) {
		s = append(s, ct.Source)
	}
	return s
}

// selfAlertLabels are the labels of the KPI's stale and collection-error
// alerts: the KPI's, and the source it is read from, so that its source's
// outage alert inhibits them (alertmanager.go).
func (x kpiCtx) selfAlertLabels(severity string) map[string]string {
	l := x.alertLabels(severity)
	l[catalog.LabelSource] = x.k.Source
	return l
}

// stalenessAlerts watch the exporter's view of the KPI: no fresh value for
// longer than the KPI's max age, or collection errors that keep coming. Its
// source being down is one alert per source and team (sourceAlerts).
func (x kpiCtx) stalenessAlerts() []rulefmt.Rule {
	last := x.selfSelector(catalog.SelfLastSuccess)
	maxAge := x.k.MaxAge.D()
	stale := "(time() - max by (" + catalog.LabelKPI + ") (" + last + ") > " + fmtFloat(maxAge.Seconds()) + ")" +
		" or (absent(" + last + ") == 1)"

	w := durStr(x.errorsWindow())
	errs := "sum by (" + catalog.LabelKPI + ", " + catalog.LabelReason + ") (increase(" +
		x.selfSelector(catalog.SelfErrors) + "[" + w + "])) > 0"

	return []rulefmt.Rule{
		{
			Alert:  catalog.AlertStale,
			Expr:   stale,
			For:    md(x.selfFor()),
			Labels: x.selfAlertLabels(catalog.SeverityWarning),
			Annotations: x.annotations(
				fmt.Sprintf(x.t.StaleSummaryF, x.t.Term(x.k.DisplayTitle()), x.t.Span(maxAge)),
				x.withOwner(fmt.Sprintf(x.t.StaleDescF, x.t.Span(maxAge), x.t.Span(x.interval())))),
		},
		{
			Alert:  catalog.AlertCollectionErrors,
			Expr:   errs,
			For:    md(x.errorsWindow()),
			Labels: x.selfAlertLabels(catalog.SeverityWarning),
			Annotations: x.annotations(
				fmt.Sprintf(x.t.ErrorsSummaryF, x.t.Term(x.k.DisplayTitle())),
				x.t.Sentences(fmt.Sprintf(x.t.ErrorsDescF, x.t.Term(x.k.DisplayTitle()), x.t.Span(x.errorsWindow())), x.t.Owner(x.k.Owner))),
		},
	}
}

// sourceGroupName is the rule group of a team's source outage alerts; the
// colon keeps it apart from every KPI group's name.
func sourceGroupName(team string) string { return "kpi." + team + ":sources" }

// sourceAlerts are one KPISourceDown per source the team's KPIs read (value
// or target), in order of first use: an outage pages each team once, not
// once per KPI, with the source label that inhibits the KPIs' stale and
// collection-error alerts. forOf is sourceFors of the catalog.
func sourceAlerts(c *catalog.Catalog, team string, kpis []*catalog.KPI, forOf map[string]time.Duration) []rulefmt.Rule {
	var order []string
	users := map[string][]string{}
	for _, k := range kpis {
		for _, s := range newKPICtx(c, k).sources() {
			if users[s] == nil {
				order = append(order, s)
			}
			users[s] = append(users[s], k.DisplayTitle())
		}
	}
	out := make([]rulefmt.Rule, 0, len(order))
	t := i18n.For(c.Global.Language)
	for _, s := range order {
		expr := "max by (" + catalog.LabelSource + ") (" + catalog.SelfSourceUp + "{" +
			catalog.LabelSource + "=" + strconv.Quote(s) + "}) == 0"
		out = append(out, rulefmt.Rule{
			Alert: catalog.AlertSourceDown,
			Expr:  expr,
			For:   md(forOf[s]),
			Labels: map[string]string{
				catalog.LabelTeam:     team,
				catalog.LabelSource:   s,
				catalog.LabelSeverity: catalog.SeverityCritical,
			},
			Annotations: map[string]string{
				"summary":       t.SourceDownSummary,
				"description":   t.Finish(fmt.Sprintf(t.SourceDownDescF, t.Term(c.TeamTitle(team)), t.List(users[s]))),
				"dashboard_url": c.TeamDashboardURL(team),
			},
		})
	}
	return out
}

// sourceFors are the for durations of each source's outage alert: the
// shortest selfFor of the catalog's KPIs that read it, so that every team
// hears of an outage at once.
func sourceFors(c *catalog.Catalog) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, k := range c.KPIs {
		x := newKPICtx(c, k)
		for _, s := range x.sources() {
			if d, ok := out[s]; !ok || x.selfFor() < d {
				out[s] = x.selfFor()
			}
		}
	}
	return out
}

// sourceRules are the file's source outage alerts.
func (f RuleFile) sourceRules() []rulefmt.Rule {
	for _, g := range f.Groups {
		if g.Name == sourceGroupName(f.team) {
			return g.Rules
		}
	}
	return nil
}
