package collector

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPeriodParameterValues: the values bound for each parameter, at a
// clock time just after a month starts in Shanghai (still November in UTC),
// and for the comparisons at Dec 4 12:00.
func TestPeriodParameterValues(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	cat := loadCatalog(t, `
global: {calendar: cn}
calendars:
  cn: {timezone: Asia/Shanghai}
sources:
  db: {driver: postgres, dsn: "postgres://kpi@db/sales"}
kpis:
  - {name: revenue_mtd, unit: count, team: sales, source: db, period: month, target: {value: 1}, value: v,
     compare: [previous_period, previous_year], sql: "SELECT 1 AS v"}
`)
	k := cat.KPI("revenue_mtd")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	clock := newFakeClock()
	clock.now = at("2026-12-01 00:10:00")
	w := WindowOf(cat, k, clock.Now(), "")
	for _, tc := range []struct {
		name   string
		w      Window
		driver catalog.Driver
		param  string
		want   any
	}{
		{"period_start is local midnight of the 1st, as an instant", w, catalog.DriverPostgres, catalog.ParamPeriodStart, at("2026-12-01 00:00:00")},
		{"period_end is local midnight of the next month", w, catalog.DriverMySQL, catalog.ParamPeriodEnd, at("2027-01-01 00:00:00")},
		{"now is the clock's time", w, catalog.DriverMSSQL, catalog.ParamNow, at("2026-12-01 00:10:00")},
		{"SQLite gets UTC text in its own layout", w, catalog.DriverSQLite, catalog.ParamPeriodStart, "2026-11-30 16:00:00"},
		{"the start date is the local date", w, catalog.DriverSQLite, catalog.ParamPeriodStartDate, "2026-12-01"},
		{"the end date is the first day after the period", w, catalog.DriverPostgres, catalog.ParamPeriodEndDate, "2027-01-01"},
		{"the start in Unix seconds", w, catalog.DriverSQLite, catalog.ParamPeriodStartUnix, int64(1796054400)},
		{"the end in Unix seconds", w, catalog.DriverMySQL, catalog.ParamPeriodEndUnix, int64(1798732800)},
		{"now in Unix seconds", w, catalog.DriverMySQL, catalog.ParamNowUnix, int64(1796055000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.w.value(tc.param, tc.driver)
			if gt, ok := got.(time.Time); ok {
				if wt := tc.want.(time.Time); !gt.Equal(wt) || gt.Location().String() != sh.String() {
					t.Errorf("%s = %v, want %v in the calendar's zone", tc.param, gt, wt)
				}
				return
			}
			if got != tc.want {
				t.Errorf("%s = %#v, want %#v", tc.param, got, tc.want)
			}
		})
	}

	clock.now = at("2026-12-04 12:00:00")
	for _, tc := range []struct {
		e                  calendar.Earlier
		start, end, endDay string
	}{
		{calendar.PreviousPeriod, "2026-11-01 00:00:00", "2026-11-04 12:00:00", "2026-11-05"},
		{calendar.PreviousYear, "2025-12-01 00:00:00", "2025-12-04 12:00:00", "2025-12-05"},
	} {
		t.Run(string(tc.e)+" ends where the current period stands, and so does its now", func(t *testing.T) {
			w := WindowOf(cat, k, clock.Now(), tc.e)
			if !w.Start.Equal(at(tc.start)) || !w.End.Equal(at(tc.end)) || !w.Now.Equal(at(tc.end)) {
				t.Errorf("window %v .. %v (now %v), want %s .. %s", w.Start, w.End, w.Now, tc.start, tc.end)
			}
			if got := w.value(catalog.ParamPeriodEndDate, catalog.DriverMySQL); got != tc.endDay {
				t.Errorf("period_end_date = %v, want %s: the cut's day is counted", got, tc.endDay)
			}
		})
	}
}

// periodEngine is one database and its SQL for the month-boundary check.
type periodEngine struct {
	driver catalog.Driver
	dsn    string
	admin  *sql.DB
	// count counts the rows of events in the window by the timestamp
	// column, countByDate by the date column; start returns :period_start
	// as the database reads it, in Unix seconds; elapsed the elapsed share
	// from the _unix parameters.
	count, countByDate, start, elapsed string
	// countBetween counts the rows between two Unix seconds, written in
	// by hand.
	countBetween string
}

