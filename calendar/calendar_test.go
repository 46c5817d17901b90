package calendar

import (
	"math"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func weekdays() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
}

func mustNew(t testing.TB, s Spec) *Calendar {
	t.Helper()
	c, errs := New(s)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestShanghaiPeriodsStartAtLocalMidnight(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := mustNew(t, Spec{Name: "cn", Location: sh, WeekStart: time.Monday, WorkDays: weekdays(), Hours: []Span{{0, 1440}}})
	// 00:10 on December 1st in Shanghai is 16:10 UTC on November 30th.
	at := time.Date(2026, 12, 1, 0, 10, 0, 0, sh)
	for _, p := range []struct {
		p          Period
		start, end time.Time
	}{
		{Day, time.Date(2026, 12, 1, 0, 0, 0, 0, sh), time.Date(2026, 12, 2, 0, 0, 0, 0, sh)},
		{Week, time.Date(2026, 11, 30, 0, 0, 0, 0, sh), time.Date(2026, 12, 7, 0, 0, 0, 0, sh)},
		{Month, time.Date(2026, 12, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh)},
		{Quarter, time.Date(2026, 10, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh)},
		{Year, time.Date(2026, 1, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh)},
	} {
		s, e := c.Bounds(p.p, at.UTC())
		if !s.Equal(p.start) || !e.Equal(p.end) {
			t.Errorf("%s at %v: [%v, %v), want [%v, %v)", p.p, at, s, e, p.start, p.end)
		}
	}
	if got, want := c.Elapsed(Month, at), 600.0/(31*86400); !near(got, want) {
		t.Errorf("month elapsed at 00:10 on the 1st: %v, want %v", got, want)
	}
	if got := c.Elapsed(Day, time.Date(2026, 12, 1, 12, 0, 0, 0, sh)); !near(got, 0.5) {
		t.Errorf("noon is %v of the day, want 0.5", got)
	}
}

func TestWeeksStartOnTheCalendarsFirstDay(t *testing.T) {
	c := mustNew(t, Spec{Name: "us", Location: time.UTC, WeekStart: time.Sunday, WorkDays: weekdays(), Hours: []Span{{0, 1440}}})
	s, _ := c.Bounds(Week, time.Date(2026, 12, 5, 23, 0, 0, 0, time.UTC)) // a Saturday
	if want := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC); !s.Equal(want) {
		t.Fatalf("week start %v, want the Sunday %v", s, want)
	}
}

func TestDaylightSavingDaysLastTwentyThreeAndTwentyFiveHours(t *testing.T) {
	be := mustLoad(t, "Europe/Berlin")
	c := mustNew(t, Spec{Name: "de", Location: be, WeekStart: time.Monday, WorkDays: weekdays(), Hours: []Span{{8 * 60, 17 * 60}}})
	for _, d := range []struct {
		name  string
		day   time.Time
		hours float64
	}{
		{"spring forward", time.Date(2026, 3, 29, 0, 0, 0, 0, be), 23},
		{"fall back", time.Date(2026, 10, 25, 0, 0, 0, 0, be), 25},
		{"an ordinary day", time.Date(2026, 10, 26, 0, 0, 0, 0, be), 24},
	} {
		t.Run(d.name, func(t *testing.T) {
			s, e := c.Bounds(Day, d.day.Add(6*time.Hour))
			if got := e.Sub(s).Hours(); got != d.hours {
				t.Fatalf("the day lasts %v hours, want %v", got, d.hours)
			}
			half := s.Add(time.Duration(d.hours / 2 * float64(time.Hour)))
			if got := c.Elapsed(Day, half); !near(got, 0.5) {
				t.Fatalf("half the real hours of the day is %v of it, want 0.5", got)
			}
		})
	}
	// The working hours are 08:00 to 17:00 by the clock on the short day
	// too: nine hours of work.
	day := time.Date(2026, 3, 30, 0, 0, 0, 0, be) // Monday after the change
	if got := c.WorkTime(day, day.AddDate(0, 0, 1)); got != 9*time.Hour {
		t.Fatalf("work on the Monday: %v, want 9h", got)
	}
	if got := c.Elapsed(Month, time.Date(2026, 3, 31, 23, 59, 59, 0, be)); got >= 1 || got < 0.9999 {
		t.Fatalf("the last second of March is %v of it", got)
	}
}

