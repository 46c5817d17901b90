package rules

import (
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testTimes are, per period, the test's evaluation time halfway through a
// period and early in one (inside the forecast gate), counted from
// 1970-01-01T00:00 UTC, a Thursday: the week tests use the week that starts
// on Monday 1970-01-05.
func testTimes(p catalog.Period) (half, early time.Duration) {
	const day = 24 * time.Hour
	switch p {
	case catalog.PeriodDay:
		return 12 * time.Hour, 2 * time.Hour
	case catalog.PeriodWeek:
		return 4*day + 3*day + 12*time.Hour, 4*day + 18*time.Hour
	case catalog.PeriodMonth:
		return 15*day + 12*time.Hour, 3 * day
	case catalog.PeriodQuarter:
		return 45 * day, 9 * day
	case catalog.PeriodYear:
		return 182 * day, 42 * day
	}
	return 0, 0
}

// testStep is the evaluation interval of a period's tests: coarse enough to
// keep promtool fast, fine enough for every for duration and gate.
func testStep(p catalog.Period) time.Duration {
	switch p {
	case catalog.PeriodWeek:
		return 6 * time.Hour
	case catalog.PeriodMonth:
		return 12 * time.Hour
	case catalog.PeriodQuarter:
		return 24 * time.Hour
	case catalog.PeriodYear:
		return 7 * 24 * time.Hour
	}
	return time.Hour
}

func (x kpiCtx) step() time.Duration { return testStep(x.k.Period) }

// periodTests evaluate at the period's test step: pacing records, thresholds that follow the
// period's pace, and the forecast.
func (x kpiCtx) periodTests() ([]TestGroup, error) {
	if x.k.Period == catalog.PeriodNone || !x.k.HasTarget() {
		return nil, nil
	}
	var out []TestGroup
	for _, f := range []func() ([]TestGroup, error){x.pacingTests, x.boundaryTests, x.pacedThresholdTests, x.forecastTests} {
		tg, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, tg...)
	}
	return out, nil
}

// perStep returns f at every step from 0 through at, plus a margin.
func (x kpiCtx) perStep(at time.Duration, f func(e float64) float64) []float64 {
	n := steps(at, x.step())
	out := make([]float64, n+1)
	for i := range out {
		out[i] = f(x.shareAt(time.Duration(i) * x.step()))
	}
	return out
}

func (x kpiCtx) pacingTests() ([]TestGroup, error) {
	at, _ := testTimes(x.k.Period)
	n := steps(at, x.step())
	tg := x.testTarget()
	v := tg * 0.4
	if v == 0 {
		v = 1
	}
	e := x.shareAt(at)
	expected := tg * e
	g := x.group("pacing compares the value with the target expected by now", x.step(),
		x.valueSeries(constant(v, n)), x.targetSeries(constant(tg, n)))
	g.PromqlExprTests = []ExprTest{
		{Expr: x.elapsedSelector(), EvalTime: md(at), ExpSamples: []ExpSample{x.shareSample(e)}},
		{Expr: x.rec(catalog.OpExpectedToDate), EvalTime: md(at), ExpSamples: []ExpSample{x.sample(catalog.OpExpectedToDate, expected)}},
	}
	pacing := ExprTest{Expr: x.rec(catalog.OpPacing), EvalTime: md(at), ExpSamples: []ExpSample{}}
	switch {
	case x.higher() && expected > 0:
		pacing.ExpSamples = []ExpSample{x.sample(catalog.OpPacing, v/expected)}
	case !x.higher() && v > 0:
		pacing.ExpSamples = []ExpSample{x.sample(catalog.OpPacing, expected/v)}
	}
	g.PromqlExprTests = append(g.PromqlExprTests, pacing)
	return []TestGroup{g}, nil
}

