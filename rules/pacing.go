package rules

import (
	"math"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// calendarGroup is the rule group holding the elapsed fraction of each UTC
// period in use. It is evaluated independently of the team groups; a team
// group reads at most one evaluation old values from it.
const calendarGroup = "kpi_exporter.calendar"

// periods lists the periods in calendar order.
var periods = []catalog.Period{catalog.PeriodDay, catalog.PeriodWeek, catalog.PeriodMonth, catalog.PeriodQuarter}

// leapExpr is 1 in a leap year and 0 otherwise (Gregorian rules).
const leapExpr = "((year() % 4 == bool 0) - (year() % 100 == bool 0) + (year() % 400 == bool 0))"

// elapsedExpr returns the PromQL of the fraction of the current UTC period
// that has elapsed. It uses only functions Prometheus 2.42 already has (no
// day_of_year), and elapsedAt mirrors it operation by operation so that
// generated tests can expect exact values.
func elapsedExpr(p catalog.Period) string {
	switch p {
	case catalog.PeriodDay:
		return "vector(time() % 86400 / 86400)"
	case catalog.PeriodWeek:
		// ISO weeks start on Monday; 1970-01-01 was a Thursday, three days
		// after a Monday.
		return "vector((time() + 259200) % 604800 / 604800)"
	case catalog.PeriodMonth:
		return "((day_of_month() - 1) * 86400 + time() % 86400) / (days_in_month() * 86400)"
	case catalog.PeriodQuarter:
		// Days of the quarter before the current month, and the days of the
		// whole quarter, by month number.
		return "((31 * (month() == bool 2) + (59 + " + leapExpr + ") * (month() == bool 3)" +
			" + 30 * (month() == bool 5) + 61 * (month() == bool 6)" +
			" + 31 * (month() == bool 8) + 62 * (month() == bool 9)" +
			" + 31 * (month() == bool 11) + 61 * (month() == bool 12)" +
			" + day_of_month() - 1) * 86400 + time() % 86400)" +
			" / ((90 + (month() <= bool 3) * " + leapExpr + " + (month() > bool 3) + (month() > bool 6)) * 86400)"
	}
	return ""
}

// elapsedAt is the value elapsedExpr(p) has at t, computed the way PromQL does.
func elapsedAt(p catalog.Period, t time.Time) float64 {
	t = t.UTC()
	ts := float64(t.Unix())
	switch p {
	case catalog.PeriodDay:
		return math.Mod(ts, 86400) / 86400
	case catalog.PeriodWeek:
		return math.Mod(ts+259200, 604800) / 604800
	case catalog.PeriodMonth:
		dim := float64(time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day())
		return (float64(t.Day()-1)*86400 + math.Mod(ts, 86400)) / (dim * 86400)
	case catalog.PeriodQuarter:
		y := t.Year()
		leap := 0.0
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			leap = 1
		}
		before := map[time.Month]float64{2: 31, 3: 59 + leap, 5: 30, 6: 61, 8: 31, 9: 62, 11: 31, 12: 61}[t.Month()]
		days := 90.0
		switch {
		case t.Month() <= 3:
			days += leap
		case t.Month() <= 6:
			days++
		default:
			days += 2
		}
		return ((before+float64(t.Day())-1)*86400 + math.Mod(ts, 86400)) / (days * 86400)
	}
	return 0
}

// calendarRules records the elapsed fraction of every period in use.
func calendarRules(used map[catalog.Period]bool) []rulefmt.Rule {
	var out []rulefmt.Rule
	for _, p := range periods {
		if used[p] {
			out = append(out, rulefmt.Rule{
				Record: catalog.PeriodElapsedRecord,
				Expr:   elapsedExpr(p),
				Labels: map[string]string{catalog.LabelPeriod: string(p)},
			})
		}
	}
	return out
}

// elapsedSelector selects the recorded elapsed fraction of the KPI's period.
func (x kpiCtx) elapsedSelector() string {
	return catalog.PeriodElapsedRecord + "{" + catalog.LabelPeriod + "=" + strconv.Quote(string(x.k.Period)) + "}"
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
		x.record(catalog.OpExpectedToDate, expected),
		x.record(catalog.OpPacing, pacing),
	}
}

// periodStart returns the start of the UTC period holding t.
func periodStart(p catalog.Period, t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	switch p {
	case catalog.PeriodDay:
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case catalog.PeriodWeek:
		wd := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
	case catalog.PeriodMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case catalog.PeriodQuarter:
		return time.Date(y, ((m-1)/3)*3+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// periodEnd returns the end of the UTC period that starts at start.
func periodEnd(p catalog.Period, start time.Time) time.Time {
	switch p {
	case catalog.PeriodDay:
		return start.AddDate(0, 0, 1)
	case catalog.PeriodWeek:
		return start.AddDate(0, 0, 7)
	case catalog.PeriodMonth:
		return start.AddDate(0, 1, 0)
	case catalog.PeriodQuarter:
		return start.AddDate(0, 3, 0)
	}
	return start
}
