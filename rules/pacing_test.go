package rules

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/util/teststorage"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// TestElapsedShareIsBusinessTime evaluates each KPI's elapsed-share PromQL
// with the real engine, over the calendar series the exporter would have
// served at that moment, and compares it with the calendar computed in Go:
// in Asia/Shanghai just after the local month, week and day start (still the
// previous day in UTC), and in Europe/Berlin on the 23- and 25-hour days.
func TestElapsedShareIsBusinessTime(t *testing.T) {
	cat, err := catalog.Options{}.Parse("cal.yml", []byte(`
calendars:
  cn: {timezone: Asia/Shanghai, work_hours: ["09:00-12:00", "13:00-18:00"]}
  de: {timezone: Europe/Berlin}
sources: {db: {driver: sqlite, dsn: x.db}}
kpis:
  - {name: cn_day, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: day, calendar: cn}
  - {name: cn_week, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: week, calendar: cn}
  - {name: cn_month, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: month, calendar: cn}
  - {name: cn_month_work, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: month, calendar: cn, accrual: working}
  - {name: de_day, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: day, calendar: de}
  - {name: de_quarter, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: quarter, calendar: de}
  - {name: utc_year, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 1, period: year}
`))
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	be, _ := time.LoadLocation("Europe/Berlin")
	instants := []time.Time{
		time.Date(2026, 12, 1, 0, 10, 0, 0, sh), // 16:10 UTC on November 30th
		time.Date(2026, 12, 1, 0, 0, 10, 0, sh), // scraped in November, evaluated in December
		time.Date(2026, 11, 30, 23, 50, 0, 0, sh),
		time.Date(2026, 12, 7, 0, 0, 30, 0, sh), // a Monday
		time.Date(2026, 12, 4, 12, 30, 0, 0, sh),
		time.Date(2026, 3, 29, 12, 0, 0, 0, be),  // 23 hours
		time.Date(2026, 10, 25, 12, 0, 0, 0, be), // 25 hours
		time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	for _, k := range cat.KPIs {
		x := newKPICtx(cat, k)
		cal, p := cat.CalendarOf(k), calendar.Period(k.Period)
		for _, at := range instants {
			// The exporter was scraped 15 s before the evaluation.
			scraped := at.Add(-15 * time.Second)
			st := teststorage.New(t)
			app := st.Appender(context.Background())
			s, e := cal.Bounds(p, scraped)
			l := x.calendarLabels()
			add := func(name string, extra map[string]string, v float64) {
				b := labels.NewBuilder(labels.FromMap(l)).Set(labels.MetricName, name)
				for k, v := range extra {
					b.Set(k, v)
				}
				if _, err := app.Append(0, b.Labels(), scraped.UnixMilli(), v); err != nil {
					t.Fatal(err)
				}
			}
			add(catalog.CalendarPeriodStart, nil, float64(s.Unix()))
			add(catalog.CalendarPeriodEnd, nil, float64(e.Unix()))
			add(catalog.CalendarPeriodElapsed, map[string]string{catalog.LabelBasis: catalog.BasisWork}, cal.WorkElapsed(p, scraped))
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			q, err := engine.NewInstantQuery(context.Background(), st, nil, x.elapsedExpr(), at)
			if err != nil {
				t.Fatal(err)
			}
			res := q.Exec(context.Background())
			v, verr := res.Vector()
			if res.Err != nil || verr != nil {
				t.Fatalf("%s at %v: %v %v", k.Name, at, res.Err, verr)
			}
			switch {
			case !at.Before(e):
				// Scraped in the old period, evaluated in the new: no share
				// until the next scrape brings the new bounds.
				if len(v) != 0 {
					t.Errorf("%s at %v: a share %v from the previous period's bounds", k.Name, at, v)
				}
			case len(v) != 1:
				t.Errorf("%s at %v: %d samples, want 1", k.Name, at, len(v))
			case k.Accrual == catalog.AccrueWorking:
				if want := cal.WorkElapsed(p, scraped); v[0].F != want {
					t.Errorf("%s at %v: working share %v, want the served %v", k.Name, at, v[0].F, want)
				}
			default:
				if want := cal.Elapsed(p, at); math.Abs(v[0].F-want) > 1e-9 {
					t.Errorf("%s at %v: share %v, the calendar says %v", k.Name, at, v[0].F, want)
				}
			}
			q.Close()
			st.Close()
		}
	}
}
