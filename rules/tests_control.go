package rules

import (
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// controlTests: a difference beyond the tolerance that lasts the alert's for
// duration fires it; a difference exactly at the tolerance does not.
func (x kpiCtx) controlTests() ([]TestGroup, error) {
	ct := x.k.Control
	if ct == nil {
		return nil, nil
	}
	const control = 100.0
	at := ceilTo(ct.For.D(), time.Minute) + time.Minute
	n := steps(at, time.Minute)
	tol := 0.0
	if ct.Tolerance.Absolute != nil {
		tol = *ct.Tolerance.Absolute
	} else {
		tol = *ct.Tolerance.Relative * control
	}
	var out []TestGroup
	for _, sc := range []struct {
		name string
		diff float64
		fire bool
	}{
		{"control mismatch fires beyond the tolerance", 2*tol + 1, true},
		{"no control mismatch at the tolerance", tol, false},
	} {
		v := control + sc.diff
		g := x.group(sc.name, time.Minute,
			x.valueSeries(constant(v, n)),
			InputSeries{Series: selector(x.k.ControlMetricName(), x.seriesLabels()), Values: constant(control, n)},
			InputSeries{Series: selector(x.k.ControlDifferenceMetricName(), x.seriesLabels()), Values: constant(sc.diff, n)},
		)
		t := AlertTest{EvalTime: md(at), Alertname: catalog.AlertControlMismatch, ExpAlerts: []ExpAlert{}}
		if sc.fire {
			values := map[string]float64{
				x.rec(catalog.OpValue): v, x.rec(catalog.OpControl): control, x.rec(catalog.OpControlDifference): sc.diff,
			}
			e, err := x.expect(catalog.AlertControlMismatch, x.alertExpLabels(catalog.SeverityWarning), sc.diff, values, at)
			if err != nil {
				return nil, err
			}
			t.ExpAlerts = []ExpAlert{e}
		}
		g.AlertRuleTests = []AlertTest{t}
		out = append(out, g)
	}
	errs, err := x.controlErrorTests()
	return append(out, errs...), err
}

// controlErrorTests: control errors that keep coming fire the control-errors
// alert; old ones do not.
func (x kpiCtx) controlErrorTests() ([]TestGroup, error) {
	at := ceilTo(x.errorsWindow(), time.Minute) + 3*time.Minute
	step := min(time.Minute, max(time.Second, (x.errorsWindow()/5).Truncate(time.Second)))
	n := steps(at, step)
	reason := map[string]string{catalog.LabelKPI: x.k.Name, catalog.LabelReason: catalog.ReasonQuery}
	l := x.controlErrorLabels()
	l[catalog.LabelReason] = catalog.ReasonQuery
	e, err := x.expect(catalog.AlertControlErrors, l, 0, nil, at)
	if err != nil {
		return nil, err
	}
	fire := x.group("control errors fire while they keep coming", step, selfSeries(catalog.SelfControlErrors, reason, "0+1x"+itoa(n)))
	fire.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertControlErrors, ExpAlerts: []ExpAlert{e}}}
	calm := x.group("old control errors do not fire", step, selfSeries(catalog.SelfControlErrors, reason, constant(3, n)))
	calm.AlertRuleTests = []AlertTest{{EvalTime: md(at), Alertname: catalog.AlertControlErrors, ExpAlerts: []ExpAlert{}}}
	return []TestGroup{fire, calm}, nil
}
