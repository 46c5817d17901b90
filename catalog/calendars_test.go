package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

const calendarCatalog = `
calendars:
  cn:
    timezone: Asia/Shanghai
    work_hours: ["09:00-12:00", "13:00-18:00"]
    holidays: [2026-10-01, "2026-10-02"]
    holidays_file: holidays/cn.yml
  us:
    timezone: America/New_York
    week_start: sunday
global:
  calendar: cn
sources:
  db: {driver: sqlite, dsn: shop.db}
teams:
  sales: {}
kpis:
  - {name: revenue_mtd, help: h, unit: count, team: sales, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, period: month, accrual: working}
  - {name: orders_wtd, help: h, unit: count, team: sales, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, period: week, calendar: us}
  - {name: tickets_today, help: h, unit: count, team: sales, source: db, sql: SELECT 1 AS v, value: v, direction: lower, target: 10, period: day}
  - {name: backlog, help: h, unit: count, team: sales, source: db, sql: SELECT 1 AS v, value: v}
`

func writeCalendarCatalog(t *testing.T, holidays string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "holidays"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "holidays", "cn.yml"), []byte(holidays), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "kpis.yml")
	if err := os.WriteFile(p, []byte(calendarCatalog), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKPIsCountTheirPeriodsInTheirCalendar(t *testing.T) {
	p := writeCalendarCatalog(t, "holidays: [2026-10-05]\nmake_up_days: [2026-10-10]\n")
	cat, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for kpi, want := range map[string]string{"revenue_mtd": "cn", "orders_wtd": "us", "tickets_today": "cn"} {
		if got := cat.CalendarName(cat.KPI(kpi)); got != want {
			t.Errorf("%s counts in %q, want %q", kpi, got, want)
		}
	}
	cn := cat.CalendarOf(cat.KPI("revenue_mtd"))
	if cn.Location().String() != "Asia/Shanghai" {
		t.Fatalf("zone %v", cn.Location())
	}
	// Inline holidays and the file's are both days off; the file's make-up
	// Saturday is worked.
	for d, work := range map[string]bool{"2026-10-01": false, "2026-10-02": false, "2026-10-05": false, "2026-10-10": true, "2026-10-12": true} {
		date, _ := calendar.ParseDate(d)
		if cn.IsWorkDay(date) != work {
			t.Errorf("%s: working day %v, want %v", d, !work, work)
		}
	}
	uses := cat.CalendarUses()
	if len(uses) != 2 || uses[0].Calendar.Name() != "cn" || len(uses[0].Periods) != 2 || uses[0].Periods[0] != calendar.Day || uses[0].Periods[1] != calendar.Month ||
		uses[1].Calendar.Name() != "us" || len(uses[1].Periods) != 1 || uses[1].Periods[0] != calendar.Week {
		t.Fatalf("calendar uses %+v", uses)
	}
	// The week of the us calendar starts on Sunday.
	s, _ := cat.CalendarOf(cat.KPI("orders_wtd")).Bounds(calendar.Week, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	if s.Weekday() != time.Sunday {
		t.Fatalf("week starts on %v", s.Weekday())
	}
}

func TestACatalogWithoutCalendarsCountsInUTC(t *testing.T) {
	cat, err := Options{}.Parse("x.yml", []byte(`
sources: {db: {driver: sqlite, dsn: x.db}}
kpis:
  - {name: k, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: month}
`))
	if err != nil {
		t.Fatal(err)
	}
	k := cat.KPI("k")
	if cat.CalendarName(k) != UTCCalendar || cat.CalendarOf(k).Location() != time.UTC {
		t.Fatalf("calendar %q in %v", cat.CalendarName(k), cat.CalendarOf(k).Location())
	}
}

func TestABadHolidaysFileNamesItsOwnLine(t *testing.T) {
	p := writeCalendarCatalog(t, "holidays:\n  - 2026-10-05\n  - 2026-13-01\nmake_up_days: []\n")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), `kpis.yml:7: calendars.cn.holidays_file: holidays file `) ||
		!strings.Contains(err.Error(), `cn.yml:3: holidays[1]: "2026-13-01" is not a date written YYYY-MM-DD`) {
		t.Fatalf("err = %v", err)
	}
	p = writeCalendarCatalog(t, "holidays: [2026-10-05]\nworkdays: [2026-10-10]\n")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "field workdays not found") {
		t.Fatalf("an unknown key in the holidays file: err = %v", err)
	}
}
