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
	return x.keepsFailingTests(catalog.SelfControlErrors, catalog.AlertControlErrors, x.controlErrorLabels(),
		"control errors fire while they keep coming", "old control errors do not fire")
}
