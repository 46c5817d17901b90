package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// TestCalendarSeriesCountShanghaiTime: ten minutes after midnight on the 1st
// in Shanghai, the month has just begun there, although it is still the
// 30th in UTC.
func TestCalendarSeriesCountShanghaiTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cal, errs := calendar.New(calendar.Spec{Name: "cn", Location: sh, WeekStart: time.Monday,
		WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Hours:    []calendar.Span{{Start: 9 * 60, End: 18 * 60}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	clock := newFakeClock()
	clock.now = time.Date(2026, 12, 1, 0, 10, 0, 0, sh)
	m := newCalendarMetrics(clock, func() []catalog.CalendarUse {
		return []catalog.CalendarUse{{Calendar: cal, Periods: []calendar.Period{calendar.Day, calendar.Month}}}
	})
	// Dec 1 00:00 +08:00 is 1796054400; Dec 2 is 1796140800; Jan 1 2027 is
	// 1798732800 (date -d ... +%s). 600 s of a 86400 s day and of a 2678400 s month; no
	// working time has passed yet.
	want := `
# HELP kpi_calendar_period_elapsed_ratio Share of the current period elapsed, by wall time or by the calendar's working time.
# TYPE kpi_calendar_period_elapsed_ratio gauge
kpi_calendar_period_elapsed_ratio{basis="wall",calendar="cn",period="day"} 0.006944444444444444
kpi_calendar_period_elapsed_ratio{basis="wall",calendar="cn",period="month"} 0.00022401433691756272
kpi_calendar_period_elapsed_ratio{basis="working",calendar="cn",period="day"} 0
kpi_calendar_period_elapsed_ratio{basis="working",calendar="cn",period="month"} 0
# HELP kpi_calendar_period_end_timestamp_seconds Unix time at which the current period of the calendar ends (local midnight after its last day).
# TYPE kpi_calendar_period_end_timestamp_seconds gauge
kpi_calendar_period_end_timestamp_seconds{calendar="cn",period="day"} 1.7961408e+09
kpi_calendar_period_end_timestamp_seconds{calendar="cn",period="month"} 1.7987328e+09
# HELP kpi_calendar_period_start_timestamp_seconds Unix time at which the current period of the calendar started (local midnight of its first day).
# TYPE kpi_calendar_period_start_timestamp_seconds gauge
kpi_calendar_period_start_timestamp_seconds{calendar="cn",period="day"} 1.7960544e+09
kpi_calendar_period_start_timestamp_seconds{calendar="cn",period="month"} 1.7960544e+09
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
