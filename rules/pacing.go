package rules

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// periods lists the periods in calendar order.
var periods = []catalog.Period{catalog.PeriodDay, catalog.PeriodWeek, catalog.PeriodMonth, catalog.PeriodQuarter, catalog.PeriodYear}

// calendarLabels select the exporter's series of the KPI's calendar and
// period.
func (x kpiCtx) calendarLabels() map[string]string {
	return map[string]string{catalog.LabelCalendar: x.c.CalendarName(x.k), catalog.LabelPeriod: string(x.k.Period)}
}

func (x kpiCtx) working() bool { return x.k.Accrual == catalog.AccrueWorking }

// elapsedSelector selects the KPI's recorded share of its period elapsed.
// The record is in the KPI's own group, before every rule that reads it, so
// they all see the share of their own evaluation.
func (x kpiCtx) elapsedSelector() string { return x.rec(catalog.OpPeriodElapsed) }

// elapsedExpr is the PromQL of the share of the KPI's period elapsed in its
// calendar. PromQL counts calendars in UTC only, so the exporter computes
// business time and serves each period's bounds and its working-time share;
// by wall time the share is computed at evaluation time from the bounds, so
// it is exact, daylight saving included. Right after a period ends, until
// the next scrape brings the new bounds, there is no share: nothing paces on
// the old period's bounds.
func (x kpiCtx) elapsedExpr() string {
	sel := selector("", x.calendarLabels())
	start, end := catalog.CalendarPeriodStart+sel, catalog.CalendarPeriodEnd+sel
	current := " and on() (time() < " + end + ")"
	if x.working() {
		l := x.calendarLabels()
		l[catalog.LabelBasis] = catalog.BasisWork
		return "(" + selector(catalog.CalendarPeriodElapsed, l) + current + ")"
	}
	return "((time() - " + start + ") / (" + end + " - " + start + ")" + current + ")"
}

// pacingRecords compare a period KPI with the share of its target that should
// have been reached by now: expected_to_date = target × elapsed fraction.
func (x kpiCtx) pacingRecords() []rulefmt.Rule {
	if x.k.Period == catalog.PeriodNone || !x.k.HasTarget() {
		return nil
	}
	v, e := x.rec(catalog.OpValue), x.rec(catalog.OpExpectedToDate)
	expected := x.rec(catalog.OpTarget) + " * on() group_left() " + x.elapsedSelector()
	pacing := v + " / " + x.on() + " (" + e + " > 0)"
	if !x.higher() {
		pacing = e + " / " + x.on() + " (" + v + " > 0)"
	}
	return []rulefmt.Rule{
		x.record(catalog.OpPeriodElapsed, x.elapsedExpr()),
		x.record(catalog.OpExpectedToDate, expected),
		x.record(catalog.OpPacing, pacing),
	}
}

// calendarAt is what the exporter serves for the KPI's calendar and period at
// t: the period's bounds in Unix seconds and its working-time share.
func (x kpiCtx) calendarAt(t time.Time) (start, end, work float64) {
	cal, p := x.c.CalendarOf(x.k), calendar.Period(x.k.Period)
	s, e := cal.Bounds(p, t)
	if x.working() {
		work = cal.WorkElapsed(p, t) // only read by a working-time accrual
	}
	return float64(s.Unix()), float64(e.Unix()), work
}

// shareAt is the value elapsedSelector has at evaluation time at (counted
// from the tests' epoch) when the exporter was scraped at at itself,
// computed the way PromQL computes it.
func (x kpiCtx) shareAt(at time.Duration) float64 {
	start, end, work := x.calendarAt(epoch.Add(at))
	if x.working() {
		return work
	}
	now := float64(at / time.Second)
	return (now - start) / (end - start)
}

// calendarSeries are the exporter's calendar series for a test group of the
// KPI: one sample per step from the epoch through until.
func (x kpiCtx) calendarSeries(step, until time.Duration) []InputSeries {
	n := int(until/step) + 2
	starts, ends, works := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		starts[i], ends[i], works[i] = x.calendarAt(epoch.Add(time.Duration(i) * step))
	}
	l := x.calendarLabels()
	out := []InputSeries{
		{Series: selector(catalog.CalendarPeriodStart, l), Values: list(starts)},
		{Series: selector(catalog.CalendarPeriodEnd, l), Values: list(ends)},
	}
	if x.working() {
		l[catalog.LabelBasis] = catalog.BasisWork
		out = append(out, InputSeries{Series: selector(catalog.CalendarPeriodElapsed, l), Values: list(works)})
	}
	return out
}

// shareSample is the recorded share of the KPI's period elapsed.
func (x kpiCtx) shareSample(v float64) ExpSample {
	l := x.calendarLabels()
	if x.working() {
		l[catalog.LabelBasis] = catalog.BasisWork
	}
	for k, v := range x.ownerLabels() {
		l[k] = v
	}
	return ExpSample{Labels: selector(x.rec(catalog.OpPeriodElapsed), l), Value: v}
}

// zoneText says how the KPI's period is counted, for descriptions.
func (x kpiCtx) zoneText() string {
	how := x.t.WallTime
	if x.working() {
		how = x.t.WorkTime
	}
	return fmt.Sprintf(x.t.ZoneF, x.c.CalendarName(x.k), x.c.CalendarOf(x.k).Location().String(), how)
}
