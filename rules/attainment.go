package rules

import (
	"strings"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// attainmentRecords records the KPI's value and target once per label set,
// without the job and instance of whichever exporter replica served them, and
// with the kpi, team and owner labels that routing needs; then the attainment
// ratio, defined so that above 1 is good in either direction.
func (x kpiCtx) attainmentRecords() []rulefmt.Rule {
	out := []rulefmt.Rule{x.record(catalog.OpValue, x.dedup(x.metric))}
	if !x.k.HasTarget() {
		return out
	}
	out = append(out, x.record(catalog.OpTarget, x.dedup(x.k.TargetMetricName())))
	v, t := x.rec(catalog.OpValue), x.rec(catalog.OpTarget)
	expr := v + " / " + x.on() + " (" + t + " > 0)"
	if !x.higher() {
		// Lower is better: target over value, so that beating the target
		// (a value below it) reads above 1.
		expr = t + " / " + x.on() + " (" + v + " > 0)"
	}
	return append(out, x.record(catalog.OpAttainment, expr))
}

// dedup keeps one series per label set of the KPI.
func (x kpiCtx) dedup(metric string) string {
	if len(x.by) == 0 {
		return "max(" + metric + ")"
	}
	return "max by (" + strings.Join(x.by, ", ") + ") (" + metric + ")"
}