// pacedThresholdTests cover percent-of-target thresholds of a period KPI,
// which follow the expected-to-date target: the test values follow it too,
// step by step, so "just inside" holds at every evaluation.
func (x kpiCtx) pacedThresholdTests() ([]TestGroup, error) {
	var ls []absLevel
	for _, l := range x.levels() {
		if x.gated(l) {
			ls = append(ls, absLevel{level: l})
		}
	}
	if len(ls) == 0 {
		return nil, nil
	}
	at, _ := testTimes(x.k.Period)
	n := steps(at, x.step())
	tg := x.testTarget()
	thr := func(l absLevel, e float64) float64 { return tg * e * l.t.Ratio() }
	// The scenarios are the same at every step; only the thresholds move.
	scenarios := x.thresholdScenarios(ls, true, func(l absLevel) float64 { return thr(l, 0) })
	series := make([][]float64, len(scenarios))
	for i := 0; i <= n; i++ {
		e := x.shareAt(time.Duration(i) * x.step())
		at := func(l absLevel) float64 { return thr(l, e) }
		for j, sc := range scenarios {
			series[j] = append(series[j], x.valueAt(sc, at))
		}
	}
	eT := x.shareAt(at)
	var out []TestGroup
	for j, sc := range scenarios {
		vT := series[j][int(at/x.step())]
		in := []InputSeries{x.valueSeries(list(series[j]))}
		if sc.target {
			in = append(in, x.targetSeries(constant(tg, n)))
		}
		g := x.group(sc.name+" (paced)", x.step(), in...)
		values := map[string]float64{
			x.rec(catalog.OpValue):          vT,
			x.rec(catalog.OpTarget):         tg,
			x.rec(catalog.OpExpectedToDate): tg * eT,
		}
		for _, l := range ls {
			values[x.rec(l.op)] = thr(l, eT)
		}
		asserts, err := x.thresholdAsserts(sc, vT, values, at)
		if err != nil {
			return nil, err
		}
		g.AlertRuleTests = asserts
		out = append(out, g)
	}
	return out, nil
}

// forecastTests: a value whose pace ends the period beyond the target fires
// halfway through the period, not early in it, and never without a target.
func (x kpiCtx) forecastTests() ([]TestGroup, error) {
	if !x.k.ForecastEnabled() {
		return nil, nil
	}
	at, early := testTimes(x.k.Period)
	n := steps(at, x.step())
	tg := x.testTarget()
	end := x.beyond(tg)
	vals := x.perStep(at, func(e float64) float64 { return e * end })
	eT := x.shareAt(at)
	vT := vals[int(at/x.step())]

	fire := x.group("forecast miss fires halfway through the period", x.step(),
		x.valueSeries(list(vals)), x.targetSeries(constant(tg, n)))
	a, err := x.expect(catalog.AlertForecastMiss, x.alertExpLabels(catalog.SeverityWarning), vT/eT,
		map[string]float64{x.rec(catalog.OpTarget): tg}, at)
	if err != nil {
		return nil, err
	}
	fire.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertForecastMiss, ExpAlerts: []ExpAlert{a}}}
	gated := x.group("no forecast early in the period", x.step(),
		x.valueSeries(list(vals)), x.targetSeries(constant(tg, n)))
	gated.AlertRuleTests = []AlertTest{{EvalTime: md(early), Alertname: catalog.AlertForecastMiss, ExpAlerts: []ExpAlert{}}}
	none := x.group("no forecast without a target", x.step(), x.valueSeries(list(vals)))
	none.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertForecastMiss, ExpAlerts: []ExpAlert{}}}
	return []TestGroup{fire, gated, none}, nil
}

// boundaryTests follow a KPI that is exactly on pace across the first start
// of a period in its calendar after the tests' epoch (local midnight, not
// UTC's): at the last step before it and the first step after it, pacing is
// 1 and no paced threshold or forecast alert fires. Its value restarts with
// the period, as the KPI's SQL counts it.
func (x kpiCtx) boundaryTests() ([]TestGroup, error) {
	_, end := x.c.CalendarOf(x.k).Bounds(calendar.Period(x.k.Period), epoch)
	s1 := end.Sub(epoch)
	step := x.step()
	before := (s1 - 1) / step * step
	after := (s1/step + 1) * step
	n := steps(after, step)
	tg := x.testTarget()
	vals := make([]float64, n+1)
	for i := range vals {
		vals[i] = tg * x.shareAt(time.Duration(i)*step)
	}
	g := x.group("on pace across the start of a period in its calendar", step,
		x.valueSeries(list(vals)), x.targetSeries(constant(tg, n)))
	for _, at := range []time.Duration{before, after} {
		pacing := ExprTest{Expr: x.rec(catalog.OpPacing), EvalTime: md(at), ExpSamples: []ExpSample{}}
		if x.shareAt(at) > 0 {
			pacing.ExpSamples = []ExpSample{x.sample(catalog.OpPacing, 1)}
		}
		g.PromqlExprTests = append(g.PromqlExprTests, pacing)
		for _, name := range x.pacedAlerts() {
			g.AlertRuleTests = append(g.AlertRuleTests, AlertTest{EvalTime: md(at), Alertname: name, ExpAlerts: []ExpAlert{}})
		}
	}
	return []TestGroup{g}, nil
}

// pacedAlerts are the alerts that judge a period KPI by its pace: the
// forecast and the thresholds that are shares of the target. An absolute
// threshold judges the value as it is, so a value that accrues over the
// period may breach it while on pace, and the threshold tests cover it.
func (x kpiCtx) pacedAlerts() []string {
	var out []string
	for _, l := range x.levels() {
		if x.gated(l) {
			out = append(out, l.alert)
		}
	}
	return append(out, catalog.AlertForecastMiss)
}
