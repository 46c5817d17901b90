package rules

import (
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// controlRecords record the control value and the difference (the KPI's
// value minus the control value, as the exporter computed it when the
// control ran) once per label set.
func (x kpiCtx) controlRecords() []rulefmt.Rule {
	if x.k.Control == nil {
		return nil
	}
	return []rulefmt.Rule{
		x.record(catalog.OpControl, x.dedup(x.k.ControlMetricName())),
		x.record(catalog.OpControlDifference, x.dedup(x.k.ControlDifferenceMetricName())),
	}
}

// controlExpr is true for the label sets whose difference is beyond the
// tolerance: an absolute amount, or a share of the control value. Its value
// is the size of the difference.
func (x kpiCtx) controlExpr() string {
	d := "abs(" + x.rec(catalog.OpControlDifference) + ")"
	tol := x.k.Control.Tolerance
	if tol.Relative != nil {
		return d + " > " + x.on() + " " + fmtFloat(*tol.Relative) + " * abs(" + x.rec(catalog.OpControl) + ")"
	}
	return d + " > " + fmtFloat(*tol.Absolute)
}

// controlAlerts warn the KPI's team, and its owner where the team notifies
// owners, when the KPI and its control disagree beyond the tolerance for
// the control's for duration (by default until the slower query ran again).
func (x kpiCtx) controlAlerts() []rulefmt.Rule {
	ct := x.k.Control
	if ct == nil {
		return nil
	}
	summary := x.title() + " is " + x.queryValue(x.rec(catalog.OpValue)) + ", but its control on source " + ct.Source +
		" says " + x.queryValue(x.rec(catalog.OpControl)) + ": a difference of " + x.queryValue(x.rec(catalog.OpControlDifference)) +
		", beyond the tolerance of " + x.k.ToleranceText() + "."
	desc := x.k.Help + " The control query on source " + ct.Source + " should return the same value for each label set; they have disagreed by more than " +
		x.k.ToleranceText() + " for " + ct.For.String() + ". Owner: " + x.k.Owner + "."
	w := durStr(x.errorsWindow())
	errs := "sum by (" + catalog.LabelKPI + ", " + catalog.LabelReason + ") (increase(" +
		x.selfSelector(catalog.SelfControlErrors) + "[" + w + "])) > 0"
	return []rulefmt.Rule{{
		Alert:       catalog.AlertControlMismatch,
		Expr:        x.controlExpr(),
		For:         md(ct.For.D()),
		Labels:      x.alertLabels(catalog.SeverityWarning),
		Annotations: x.annotations(summary, desc),
	}, {
		Alert:  catalog.AlertControlErrors,
		Expr:   errs,
		For:    md(x.errorsWindow()),
		Labels: x.controlErrorLabels(),
		Annotations: x.annotations(
			"Running the control of "+x.k.Name+" keeps failing with {{ $labels.reason }} errors, so it is not reconciled.",
			"The exporter counted errors of reason {{ $labels.reason }} running the control query of "+x.k.Name+" on source "+ct.Source+
				" in every "+w+" window for "+w+"; until it runs again, "+catalog.AlertControlMismatch+" cannot fire. Owner: "+x.k.Owner+"."),
	}}
}

// controlErrorLabels carry the control's source, so that its outage alert
// inhibits the control's errors as it does the KPI's (alertmanager.go).
func (x kpiCtx) controlErrorLabels() map[string]string {
	l := x.alertLabels(catalog.SeverityWarning)
	l[catalog.LabelSource] = x.k.Control.Source
	return l
}