// checkMonthBoundary fills events with rows just around the local midnights
// of calendar zone zone, runs the KPIs through a collector whose fake clock
// stands ten minutes into December there, and compares the exported values
// with the calendar series and with SQL run by hand.
func checkMonthBoundary(t *testing.T, e periodEngine, zone string, insert func(unix int64, day string)) {
	loc := mustZone(t, zone)
	local := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, s := range []string{
		"2026-10-31 23:59:59", "2026-11-01 00:00:00", "2026-11-01 00:05:00", "2026-11-01 00:15:00",
		"2026-11-30 23:59:59", "2026-12-01 00:00:00", "2026-12-01 00:05:00", "2027-01-01 00:00:00",
	} {
		tm := local(s)
		insert(tm.Unix(), s[:10])
	}
	cat := loadCatalog(t, fmt.Sprintf(`
global: {calendar: biz}
calendars:
  biz: {timezone: %s}
sources:
  db: {driver: %s, dsn: %q, max_open_conns: 1}
kpis:
  - {name: rows_mtd, unit: count, team: t, source: db, period: month, target: {value: 1}, value: v, compare: [previous_period], sql: %q}
  - {name: rows_by_date_mtd, unit: count, team: t, source: db, period: month, target: {value: 1}, value: v, sql: %q}
  - {name: start_seen, unit: seconds, team: t, source: db, period: month, target: {value: 1}, value: v, sql: %q}
  - {name: elapsed_seen, unit: ratio, team: t, source: db, period: month, target: {value: 1}, value: v, sql: %q}
`, zone, e.driver, e.dsn, e.count, e.countByDate, e.start, e.elapsed))
	clock := newFakeClock()
	clock.now = local("2026-12-01 00:10:00")
	c := New(Options{Clock: clock})
	defer c.Close()
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every KPI and the comparison ran", func() bool {
		v := c.view.Load()
		for _, r := range append(append([]*runner(nil), v.runners...), v.compares...) {
			if st := r.snapshot(); st.runs == 0 {
				return false
			}
		}
		return true
	})
	for _, st := range c.States() {
		if !st.Up {
			t.Fatalf("kpi %s failed: %s", st.Name, st.LastError)
		}
	}
	body, _ := scrape(t, c.Handler())
	samples := parseText(t, []byte(body))
	get := func(name string, labels ...string) float64 {
		t.Helper()
		m := model.Metric{model.MetricNameLabel: model.LabelValue(name)}
		for i := 0; i+1 < len(labels); i += 2 {
			m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
		}
		s, ok := samples[m.String()]
		if !ok {
			t.Fatalf("%s is not exported; page:\n%s", m, body)
		}
		return float64(s.Value)
	}
	if got := get("kpi_rows_mtd"); got != 2 {
		t.Errorf("rows in the month by timestamp = %v, want 2 (local midnight and 00:05; not 23:59:59 before, nor next month)", got)
	}
	if got := get("kpi_rows_by_date_mtd"); got != 2 {
		t.Errorf("rows in the month by date = %v, want 2", got)
	}
	if got, want := get("kpi_start_seen_seconds"), get(catalog.CalendarPeriodStart, "calendar", "biz", "period", "month"); got != want {
		t.Errorf("the database reads :period_start as %v, the exported period start is %v", got, want)
	}
	if got, want := get("kpi_elapsed_seen_ratio"), get(catalog.CalendarPeriodElapsed, "basis", "wall", "calendar", "biz", "period", "month"); got != want {
		t.Errorf("elapsed share from the bound parameters %v, exported %v", got, want)
	}
	var byHand float64
	from, to := local("2026-11-01 00:00:00").Unix(), local("2026-11-01 00:10:00").Unix()
	if err := e.admin.QueryRow(fmt.Sprintf(e.countBetween, from, to)).Scan(&byHand); err != nil {
		t.Fatal(err)
	}
	if got := get("kpi_rows_mtd_previous_period"); got != byHand || got != 2 {
		t.Errorf("previous period = %v, the SQL by hand over Nov 1 00:00 .. 00:10 gives %v (want 2)", got, byHand)
	}
}

