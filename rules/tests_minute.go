package rules

import (
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// minuteTests are the tests that evaluate every minute from 1970-01-01T00:00
// UTC: attainment, thresholds that do not follow the period's pace, anomaly
// and collection errors.
func (x kpiCtx) minuteTests() ([]TestGroup, error) {
	var out []TestGroup
	for _, f := range []func() ([]TestGroup, error){
		x.attainmentTests, x.thresholdTests, x.anomalyTests, x.errorTests, x.controlTests,
	} {
		tg, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, tg...)
	}
	return out, nil
}

func (x kpiCtx) group(name string, step time.Duration, series ...InputSeries) TestGroup {
	return TestGroup{Name: x.k.Name + ": " + name, Interval: md(step), InputSeries: series}
}

func (x kpiCtx) valueSeries(values string) InputSeries {
	return InputSeries{Series: selector(x.metric, x.seriesLabels()), Values: values}
}

func (x kpiCtx) targetSeries(values string) InputSeries {
	return InputSeries{Series: selector(x.k.TargetMetricName(), x.seriesLabels()), Values: values}
}

func (x kpiCtx) sample(op string, v float64) ExpSample {
	return ExpSample{Labels: selector(x.rec(op), x.keptLabels()), Value: v}
}

// attainment returns the expected attainment of value v against target t,
// and whether the record exists (its zero-division guard passes).
func (x kpiCtx) attainment(v, t float64) (float64, bool) {
	if x.higher() {
		return v / t, t > 0
	}
	return t / v, v > 0
}

func (x kpiCtx) attainmentTests() ([]TestGroup, error) {
	if !x.k.HasTarget() {
		return nil, nil
	}
	const at = 5 * time.Minute
	n := steps(at, time.Minute)
	tg := x.testTarget()
	v := tg * 0.8
	if v == 0 {
		v = 1
	}
	with := x.group("attainment is value against target", time.Minute, x.valueSeries(constant(v, n)), x.targetSeries(constant(tg, n)))
	exp := []ExpSample{}
	if a, ok := x.attainment(v, tg); ok {
		exp = append(exp, x.sample(catalog.OpAttainment, a))
	}
	with.PromqlExprTests = []ExprTest{{Expr: x.rec(catalog.OpAttainment), EvalTime: md(at), ExpSamples: exp}}
	without := x.group("no attainment without a target", time.Minute, x.valueSeries(constant(v, n)))
	without.PromqlExprTests = []ExprTest{{Expr: x.rec(catalog.OpAttainment), EvalTime: md(at), ExpSamples: []ExpSample{}}}
	return []TestGroup{with, without}, nil
}

// absLevel is a threshold level as an absolute value for the tests.
type absLevel struct {
	level
	value float64
}

// absLevels are the levels that do not follow the period's pace, with their
// absolute values at test target tg.
func (x kpiCtx) absLevels(tg float64) []absLevel {
	var out []absLevel
	for _, l := range x.levels() {
		if x.gated(l) {
			continue
		}
		v := l.t.Value
		if l.t.OfTarget {
			v = tg * l.t.Ratio()
		}
		out = append(out, absLevel{l, v})
	}
	return out
}

// thresholdScenario is one constant value and which alerts it must fire.
type thresholdScenario struct {
	name      string
	value     float64
	target    bool
	fires     map[string]bool
	assertsOn []string
	// The value is at level's threshold, or beyond it when beyond is set:
	// valueAt finds it again for thresholds that move.
	level  absLevel
	beyond bool
}

// valueAt is the scenario's value when its level's threshold is at(level).
func (x kpiCtx) valueAt(sc thresholdScenario, at func(absLevel) float64) float64 {
	if sc.beyond {
		return x.beyond(at(sc.level))
	}
	return at(sc.level)
}

// thresholdScenarios: each level breached (the warning one with the value
// exactly at the critical threshold, so just inside it), each level just
// inside (the value equal to the threshold), and no target at all when a
// threshold is a percentage of the target.
func (x kpiCtx) thresholdScenarios(ls []absLevel, percent bool, at func(absLevel) float64) []thresholdScenario {
	var w, c *absLevel
	var names []string
	for i := range ls {
		names = append(names, ls[i].alert)
		if ls[i].severity == catalog.SeverityWarning {
			w = &ls[i]
		} else {
			c = &ls[i]
		}
	}
	has := x.k.HasTarget()
	var out []thresholdScenario
	add := func(name string, l absLevel, beyond, target bool, fires map[string]bool, asserts []string) {
		sc := thresholdScenario{name: name, target: target, fires: fires, assertsOn: asserts, level: l, beyond: beyond}
		sc.value = x.valueAt(sc, at)
		out = append(out, sc)
	}
	if w != nil {
		if c != nil {
			add("warning fires at the critical threshold, critical does not", *c, false, has, map[string]bool{w.alert: true}, names)
		} else {
			add("warning fires beyond the warning threshold", *w, true, has, map[string]bool{w.alert: true}, names)
		}
		add("nothing fires at the warning threshold", *w, false, has, nil, names)
	}
	if c != nil {
		add("critical fires beyond the critical threshold", *c, true, has, map[string]bool{c.alert: true}, []string{c.alert})
		if w == nil {
			add("nothing fires at the critical threshold", *c, false, has, nil, names)
		}
	}
	if percent {
		// Only the percent thresholds need the target; absolute ones may
		// rightly fire without it.
		var pct []string
		for _, l := range ls {
			if l.t.OfTarget {
				pct = append(pct, l.alert)
			}
		}
		add("percent thresholds do not fire without a target", ls[len(ls)-1], true, false, nil, pct)
	}
	return out
}

