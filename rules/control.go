package rules

import (
	"fmt"

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
	tol := x.t.Tolerance(x.k)
	summary := fmt.Sprintf(x.t.ControlSummaryF, x.title(), x.queryValue(x.rec(catalog.OpValue)), ct.Source,
		x.queryValue(x.rec(catalog.OpControl)), x.queryValue(x.rec(catalog.OpControlDifference)), tol)
	desc := x.t.Sentences(x.k.Help, fmt.Sprintf(x.t.ControlDescF, ct.Source, tol, x.t.Span(ct.For.D())), x.t.Owner(x.k.Owner))
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
			fmt.Sprintf(x.t.ControlErrorsSummaryF, x.t.Term(x.k.DisplayTitle())),
			x.t.Sentences(fmt.Sprintf(x.t.ControlErrorsDescF, ct.Source, x.t.Span(x.errorsWindow()), catalog.AlertControlMismatch), x.t.Owner(x.k.Owner))),
	}}
}

// controlErrorLabels carry the control's source, so that its outage alert
// inhibits the control's errors as it does the KPI's (alertmanager.go).
func (x kpiCtx) controlErrorLabels() map[string]string {
	l := x.alertLabels(catalog.SeverityWarning)
	l[catalog.LabelSource] = x.k.Control.Source
	return l
}