// TestPeriodParametersOnSQLite: the demo's way, Unix seconds and UTC text,
// through the real driver.
func TestPeriodParametersOnSQLite(t *testing.T) {
	for _, zone := range []string{"Asia/Shanghai", "America/New_York"} {
		t.Run("calendar in "+zone, func(t *testing.T) {
			path := sqliteFile(t, "CREATE TABLE events (ts INTEGER, at TEXT, d TEXT)")
			admin, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			e := periodEngine{
				driver: catalog.DriverSQLite, dsn: path, admin: admin,
				count:        "SELECT COUNT(*) AS v FROM events WHERE ts >= :period_start_unix AND ts < :period_end_unix AND at >= :period_start AND at < :period_end",
				countByDate:  "SELECT COUNT(*) AS v FROM events WHERE d >= :period_start_date AND d < :period_end_date",
				start:        "SELECT CAST(strftime('%s', :period_start) AS INTEGER) AS v",
				elapsed:      "SELECT CAST(:now_unix - :period_start_unix AS REAL) / (:period_end_unix - :period_start_unix) AS v",
				countBetween: "SELECT COUNT(*) FROM events WHERE ts >= %d AND ts < %d",
			}
			checkMonthBoundary(t, e, zone, func(unix int64, day string) {
				if _, err := admin.Exec("INSERT INTO events VALUES (?, datetime(?, 'unixepoch'), ?)", unix, unix, day); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestPeriodParametersRealEngines: on MariaDB and PostgreSQL whose time zone
// differs from the calendar's (the server in UTC with the calendar in
// Shanghai, and the reverse), the month counted through the parameters is
// exactly the calendar's month.
func TestPeriodParametersRealEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts database servers")
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			srv := eng.start(t)
			for _, tc := range []struct{ server, calendar string }{
				{"UTC", "Asia/Shanghai"},
				{"Asia/Shanghai", "UTC"},
			} {
				t.Run("server in "+tc.server+", calendar in "+tc.calendar, func(t *testing.T) {
					db := srv.CreateDatabase(t, "periods")
					srv.CreateUser(t, "kpi_"+db, testPassword, db, "SELECT")
					e := periodEngine{driver: eng.driver, dsn: srv.UserDSN("kpi_"+db, testPassword, db), admin: srv.Open(t, db),
						count:       "SELECT COUNT(*) AS v FROM events WHERE ts >= :period_start AND ts < :period_end",
						countByDate: "SELECT COUNT(*) AS v FROM events WHERE d >= :period_start_date AND d < :period_end_date"}
					var insert func(int64, string)
					if eng.driver == catalog.DriverMySQL {
						// MariaDB has no zone tables here: +08:00 is Shanghai's
						// offset, which has had no daylight saving since 1991.
						offset := map[string]string{"UTC": "+00:00", "Asia/Shanghai": "+08:00"}[tc.server]
						srv.Exec(t, db, "SET GLOBAL time_zone = '"+offset+"'",
							"CREATE TABLE events (ts TIMESTAMP NULL, d DATE)")
						e.start = "SELECT UNIX_TIMESTAMP(:period_start) AS v"
						e.elapsed = "SELECT (:now_unix - :period_start_unix) * 1e0 / (:period_end_unix - :period_start_unix) AS v"
						e.countBetween = "SELECT COUNT(*) FROM events WHERE ts >= FROM_UNIXTIME(%d) AND ts < FROM_UNIXTIME(%d)"
						insert = func(unix int64, day string) {
							srv.Exec(t, db, fmt.Sprintf("INSERT INTO events VALUES (FROM_UNIXTIME(%d), '%s')", unix, day))
						}
					} else {
						srv.Exec(t, db, "ALTER DATABASE "+db+" SET timezone TO '"+tc.server+"'",
							"CREATE TABLE events (ts timestamptz, d date)",
							"GRANT SELECT ON events TO kpi_"+db)
						e.start = "SELECT EXTRACT(EPOCH FROM CAST(:period_start AS timestamptz)) AS v"
						e.elapsed = "SELECT CAST(:now_unix - CAST(:period_start_unix AS bigint) AS float8) / (CAST(:period_end_unix AS bigint) - CAST(:period_start_unix AS bigint)) AS v"
						e.countBetween = "SELECT COUNT(*) FROM events WHERE ts >= to_timestamp(%d) AND ts < to_timestamp(%d)"
						insert = func(unix int64, day string) {
							srv.Exec(t, db, fmt.Sprintf("INSERT INTO events VALUES (to_timestamp(%d), '%s')", unix, day))
						}
					}
					checkMonthBoundary(t, e, tc.calendar, insert)
				})
			}
		})
	}
}

func compareRuns(c *Collector, kpi string, e calendar.Earlier) uint64 {
	for _, r := range c.view.Load().compares {
		if r.k.Name == kpi && r.earlier == e {
			return r.snapshot().runs
		}
	}
	return 0
}

// TestComparisonsRunOnTheirOwnInterval: a comparison runs at once like its
// KPI, then every compare_interval while the KPI runs every interval; its
// series pass promtool check metrics beside the KPI's. The target SQL is
// bound the same way as the KPI's.
func TestComparisonsRunOnTheirOwnInterval(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE events (ts INTEGER)",
		"INSERT INTO events VALUES (1764547200), (1764550800), (1767225600)")
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: events_mtd, unit: count, team: t, source: db, period: month, value: v, labels: [kind],
     target: {sql: "SELECT 'all' AS kind, :period_end_unix - :period_start_unix AS target"},
     interval: 1m, compare: [previous_period, previous_year], compare_interval: 10m,
     sql: "SELECT 'all' AS kind, COUNT(*) AS v FROM events WHERE ts >= :period_start_unix AND ts < :period_end_unix"}
`, path))
	clock := newFakeClock()
	clock.now = time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC) // Dec 2025 holds two events, Jan 2026 one
	c := New(Options{Clock: clock})
	defer c.Close()
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first runs", func() bool {
		return runsOf(c, "events_mtd") == 1 && compareRuns(c, "events_mtd", calendar.PreviousPeriod) == 1 &&
			compareRuns(c, "events_mtd", calendar.PreviousYear) == 1 && clock.pending() == 3
	})
	clock.Advance(maxStartJitter)
	for i := 1; i <= 10; i++ {
		waitFor(t, "every runner waits", func() bool { return clock.pending() == 3 })
		clock.Advance(time.Minute)
		waitFor(t, "the KPI's run", func() bool { return runsOf(c, "events_mtd") == uint64(i+1) })
		want := uint64(1)
		if i == 10 {
			want = 2
		}
		for _, e := range []calendar.Earlier{calendar.PreviousPeriod, calendar.PreviousYear} {
			if i == 10 {
				waitFor(t, "the comparison's second run", func() bool { return compareRuns(c, "events_mtd", e) == want })
			} else if got := compareRuns(c, "events_mtd", e); got != want {
				t.Fatalf("after %d minutes %s ran %d times, want %d", i, e, got, want)
			}
		}
	}
	body, _ := scrape(t, c.Handler())
	samples := parseText(t, []byte(body))
	for metric, want := range map[string]float64{
		`kpi_events_mtd{kind="all"}`:                                                                     1,          // Jan 1 00:00 .. 02:10 UTC
		`kpi_events_mtd_previous_period{kind="all"}`:                                                     2,          // Dec 1 00:00 .. 02:10
		`kpi_events_mtd_previous_year{kind="all"}`:                                                       0,          // Jan 1 2025
		`kpi_events_mtd_target{kind="all"}`:                                                              31 * 86400, // the target SQL gets the parameters too
		`kpi_exporter_compare_up{compare="previous_period", kpi="events_mtd"}`:                           1,
		`kpi_exporter_compare_up{compare="previous_year", kpi="events_mtd"}`:                             1,
		`kpi_exporter_compare_last_success_timestamp_seconds{compare="previous_year", kpi="events_mtd"}`: float64(clock.Now().Unix()),
		`kpi_exporter_compare_errors_total{compare="previous_period", kpi="events_mtd", reason="query"}`: 0,
	} {
		if s, ok := samples[metric]; !ok || float64(s.Value) != want {
			t.Errorf("%s = %v, want %v", metric, s, want)
		}
	}
	cmd := exec.Command(testdb.RequireBinary(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestAFailingComparisonShowsInItsSelfMetrics: the SQL fails over earlier
// periods only (SQLite's abs overflows at run time), so the KPI is up while
// its comparison is down and counts its errors.
func TestAFailingComparisonShowsInItsSelfMetrics(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE events (ts INTEGER)")
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: events_mtd, unit: count, team: t, source: db, period: month, value: v, interval: 1m,
     compare: [previous_period], compare_interval: 10m, target: 10,
     sql: "SELECT CASE WHEN :period_start_unix < 1767225600 THEN abs(-9223372036854775807 - 1) ELSE 1 END AS v"}
`, path))
	clock := newFakeClock()
	clock.now = time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	c := New(Options{Clock: clock})
	defer c.Close()
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first runs", func() bool {
		return runsOf(c, "events_mtd") == 1 && compareRuns(c, "events_mtd", calendar.PreviousPeriod) == 1
	})
	body, _ := scrape(t, c.Handler())
	samples := parseText(t, []byte(body))
	for metric, want := range map[string]float64{
		`kpi_events_mtd`:                        1,
		`kpi_exporter_kpi_up{kpi="events_mtd"}`: 1,
		`kpi_exporter_compare_up{compare="previous_period", kpi="events_mtd"}`:                             0,
		`kpi_exporter_compare_last_success_timestamp_seconds{compare="previous_period", kpi="events_mtd"}`: 0,
		`kpi_exporter_compare_errors_total{compare="previous_period", kpi="events_mtd", reason="query"}`:   1,
	} {
		if s, ok := samples[metric]; !ok || float64(s.Value) != want {
			t.Errorf("%s = %v, want %v", metric, s, want)
		}
	}
	if _, ok := samples["kpi_events_mtd_previous_period"]; ok {
		t.Error("the failed comparison exported a value")
	}
}

