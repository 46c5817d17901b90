package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// anomalyOffset is how far the baseline window ends before now, so that an
// anomaly that lasts the alert's for duration is not yet part of the baseline
// it is measured against.
func (x kpiCtx) anomalyOffset() time.Duration {
	return x.k.Anomaly.For.D() + maxDur(x.interval(), time.Minute)
}

// anomalyRecords record the trailing baseline (mean and standard deviation of
// the value over the window) and the z-score against it. A flat baseline
// (zero deviation) gives no z-score rather than a division by zero.
func (x kpiCtx) anomalyRecords() []rulefmt.Rule {
	a := x.k.Anomaly
	if a == nil {
		return nil
	}
	v := x.rec(catalog.OpValue)
	win := "[" + durStr(a.Window.D()) + "] offset " + durStr(x.anomalyOffset())
	avg, sd := x.rec(catalog.OpBaselineAvg), x.rec(catalog.OpBaselineStddev)
	return []rulefmt.Rule{
		x.record(catalog.OpBaselineAvg, "avg_over_time("+v+win+")"),
		x.record(catalog.OpBaselineStddev, "stddev_over_time("+v+win+")"),
		x.record(catalog.OpZScore, "("+v+" - "+x.on()+" "+avg+") / "+x.on()+" ("+sd+" > 0)"),
	}
}

func (x kpiCtx) anomalyAlerts() []rulefmt.Rule {
	a := x.k.Anomaly
	if a == nil {
		return nil
	}
	n := fmtFloat(a.StdDevs)
	summary := fmt.Sprintf(x.t.AnomalySummaryF, x.title(), x.queryValue(x.rec(catalog.OpValue)), n, x.t.Span(a.Window.D()))
	desc := x.withOwner(fmt.Sprintf(x.t.AnomalyDescF, x.t.Span(a.Window.D()), x.t.Span(x.anomalyOffset())))
	return []rulefmt.Rule{{
		Alert:       catalog.AlertAnomaly,
		Expr:        "abs(" + x.rec(catalog.OpZScore) + ") > " + n,
		For:         md(a.For.D()),
		Labels:      x.alertLabels(catalog.SeverityWarning),
		Annotations: x.annotations(summary, desc),
	}}
}
