// Package calendar owns business time: a company's time zone, its week, its
// working hours, holidays and make-up working days, and the periods (day,
// week, month, quarter, year) counted in them. It answers, for an instant,
// where the current period starts and ends and how much of it has elapsed by
// wall time and by working time. It reads no configuration file and knows
// nothing of KPIs: the catalog builds calendars, the collector exports them.
package calendar

import (
	"fmt"
	"sort"
	"strings"
	"time"
	// The zone database is embedded so that a static binary computes
	// business time on a host without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Period is a span of business time that restarts on the calendar.
type Period string

// The periods.
const (
	Day     Period = "day"
	Week    Period = "week"
	Month   Period = "month"
	Quarter Period = "quarter"
	Year    Period = "year"
)

// Periods lists every period, shortest first.
var Periods = []Period{Day, Week, Month, Quarter, Year}

// Date is a day of the calendar, without a time or a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf is the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// at is the instant the wall clock shows hh:mm on d in loc. Across a
// daylight-saving change it follows time.Date's rules.
func (d Date) at(minute int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, minute, 0, 0, loc)
}

// Span is a stretch of the working day, in minutes after local midnight:
// [Start, End).
type Span struct{ Start, End int }

// ParseSpan reads a span written HH:MM-HH:MM; 24:00 ends the day.
func ParseSpan(s string) (Span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, fmt.Errorf("%q is not a span of working hours written HH:MM-HH:MM", s)
	}
	a, err := parseClock(strings.TrimSpace(from))
	if err != nil {
		return Span{}, fmt.Errorf("working hours %q: %w", s, err)
	}
	b, err := parseClock(strings.TrimSpace(to))
	if err != nil {
		return Span{}, fmt.Errorf("working hours %q: %w", s, err)
	}
	if b <= a {
		return Span{}, fmt.Errorf("working hours %q end before they start", s)
	}
	return Span{a, b}, nil
}

