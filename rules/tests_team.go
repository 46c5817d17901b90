package rules

import (
	"fmt"
	"maps"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// teamTests cover the alerts on the exporter's own metrics for a whole team
// at once. Those alerts share their names across the team's KPIs and fire
// for all of them when the exporter reports nothing (absent), so testing
// them team by team keeps the tests linear in the team's size.
func teamTests(c *catalog.Catalog, f RuleFile, kpis []*catalog.KPI, alerts map[string][]alertRule) ([]TestGroup, error) {
	xs := make([]kpiCtx, len(kpis))
	for i, k := range kpis {
		xs[i] = newKPICtx(c, k).withAlerts(alerts[k.Name])
	}
	var out []TestGroup
	stale, err := staleTests(xs)
	if err != nil {
		return nil, err
	}
	out = append(out, stale...)
	down, err := sourceTests(f.team, f.sourceRules())
	if err != nil {
		return nil, err
	}
	return append(out, down...), nil
}

func selfSeries(metric string, extra map[string]string, values string) InputSeries {
	l := map[string]string{"job": testJob, "instance": testInstance}
	for k, v := range extra {
		l[k] = v
	}
	return InputSeries{Series: selector(metric, l), Values: values}
}

func teamGroup(name string, series []InputSeries) TestGroup {
	return TestGroup{Name: "team: " + name, Interval: md(time.Minute), InputSeries: series}
}

// staleTests: every KPI's last success stuck at 0 fires KPIStale for each
// once its max age and for have passed; no last success at all fires it
// too; a last success that keeps up with time does not.
func staleTests(xs []kpiCtx) ([]TestGroup, error) {
	var at time.Duration
	for _, x := range xs {
		at = max(at, ceilTo(x.k.MaxAge.D(), time.Minute)+time.Minute+ceilTo(x.selfFor(), time.Minute)+time.Minute)
	}
	n := steps(at, time.Minute)
	var stuck, fresh, up []InputSeries
	var exp []ExpAlert
	sources := map[string]bool{}
	for _, x := range xs {
		kpi := map[string]string{catalog.LabelKPI: x.k.Name}
		stuck = append(stuck, selfSeries(catalog.SelfLastSuccess, kpi, constant(0, n)))
		fresh = append(fresh, selfSeries(catalog.SelfLastSuccess, kpi, "0+60x"+itoa(n)))
		if !sources[x.k.Source] {
			sources[x.k.Source] = true
			up = append(up, selfSeries(catalog.SelfSourceUp, map[string]string{catalog.LabelSource: x.k.Source}, constant(1, n)))
		}
		e, err := x.expect(catalog.AlertStale, x.selfAlertLabels(catalog.SeverityWarning), 0, nil, at)
		if err != nil {
			return nil, err
		}
		exp = append(exp, e)
	}
	test := func(fires bool) []AlertTest {
		t := AlertTest{EvalTime: md(at), Alertname: catalog.AlertStale, ExpAlerts: []ExpAlert{}}
		if fires {
			t.ExpAlerts = exp
		}
		return []AlertTest{t}
	}
	g1 := teamGroup("stale fires when the last success is older than the max age", append(stuck, up...))
	g1.AlertRuleTests = test(true)
	g2 := teamGroup("stale fires when the exporter reports no last success", up)
	g2.AlertRuleTests = test(true)
	g3 := teamGroup("not stale while the last success keeps up with time", append(fresh, up...))
	g3.AlertRuleTests = test(false)
	return []TestGroup{g1, g2, g3}, nil
}

// sourceTests: each source of the team going down fires one KPISourceDown
// for the team, carrying the source; a source that is up fires nothing.
// rs are the team's source outage alerts (sourceAlerts).
func sourceTests(team string, rs []rulefmt.Rule) ([]TestGroup, error) {
	var out []TestGroup
	for _, r := range rs {
		s := r.Labels[catalog.LabelSource]
		at := ceilTo(time.Duration(r.For), time.Minute) + time.Minute
		n := steps(at, time.Minute)
		src := map[string]string{catalog.LabelSource: s}
		l := maps.Clone(r.Labels)
		ann, err := render(r.Annotations, l, 0, nil, epoch.Add(at))
		if err != nil {
			return nil, fmt.Errorf("alert %s of source %s: %w", r.Alert, s, err)
		}
		exp := []ExpAlert{{ExpLabels: l, ExpAnnotations: ann}}
		down := teamGroup("source "+s+" down fires once for team "+team, []InputSeries{selfSeries(catalog.SelfSourceUp, src, constant(0, n))})
		down.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertSourceDown, ExpAlerts: exp}}
		up := teamGroup("source "+s+" up fires nothing", []InputSeries{selfSeries(catalog.SelfSourceUp, src, constant(1, n))})
		up.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertSourceDown, ExpAlerts: []ExpAlert{}}}
		out = append(out, down, up)
	}
	return out, nil
}