func (x kpiCtx) thresholdTests() ([]TestGroup, error) {
	tg := x.testTarget()
	ls := x.absLevels(tg)
	if len(ls) == 0 {
		return nil, nil
	}
	percent := false
	for _, l := range ls {
		percent = percent || l.t.OfTarget
	}
	var forDur time.Duration
	forDur = x.thresholdFor()
	at := ceilTo(forDur, time.Minute) + time.Minute
	n := steps(at, time.Minute)
	var out []TestGroup
	for _, sc := range x.thresholdScenarios(ls, percent, func(l absLevel) float64 { return l.value }) {
		series := []InputSeries{x.valueSeries(constant(sc.value, n))}
		if sc.target {
			series = append(series, x.targetSeries(constant(tg, n)))
		}
		g := x.group(sc.name, time.Minute, series...)
		values := map[string]float64{x.rec(catalog.OpValue): sc.value}
		if sc.target {
			values[x.rec(catalog.OpTarget)] = tg
			if x.k.Period != catalog.PeriodNone {
				values[x.rec(catalog.OpExpectedToDate)] = tg * x.shareAt(at)
			}
		}
		for _, l := range ls {
			values[x.rec(l.op)] = l.value
		}
		asserts, err := x.thresholdAsserts(sc, sc.value, values, at)
		if err != nil {
			return nil, err
		}
		g.AlertRuleTests = asserts
		out = append(out, g)
	}
	return out, nil
}

// anomalyTests: a steady baseline that alternates between two values, then a
// jump far outside it that lasts the alert's for duration; and the same
// baseline without the jump.
func (x kpiCtx) anomalyTests() ([]TestGroup, error) {
	a := x.k.Anomaly
	if a == nil {
		return nil, nil
	}
	low, high := 1.0, 1.1
	if tg := x.testTarget(); x.k.HasTarget() && tg > 0 {
		low, high = tg, tg*1.1
	}
	spike := high + 100*(high-low)
	if !x.higher() {
		spike = low - 100*(high-low)
	}
	start := ceilTo(x.anomalyOffset(), time.Minute) + 10*time.Minute
	at := start + ceilTo(a.For.D(), time.Minute)
	n := steps(at, time.Minute)
	base := make([]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		base = append(base, []float64{low, high}[i%2])
	}
	jump := make([]float64, len(base))
	copy(jump, base)
	for i := int(start / time.Minute); i < len(jump); i++ {
		jump[i] = spike
	}
	fire := x.group("anomaly fires on a jump out of the baseline", time.Minute, x.valueSeries(list(jump)))
	exp, err := x.expect(catalog.AlertAnomaly, x.alertExpLabels(catalog.SeverityWarning), 0,
		map[string]float64{x.rec(catalog.OpValue): spike}, at)
	if err != nil {
		return nil, err
	}
	fire.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertAnomaly, ExpAlerts: []ExpAlert{exp}}}
	calm := x.group("no anomaly inside the baseline", time.Minute, x.valueSeries(list(base)))
	calm.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertAnomaly, ExpAlerts: []ExpAlert{}}}
	return []TestGroup{fire, calm}, nil
}

// errorTests cover the collection-errors alert: a counter that keeps
// growing fires it, one that stays does not.
func (x kpiCtx) errorTests() ([]TestGroup, error) {
	return x.keepsFailingTests(catalog.SelfErrors, catalog.AlertCollectionErrors, x.selfAlertLabels(catalog.SeverityWarning),
		"collection errors fire while errors keep coming", "old collection errors do not fire")
}

// keepsFailingTests cover an alert on an error counter of the exporter's
// (metric, by kpi and reason): errors that keep coming fire alert with
// labels and the reason; a counter that stays does not. The two groups are
// named fires and calm.
func (x kpiCtx) keepsFailingTests(metric, alert string, labels map[string]string, fires, calm string) ([]TestGroup, error) {
	at := ceilTo(x.errorsWindow(), time.Minute) + 3*time.Minute
	// increase needs two samples in its window: a window under a minute
	// needs samples more often than once a minute.
	step := min(time.Minute, max(time.Second, (x.errorsWindow()/5).Truncate(time.Second)))
	n := steps(at, step)
	reason := map[string]string{catalog.LabelKPI: x.k.Name, catalog.LabelReason: catalog.ReasonQuery}
	labels[catalog.LabelReason] = catalog.ReasonQuery
	e, err := x.expect(alert, labels, 0, nil, at)
	if err != nil {
		return nil, err
	}
	g := x.group(fires, step, selfSeries(metric, reason, "0+1x"+itoa(n)))
	g.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: alert, ExpAlerts: []ExpAlert{e}}}
	c := x.group(calm, step, selfSeries(metric, reason, constant(3, n)))
	c.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: alert, ExpAlerts: []ExpAlert{}}}
	return []TestGroup{g, c}, nil
}

// thresholdAsserts are the alert tests of one threshold scenario: the alerts
// it fires, and none of the others it asserts on.
func (x kpiCtx) thresholdAsserts(sc thresholdScenario, value float64, values map[string]float64, at time.Duration) ([]AlertTest, error) {
	var out []AlertTest
	for _, name := range sc.assertsOn {
		t := AlertTest{EvalTime: md(at), Alertname: name, ExpAlerts: []ExpAlert{}}
		if sc.fires[name] {
			sev := catalog.SeverityWarning
			if name == catalog.AlertThresholdCritical {
				sev = catalog.SeverityCritical
			}
			a, err := x.expect(name, x.alertExpLabels(sev), value, values, at)
			if err != nil {
				return nil, err
			}
			t.ExpAlerts = []ExpAlert{a}
		}
		out = append(out, t)
	}
	return out, nil
}
