package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// thresholdWarmup is catalog.ThresholdWarmUp, which the scorecard also reads.
const thresholdWarmup = catalog.ThresholdWarmUp

// level is one threshold of a KPI with its severity and record.
type level struct {
	severity string
	alert    string
	op       string
	t        catalog.Threshold
}

func (x kpiCtx) levels() []level {
	th := x.k.Thresholds
	if th == nil {
		return nil
	}
	var out []level
	if th.Warning != nil {
		out = append(out, level{catalog.SeverityWarning, catalog.AlertThresholdWarning, catalog.OpThresholdWarning, *th.Warning})
	}
	if th.Critical != nil {
		out = append(out, level{catalog.SeverityCritical, catalog.AlertThresholdCritical, catalog.OpThresholdCritical, *th.Critical})
	}
	return out
}

// percentBase is the record a percent threshold is a share of: the
// expected-to-date target for a period KPI, else the target.
func (x kpiCtx) percentBase() string {
	if x.k.Period != catalog.PeriodNone {
		return x.rec(catalog.OpExpectedToDate)
	}
	return x.rec(catalog.OpTarget)
}

// thresholdRecords record each threshold per label set, so that alerts,
// dashboards and percent-of-target thresholds all read one series. A percent
// threshold exists only where a target exists, so it can never fire on a
// missing target.
func (x kpiCtx) thresholdRecords() []rulefmt.Rule {
	var out []rulefmt.Rule
	for _, l := range x.levels() {
		expr := "0 * " + x.rec(catalog.OpValue) + " + " + fmtFloat(l.t.Value)
		if l.t.OfTarget {
			expr = x.percentBase() + " * " + fmtFloat(l.t.Ratio())
		}
		out = append(out, x.record(l.op, expr))
	}
	return out
}

// thresholdFor is how long a breach must last before it fires: two
// collection intervals, at least one scrape interval (a minute by default),
// and for a period KPI at most a tenth of its period.
func (x kpiCtx) thresholdFor() time.Duration {
	d := maxDur(2*x.interval(), x.scrape())
	if x.k.Period != catalog.PeriodNone {
		d = min(d, periodLength(x.k.Period)/10)
	}
	return d
}

// thresholdKeepFiring keeps a fired threshold alert firing through brief
// recoveries, so a value hovering at the threshold does not flap: two
// collection intervals, at least five scrape intervals.
func (x kpiCtx) thresholdKeepFiring() time.Duration { return maxDur(2*x.interval(), 5*x.scrape()) }

// gated reports whether the thresholds wait for the period's warm-up.
func (x kpiCtx) gated(l level) bool { return l.t.OfTarget && x.k.Period != catalog.PeriodNone }

func (x kpiCtx) thresholdAlerts() []rulefmt.Rule {
	var out []rulefmt.Rule
	cmp, side := " < ", x.t.Side(x.k.Direction)
	if !x.higher() {
		cmp = " > "
	}
	for _, l := range x.levels() {
		expr := x.rec(catalog.OpValue) + cmp + x.on() + " " + x.rec(l.op)
		if x.gated(l) {
			expr = "(" + expr + ") and on() (" + x.elapsedSelector() + " >= " + fmtFloat(thresholdWarmup) + ")"
		}
		sev := x.t.Severity(l.severity)
		summary := fmt.Sprintf(x.t.ThresholdSummaryF, x.title(), x.value("$value"), side, sev,
			x.queryValue(x.rec(l.op)), x.targetPart())
		level := fmt.Sprintf(x.t.ThresholdDescF, sev, x.t.Amount(x.k, l.t.Value))
		if l.t.OfTarget {
			level = fmt.Sprintf(x.t.ThresholdDescOfTargetF, sev, l.t.String())
			if x.k.Period != catalog.PeriodNone {
				level = fmt.Sprintf(x.t.ThresholdDescOfPeriodTargetF, sev, l.t.String(), x.t.Period(x.k.Period), x.zoneText())
			}
		}
		desc := x.withOwner(level)
		out = append(out, rulefmt.Rule{
			Alert:         l.alert,
			Expr:          expr,
			For:           md(x.thresholdFor()),
			KeepFiringFor: md(x.thresholdKeepFiring()),
			Labels:        x.alertLabels(l.severity),
			Annotations:   x.annotations(summary, desc),
		})
	}
	return out
}

// targetPart renders the target (and the expected-to-date target of a period
// KPI) for a summary.
func (x kpiCtx) targetPart() string {
	if !x.k.HasTarget() {
		return ""
	}
	t := x.queryValue(x.rec(catalog.OpTarget))
	if x.k.Period == catalog.PeriodNone {
		return fmt.Sprintf(x.t.TargetPartF, t)
	}
	return fmt.Sprintf(x.t.TargetPartPeriodF, x.queryValue(x.rec(catalog.OpExpectedToDate)), x.t.Period(x.k.Period), t)
}