// TestPeriodParametersOnADaylightSavingDay: on the day Berlin moves its
// clocks forward the day's bounds are 23 hours apart, and its dates are
// still the local ones.
func TestPeriodParametersOnADaylightSavingDay(t *testing.T) {
	cat := loadCatalog(t, `
global: {calendar: de}
calendars:
  de: {timezone: Europe/Berlin}
sources:
  db: {driver: sqlite, dsn: x.db}
kpis:
  - {name: orders_today, unit: count, team: t, source: db, period: day, target: {value: 1}, value: v, sql: "SELECT 1 AS v"}
`)
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, mustZone(t, "Europe/Berlin"))
	w := WindowOf(cat, cat.KPI("orders_today"), now, "")
	start, end := w.value(catalog.ParamPeriodStartUnix, catalog.DriverMySQL).(int64), w.value(catalog.ParamPeriodEndUnix, catalog.DriverMySQL).(int64)
	if end-start != 23*3600 {
		t.Errorf("the day lasts %d s, want 23 h", end-start)
	}
	if got := w.value(catalog.ParamPeriodStart, catalog.DriverSQLite); got != "2026-03-28 23:00:00" {
		t.Errorf("SQLite start %v, want 2026-03-28 23:00:00 (midnight at +01:00)", got)
	}
	if got := w.value(catalog.ParamPeriodEnd, catalog.DriverSQLite); got != "2026-03-29 22:00:00" {
		t.Errorf("SQLite end %v, want 2026-03-29 22:00:00 (midnight at +02:00)", got)
	}
	if s, e := w.value(catalog.ParamPeriodStartDate, catalog.DriverPostgres), w.value(catalog.ParamPeriodEndDate, catalog.DriverPostgres); s != "2026-03-29" || e != "2026-03-30" {
		t.Errorf("dates %v .. %v, want 2026-03-29 .. 2026-03-30", s, e)
	}
}
