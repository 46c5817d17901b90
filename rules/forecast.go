package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// forecastGate is the elapsed fraction of its period before which no forecast
// is made: right after a period starts, value over elapsed time is noise.
const forecastGate = 0.25

// periodLength is the shortest length of a period, for bounding durations.
func periodLength(p catalog.Period) time.Duration {
	switch p {
	case catalog.PeriodDay:
		return 24 * time.Hour
	case catalog.PeriodWeek:
		return 7 * 24 * time.Hour
	case catalog.PeriodMonth:
		return 28 * 24 * time.Hour
	case catalog.PeriodQuarter:
		return 90 * 24 * time.Hour
	}
	return 0
}

// forecastRecords record the value the KPI ends its period at if it keeps its
// pace so far: value over the elapsed fraction.
func (x kpiCtx) forecastRecords() []rulefmt.Rule {
	if !x.k.ForecastEnabled() {
		return nil
	}
	expr := x.rec(catalog.OpValue) + " / on() group_left() (" + x.elapsedSelector() + " > 0)"
	return []rulefmt.Rule{x.record(catalog.OpForecast, expr)}
}

// forecastFor is two intervals, at least 30 minutes, and at most a tenth of
// the period so the owner still hears early.
func (x kpiCtx) forecastFor() time.Duration {
	return min(maxDur(2*x.interval(), 30*time.Minute), periodLength(x.k.Period)/10)
}

func (x kpiCtx) forecastAlerts() []rulefmt.Rule {
	if !x.k.ForecastEnabled() {
		return nil
	}
	cmp, side := " < ", x.t.Side(x.k.Direction)
	if !x.higher() {
		cmp = " > "
	}
	expr := "(" + x.rec(catalog.OpForecast) + cmp + x.on() + " " + x.rec(catalog.OpTarget) + ")" +
		" and on() (" + x.elapsedSelector() + " >= " + fmtFloat(forecastGate) + ")"
	period := x.t.Period(x.k.Period)
	summary := fmt.Sprintf(x.t.ForecastSummaryF, x.title(), period, x.value("$value"), side, x.queryValue(x.rec(catalog.OpTarget)))
	desc := x.withOwner(fmt.Sprintf(x.t.ForecastDescF, period, x.zoneText()))
	return []rulefmt.Rule{{
		Alert:       catalog.AlertForecastMiss,
		Expr:        expr,
		For:         md(x.forecastFor()),
		Labels:      x.alertLabels(catalog.SeverityWarning),
		Annotations: x.annotations(summary, desc),
	}}
}