func TestHolidaysAndMakeUpDaysShapeWorkingTime(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	d := func(s string) Date {
		x, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	// National Day week 2026: October 1 to 7 off, Saturday October 10 worked.
	var hol []Date
	for _, s := range []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"} {
		hol = append(hol, d(s))
	}
	c := mustNew(t, Spec{Name: "cn", Location: sh, WeekStart: time.Monday, WorkDays: weekdays(),
		Hours: []Span{{9 * 60, 12 * 60}, {13 * 60, 18 * 60}}, Holidays: hol, WorkDates: []Date{d("2026-10-10")}})

	if c.IsWorkDay(d("2026-10-01")) || !c.IsWorkDay(d("2026-10-10")) || c.IsWorkDay(d("2026-10-11")) || !c.IsWorkDay(d("2026-10-12")) {
		t.Fatal("holidays and make-up days are not as given")
	}
	// October 2026 has 22 weekdays; 5 are holidays and 1 Saturday is worked:
	// 18 working days of 8 hours.
	s, e := c.Bounds(Month, time.Date(2026, 10, 15, 0, 0, 0, 0, sh))
	if got := c.WorkTime(s, e); got != 18*8*time.Hour {
		t.Fatalf("October's working time %v, want %v", got, 18*8*time.Hour)
	}
	// On the holidays no working time passes.
	first := c.WorkElapsed(Month, time.Date(2026, 10, 1, 23, 0, 0, 0, sh))
	last := c.WorkElapsed(Month, time.Date(2026, 10, 7, 23, 0, 0, 0, sh))
	if first != 0 || last != 0 {
		t.Fatalf("working share during the holidays: %v and %v, want 0", first, last)
	}
	// The make-up Saturday counts: by its end 3 of 18 days have been worked
	// (Oct 8, 9 and 10).
	if got := c.WorkElapsed(Month, time.Date(2026, 10, 10, 20, 0, 0, 0, sh)); !near(got, 3.0/18) {
		t.Fatalf("working share after the make-up Saturday: %v, want %v", got, 3.0/18)
	}
	// The lunch break is not working time.
	noon := c.WorkTime(time.Date(2026, 10, 12, 12, 0, 0, 0, sh), time.Date(2026, 10, 12, 13, 0, 0, 0, sh))
	if noon != 0 {
		t.Fatalf("lunch counted %v of work", noon)
	}
	// A day without working time has a share of 0.
	if got := c.WorkElapsed(Day, time.Date(2026, 10, 11, 15, 0, 0, 0, sh)); got != 0 {
		t.Fatalf("a Sunday's working share is %v, want 0", got)
	}
}

func TestShiftComparesTheSameElapsedPoint(t *testing.T) {
	sh := mustLoad(t, "Asia/Shanghai")
	c := mustNew(t, Spec{Name: "cn", Location: sh, WeekStart: time.Monday, WorkDays: weekdays(), Hours: []Span{{0, 1440}}})
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, sh) }
	for _, x := range []struct {
		name       string
		p          Period
		e          Earlier
		t          time.Time
		start, cut time.Time
	}{
		{"month to date against last month", Month, PreviousPeriod, at(2026, 12, 4, 12), at(2026, 11, 1, 0), at(2026, 11, 4, 12)},
		{"the 31st against a shorter month ends with it", Month, PreviousPeriod, at(2026, 3, 31, 12), at(2026, 2, 1, 0), at(2026, 3, 1, 0)},
		{"month to date against the same month last year", Month, PreviousYear, at(2026, 12, 4, 12), at(2025, 12, 1, 0), at(2025, 12, 4, 12)},
		{"a leap day against last year", Day, PreviousYear, at(2028, 2, 29, 6), at(2027, 3, 1, 0), at(2027, 3, 1, 6)},
		{"quarter to date against last quarter", Quarter, PreviousPeriod, at(2027, 1, 10, 8), at(2026, 10, 1, 0), at(2026, 10, 10, 8)},
		{"week to date against last week", Week, PreviousPeriod, at(2026, 12, 3, 9), at(2026, 11, 23, 0), at(2026, 11, 26, 9)},
		{"year to date against last year", Year, PreviousPeriod, at(2026, 12, 4, 12), at(2025, 1, 1, 0), at(2025, 12, 4, 12)},
	} {
		t.Run(x.name, func(t *testing.T) {
			s, cut := c.Shift(x.p, x.e, x.t)
			if !s.Equal(x.start) || !cut.Equal(x.cut) {
				t.Fatalf("got [%v, %v), want [%v, %v)", s.In(sh), cut.In(sh), x.start, x.cut)
			}
		})
	}
}

func TestBadSpecsSayWhatIsWrong(t *testing.T) {
	d, _ := ParseDate("2026-10-01")
	_, errs := New(Spec{Name: "x", Hours: []Span{{9 * 60, 12 * 60}, {11 * 60, 13 * 60}}, Holidays: []Date{d}, WorkDates: []Date{d}})
	want := []string{
		`calendar "x" has no time zone`,
		"working hours 11:00-13:00 overlap 09:00-12:00",
		"2026-10-01 is both a holiday and a make-up working day",
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %v", errs, want)
	}
	for i := range want {
		if errs[i].Error() != want[i] {
			t.Errorf("error %d: %q, want %q", i, errs[i], want[i])
		}
	}
	for _, s := range []string{"2026-02-30", "1.10.2026", ""} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted it", s)
		}
	}
	for _, s := range []string{"9-18", "18:00-09:00", "09:00-25:00", "09:00"} {
		if _, err := ParseSpan(s); err == nil {
			t.Errorf("ParseSpan(%q) accepted it", s)
		}
	}
	if sp, err := ParseSpan("13:00-24:00"); err != nil || sp != (Span{13 * 60, 24 * 60}) {
		t.Errorf("ParseSpan(13:00-24:00) = %v, %v", sp, err)
	}
}
