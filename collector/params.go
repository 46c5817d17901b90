package collector

import (
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

// Window is what a run's period parameters describe: the period's start
// and end and the run's now. A comparison's window is the earlier period up
// to the same elapsed point, and its End and Now are both that point.
type Window struct {
	Start, End, Now time.Time
	loc             *time.Location
}

// WindowOf is the window of k's period at now in k's calendar, or of the
// earlier period e compares it with. A KPI without a period has only Now.
func WindowOf(cat *catalog.Catalog, k *catalog.KPI, now time.Time, e calendar.Earlier) Window {
	cal := cat.CalendarOf(k)
	w := Window{Now: now, loc: cal.Location()}
	if k.Period == catalog.PeriodNone {
		return w
	}
	p := calendar.Period(k.Period)
	if e == "" {
		w.Start, w.End = cal.Bounds(p, now)
		return w
	}
	w.Start, w.End = cal.Shift(p, e, now)
	w.Now = w.End
	return w
}

// sqliteTimeLayout is how SQLite's own date functions write a time
// (datetime('now'), datetime(x, 'unixepoch')): UTC, so the bound text
// compares with theirs as text.
const sqliteTimeLayout = "2006-01-02 15:04:05"

// value is the parameter's value for a driver. Timestamps go as time.Time
// in the calendar's zone: pgx binds timestamptz (the instant) and, against a
// timestamp column, the calendar's wall clock; go-sql-driver sends them in
// the session's zone, which the MySQL dialect forces to UTC; go-mssqldb
// sends a datetimeoffset. SQLite has no time type: it gets UTC text in its
// own layout. Dates are text YYYY-MM-DD in the calendar's zone, the end
// exclusive: the first day not in the window.
func (w Window) value(name string, driver catalog.Driver) any {
	var t time.Time
	switch name {
	case catalog.ParamPeriodStart, catalog.ParamPeriodStartUnix, catalog.ParamPeriodStartDate:
		t = w.Start
	case catalog.ParamPeriodEnd, catalog.ParamPeriodEndUnix:
		t = w.End
	case catalog.ParamPeriodEndDate:
		t = w.End.In(w.loc)
		if d := calendar.DateOf(t); !t.Equal(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, w.loc)) {
			t = time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, w.loc) // a cut in the middle of a day keeps that day
		}
	default:
		t = w.Now
	}
	switch {
	case strings.HasSuffix(name, "_unix"):
		return t.Unix()
	case strings.HasSuffix(name, "_date"):
		return calendar.DateOf(t.In(w.loc)).String()
	case driver == catalog.DriverSQLite:
		return t.UTC().Format(sqliteTimeLayout)
	}
	return t.In(w.loc)
}

// Bind rewrites sql's :name parameters to the placeholders of driver and
// returns the values of window w in their order, as the exporter passes
// them to the driver.
func Bind(sql string, driver catalog.Driver, w Window) (string, []any) {
	text, _, args := bindNamed(sql, driver, w)
	return text, args
}

// bindNamed is Bind that also returns the parameters' names, in the order
// of their values.
func bindNamed(sql string, driver catalog.Driver, w Window) (string, []string, []any) {
	if !strings.Contains(sql, ":") {
		return sql, nil, nil
	}
	text, names := sqltext.Bind(sql, catalog.SQLDialect(driver))
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = w.value(n, driver)
	}
	return text, names, args
}
