package report

import (
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

func TestPeriodWindows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cal, errs := calendar.New(calendar.Spec{Name: "berlin", Location: berlin, WeekStart: time.Monday})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) // a Friday
	for _, c := range []struct {
		name             string
		cal              *calendar.Calendar
		p                calendar.Period
		offset           int
		label            string
		start, end, prev time.Time
		partial          bool
	}{
		{"the last closed month", calendar.UTC(), calendar.Month, 1, "month 2026-11",
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), false},
		{"the current month is partial", calendar.UTC(), calendar.Month, 0, "month 2026-12",
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), true},
		{"the quarter before last", calendar.UTC(), calendar.Quarter, 2, "quarter 2026-Q2",
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"the last closed week starts at Monday midnight in Berlin", cal, calendar.Week, 1, "week 2026-W48",
			time.Date(2026, 11, 23, 0, 0, 0, 0, berlin), time.Date(2026, 11, 30, 0, 0, 0, 0, berlin), time.Date(2026, 11, 16, 0, 0, 0, 0, berlin), false},
		{"a month across the end of summer time in Berlin", cal, calendar.Month, 2, "month 2026-10",
			time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), time.Date(2026, 11, 1, 0, 0, 0, 0, berlin), time.Date(2026, 9, 1, 0, 0, 0, 0, berlin), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := PeriodWindow(c.cal, c.p, c.offset, now)
			if err != nil {
				t.Fatal(err)
			}
			wantCut := c.start
			if c.partial {
				// The same point of the month before: Nov 4 at 10:00.
				wantCut = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)
			}
			if !w.PrevCut.Equal(wantCut) {
				t.Errorf("the earlier period is read up to %s, want %s", w.PrevCut, wantCut)
			}
			if w.Label != c.label || !w.Start.Equal(c.start) || !w.End.Equal(c.end) || !w.PrevStart.Equal(c.prev) || w.Partial() != c.partial {
				t.Errorf("got %s %s..%s after %s partial %v; want %s %s..%s after %s partial %v",
					w.Label, w.Start, w.End, w.PrevStart, w.Partial(), c.label, c.start, c.end, c.prev, c.partial)
			}
		})
	}
}

func TestDatesWindowComparesWithAsManyDaysBefore(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	w, err := DatesWindow(calendar.UTC(), calendar.Date{Year: 2026, Month: 11, Day: 10}, calendar.Date{Year: 2026, Month: 11, Day: 16}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Start.Equal(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)) || !w.End.Equal(time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)) ||
		!w.PrevStart.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %s..%s after %s", w.Start, w.End, w.PrevStart)
	}
	if _, err := DatesWindow(calendar.UTC(), calendar.Date{Year: 2026, Month: 11, Day: 10}, calendar.Date{Year: 2026, Month: 11, Day: 9}, now); err == nil {
		t.Error("--to before --from is accepted")
	}
	if _, err := DatesWindow(calendar.UTC(), calendar.Date{Year: 2026, Month: 12, Day: 5}, calendar.Date{Year: 2026, Month: 12, Day: 9}, now); err == nil {
		t.Error("days that have not begun are accepted")
	}
	// Days not over yet: the days before are read up to the same point.
	w, err = DatesWindow(calendar.UTC(), calendar.Date{Year: 2026, Month: 12, Day: 1}, calendar.Date{Year: 2026, Month: 12, Day: 7}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Partial() || !w.PrevCut.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("partial %v, earlier days read up to %s; want partial, up to Nov 27 10:00", w.Partial(), w.PrevCut)
	}
}