func parseClock(s string) (int, error) {
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day written HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Calendar is one company calendar. Build it with New; its zero value is
// not usable.
type Calendar struct {
	name      string
	loc       *time.Location
	weekStart time.Weekday
	workDays  [7]bool
	hours     []Span
	holidays  map[Date]bool
	workDates map[Date]bool
}

// Spec describes a calendar.
type Spec struct {
	Name string
	// Location is the IANA time zone.
	Location *time.Location
	// WeekStart is the first day of the week.
	WeekStart time.Weekday
	// WorkDays are the usual working days of the week.
	WorkDays []time.Weekday
	// Hours are the working hours of a working day, in order, not
	// overlapping.
	Hours []Span
	// Holidays are dates off even on a usual working day.
	Holidays []Date
	// WorkDates are make-up working days (调休): worked although their
	// weekday is not a usual working day.
	WorkDates []Date
}

// New builds a calendar from a spec, or says everything wrong with it.
func New(s Spec) (*Calendar, []error) {
	var errs []error
	c := &Calendar{name: s.Name, loc: s.Location, weekStart: s.WeekStart, holidays: map[Date]bool{}, workDates: map[Date]bool{}}
	if c.loc == nil {
		errs = append(errs, fmt.Errorf("calendar %q has no time zone", s.Name))
	}
	for _, d := range s.WorkDays {
		c.workDays[d] = true
	}
	hours := append([]Span(nil), s.Hours...)
	sort.Slice(hours, func(i, j int) bool { return hours[i].Start < hours[j].Start })
	for i, h := range hours {
		if h.Start < 0 || h.End > 24*60 || h.End <= h.Start {
			errs = append(errs, fmt.Errorf("working hours %s are not within one day", h))
		}
		if i > 0 && h.Start < hours[i-1].End {
			errs = append(errs, fmt.Errorf("working hours %s overlap %s", h, hours[i-1]))
		}
	}
	c.hours = hours
	for _, d := range s.Holidays {
		c.holidays[d] = true
	}
	for _, d := range s.WorkDates {
		if c.holidays[d] {
			errs = append(errs, fmt.Errorf("%s is both a holiday and a make-up working day", d))
		}
		c.workDates[d] = true
	}
	return c, errs
}

// UTC is the calendar of a catalog that names none: UTC, weeks from Monday,
// Monday to Friday from 00:00 to 24:00, no holidays.
func UTC() *Calendar {
	c, _ := New(Spec{Name: "utc", Location: time.UTC, WeekStart: time.Monday,
		WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Hours:    []Span{{0, 24 * 60}}})
	return c
}

func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// Name is the calendar's name in the catalog.
func (c *Calendar) Name() string { return c.name }

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// WorkDays are the usual working days, Sunday first.
func (c *Calendar) WorkDays() []time.Weekday {
	var out []time.Weekday
	for d, ok := range c.workDays {
		if ok {
			out = append(out, time.Weekday(d))
		}
	}
	return out
}

// Hours are the working hours of a working day, in order.
func (c *Calendar) Hours() []Span { return append([]Span(nil), c.hours...) }

// Holidays are the dates off, in order.
func (c *Calendar) Holidays() []Date { return sortedDates(c.holidays) }

// MakeUpDays are the dates worked although their weekday is not a usual
// working day, in order.
func (c *Calendar) MakeUpDays() []Date { return sortedDates(c.workDates) }

func sortedDates(m map[Date]bool) []Date {
	out := make([]Date, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Bounds returns the start and the end of the period p that holds t, as
// instants: local midnight of its first day and of the day after its last.
func (c *Calendar) Bounds(p Period, t time.Time) (start, end time.Time) {
	l := t.In(c.loc)
	y, m, d := l.Date()
	switch p {
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, c.loc), time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
	case Week:
		back := (int(l.Weekday()) - int(c.weekStart) + 7) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, c.loc), time.Date(y, m, d-back+7, 0, 0, 0, 0, c.loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, c.loc), time.Date(y, m+1, 1, 0, 0, 0, 0, c.loc)
	case Quarter:
		q := time.Month((int(m)-1)/3*3 + 1)
		return time.Date(y, q, 1, 0, 0, 0, 0, c.loc), time.Date(y, q+3, 1, 0, 0, 0, 0, c.loc)
	case Year:
		return time.Date(y, 1, 1, 0, 0, 0, 0, c.loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, c.loc)
	}
	panic(fmt.Sprintf("calendar: unknown period %q", p))
}

// Elapsed is the share of p's current period that has passed at t by the
// wall clock, in real seconds: a 23-hour day is half over 11.5 hours after
// its midnight.
func (c *Calendar) Elapsed(p Period, t time.Time) float64 {
	start, end := c.Bounds(p, t)
	return t.Sub(start).Seconds() / end.Sub(start).Seconds()
}

// WorkElapsed is the share of p's current period's working time that has
// passed at t. A period without working time (a holiday, a weekend) has a
// share of 0: no target is due in it.
func (c *Calendar) WorkElapsed(p Period, t time.Time) float64 {
	start, end := c.Bounds(p, t)
	total := c.WorkTime(start, end)
	if total == 0 {
		return 0
	}
	return c.WorkTime(start, t).Seconds() / total.Seconds()
}

// IsWorkDay reports whether d is a working day: a usual working day that is
// not a holiday, or a make-up working day.
func (c *Calendar) IsWorkDay(d Date) bool {
	if c.workDates[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	return c.workDays[time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()]
}

// WorkTime is the working time between from and to.
func (c *Calendar) WorkTime(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	var total time.Duration
	l := from.In(c.loc)
	for day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		d := DateOf(day)
		if !c.IsWorkDay(d) {
			continue
		}
		for _, h := range c.hours {
			a, b := d.at(h.Start, c.loc), d.at(h.End, c.loc)
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				total += b.Sub(a)
			}
		}
	}
	return total
}

// Earlier says which earlier period a comparison looks at.
type Earlier string

// The comparisons.
const (
	PreviousPeriod Earlier = "previous_period"
	PreviousYear   Earlier = "previous_year"
)

// Shift returns the bounds of the earlier period e compares p's current
// period with, cut at the same elapsed point: on Dec 4 12:00 the month to
// date is Dec 1 to Dec 4 12:00, and the previous period's is Nov 1 to Nov 4
// 12:00. The point is counted in local days and clock time from the period's
// start, and never passes the earlier period's end (March 31 against
// February).
func (c *Calendar) Shift(p Period, e Earlier, t time.Time) (start, cut time.Time) {
	cur, _ := c.Bounds(p, t)
	var prev time.Time
	switch {
	case e == PreviousYear:
		cs := cur.In(c.loc)
		prev = time.Date(cs.Year()-1, cs.Month(), cs.Day(), 0, 0, 0, 0, c.loc)
		if p == Week {
			// The same week of the previous year: 52 weeks back keeps the
			// weekday.
			prev = time.Date(cs.Year(), cs.Month(), cs.Day()-52*7, 0, 0, 0, 0, c.loc)
		}
	default:
		prev, _ = c.Bounds(p, cur.Add(-time.Nanosecond))
	}
	_, prevEnd := c.Bounds(p, prev)
	l := t.In(c.loc)
	days := daysBetween(DateOf(cur.In(c.loc)), DateOf(l))
	ps := prev.In(c.loc)
	cut = time.Date(ps.Year(), ps.Month(), ps.Day()+days, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), c.loc)
	if cut.After(prevEnd) {
		cut = prevEnd
	}
	return prev, cut
}

func daysBetween(a, b Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}
