package report

import (
	"fmt"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// Window is the period a review covers, and the one it is compared with.
// Start is inclusive and End exclusive; Prev ends where the period starts.
type Window struct {
	// Label names the period for a reader, such as "month 2026-11".
	Label      string
	Start, End time.Time
	PrevStart  time.Time
	// PrevCut is where the earlier period is read up to: its end, or for a
	// partial period the same point of the earlier one (on Nov 20 at noon,
	// October up to Oct 20 at noon), so that the change compares like with
	// like.
	PrevCut time.Time
	// Now is when the review was made. A period that has not ended by then
	// is partial, and its figures are those up to Now.
	Now time.Time
}

// Partial reports whether the period had not ended when the review was made.
func (w Window) Partial() bool { return w.Now.Before(w.End) }

// dataEnd is where the period's data ends: its end, or now for a partial
// period.
func (w Window) dataEnd() time.Time {
	if w.Partial() {
		return w.Now
	}
	return w.End
}

// PeriodWindow is the calendar period p, offset periods before the one that
// holds now (1 is the last closed period, 0 the current one), compared with
// the period before it.
func PeriodWindow(cal *calendar.Calendar, p calendar.Period, offset int, now time.Time) (Window, error) {
	if offset < 0 {
		return Window{}, fmt.Errorf("period offset %d is negative: 0 is the current period, 1 the last closed one", offset)
	}
	start, end := cal.Bounds(p, now)
	for range offset {
		start, end = cal.Bounds(p, start.Add(-time.Nanosecond))
	}
	prev, _ := cal.Bounds(p, start.Add(-time.Nanosecond))
	w := Window{Label: periodLabel(p, start), Start: start, End: end, PrevStart: prev, PrevCut: start, Now: now}
	if w.Partial() {
		_, w.PrevCut = cal.Shift(p, calendar.PreviousPeriod, now)
	}
	return w, nil
}

func periodLabel(p calendar.Period, start time.Time) string {
	switch p {
	case calendar.Month:
		return "month " + start.Format("2006-01")
	case calendar.Quarter:
		return fmt.Sprintf("quarter %d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
	case calendar.Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("week %d-W%02d", y, w)
	}
	return string(p) + " from " + start.Format(time.DateOnly)
}

// DatesWindow is the days from through to, both included, in the calendar's
// zone, compared with as many days just before them.
func DatesWindow(cal *calendar.Calendar, from, to calendar.Date, now time.Time) (Window, error) {
	loc := cal.Location()
	start := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, loc)
	end := time.Date(to.Year, to.Month, to.Day+1, 0, 0, 0, 0, loc)
	if !end.After(start) {
		return Window{}, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	if now.Before(start) {
		return Window{}, fmt.Errorf("the days from %s have not begun at %s", from, now.Format(time.RFC3339))
	}
	days := int(end.Sub(start).Round(24*time.Hour) / (24 * time.Hour))
	prev := time.Date(from.Year, from.Month, from.Day-days, 0, 0, 0, 0, loc)
	w := Window{Label: from.String() + " to " + to.String(), Start: start, End: end, PrevStart: prev, PrevCut: start, Now: now}
	if w.Partial() && now.After(start) {
		w.PrevCut = prev.Add(now.Sub(start))
	}
	return w, nil
}
