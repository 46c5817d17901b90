package scorecard

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

const testCatalog = `
calendars:
  cn: {timezone: Asia/Shanghai, work_hours: ["09:00-12:00", "13:00-18:00"]}
sources: {db: {driver: sqlite, dsn: x.db}}
teams: {sales: {title: 销售部}}
kpis:
  - {name: delivery_ratio, unit: ratio, team: ops, owner: ann, source: db, sql: SELECT 1 AS v, value: v, direction: higher,
     target: 0.95, thresholds: {warning: 0.9, critical: 0.8}}
  - {name: latency, unit: seconds, team: ops, owner: ann, source: db, sql: SELECT 1 AS v, value: v, direction: lower,
     target: 2, thresholds: {warning: "150%", critical: "200%"}}
  - {name: revenue, unit: currency, currency: CNY, team: sales, owner: bob, source: db, sql: "SELECT 'east' AS region, 1 AS v",
     labels: [region], value: v, direction: higher, target: 3100, period: month, calendar: cn, thresholds: {warning: "90%", critical: "70%"}}
  - {name: revenue_work, unit: currency, currency: CNY, team: sales, owner: bob, source: db, sql: SELECT 1 AS v, value: v,
     direction: higher, target: 1000, period: month, calendar: cn, accrual: working, thresholds: {critical: "50%"}}
  - {name: signups, title: 新注册用户数, unit: count, team: sales, owner: bob, source: db, sql: SELECT 1 AS v, value: v, direction: higher}
  - {name: disk_used, unit: bytes, team: ops, owner: ann, source: db, sql: SELECT 1 AS v, value: v, direction: lower,
     thresholds: {warning: 1000, critical: 2000}}
`

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Options{}.Parse("score.yml", []byte(testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func one(v float64) []Series { return []Series{{Value: v}} }

func withTarget(v, target float64, labels ...string) []Series {
	return []Series{{Labels: labels, Value: v, Target: target, HasTarget: true}}
}

// kpiOf builds the scorecard of one input and returns its KPI.
func kpiOf(t *testing.T, cat *catalog.Catalog, in Input, now time.Time) KPI {
	t.Helper()
	if in.Health == "" {
		in.Health = HealthUp
	}
	if in.LastSuccess.IsZero() {
		in.LastSuccess = now
	}
	sc := Build(cat, []Input{in}, now)
	if len(sc.Teams) != 1 || len(sc.Teams[0].KPIs) != 1 {
		t.Fatalf("scorecard of one KPI has teams %+v", sc.Teams)
	}
	return sc.Teams[0].KPIs[0]
}

func near(a *float64, want float64) bool { return a != nil && math.Abs(*a-want) < 1e-9 }

var noon = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func TestStatusAgainstAbsoluteThresholds(t *testing.T) {
	cat := loadCatalog(t)
	cases := []struct {
		name  string
		kpi   string
		v     float64
		want  Status
		attnt float64
	}{
		{"higher is better: at the target is ok", "delivery_ratio", 0.95, StatusOK, 1},
		{"higher is better: between warning and critical is warning", "delivery_ratio", 0.85, StatusWarning, 0.85 / 0.95},
		{"higher is better: below critical is critical", "delivery_ratio", 0.54, StatusCritical, 0.54 / 0.95},
		{"higher is better: exactly at the warning level is not a breach", "delivery_ratio", 0.9, StatusOK, 0.9 / 0.95},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := kpiOf(t, cat, Input{KPI: cat.KPI(c.kpi), Series: withTarget(c.v, 0.95)}, noon)
			r := k.Series[0]
			if r.Status != c.want || k.Status != c.want {
				t.Errorf("status %s (kpi %s), want %s", r.Status, k.Status, c.want)
			}
			if !near(r.Attainment, c.attnt) {
				t.Errorf("attainment %v, want %v", deref(r.Attainment), c.attnt)
			}
			if r.Expected != nil || r.Pacing != nil {
				t.Errorf("a KPI without period has no pacing: %v %v", r.Expected, r.Pacing)
			}
		})
	}
	t.Run("lower is better without a target: above the levels breaches", func(t *testing.T) {
		for v, want := range map[float64]Status{500: StatusOK, 1500: StatusWarning, 2500: StatusCritical} {
			k := kpiOf(t, cat, Input{KPI: cat.KPI("disk_used"), Series: one(v)}, noon)
			if r := k.Series[0]; r.Status != want || r.Attainment != nil || r.Target != nil {
				t.Errorf("%v bytes: status %s attainment %v target %v, want %s and none", v, r.Status, r.Attainment, r.Target, want)
			}
		}
	})
}

func TestPercentThresholdsAreSharesOfTheTarget(t *testing.T) {
	cat := loadCatalog(t)
	// latency: lower is better, target 2 s, warning at 150% (3 s),
	// critical at 200% (4 s).
	cases := []struct {
		v          float64
		want       Status
		attainment float64
	}{
		{1, StatusOK, 2},
		{3, StatusOK, 2.0 / 3},
		{3.5, StatusWarning, 2 / 3.5},
		{4.5, StatusCritical, 2 / 4.5},
	}
	for _, c := range cases {
		k := kpiOf(t, cat, Input{KPI: cat.KPI("latency"), Series: withTarget(c.v, 2)}, noon)
		r := k.Series[0]
		if r.Status != c.want || !near(r.Attainment, c.attainment) || !near(r.Warning, 3) || !near(r.Critical, 4) {
			t.Errorf("latency %v s: status %s attainment %v levels %v/%v, want %s %v 3/4", c.v, r.Status, deref(r.Attainment),
				deref(r.Warning), deref(r.Critical), c.want, c.attainment)
		}
	}
	t.Run("a percent threshold without a target judges nothing", func(t *testing.T) {
		k := kpiOf(t, cat, Input{KPI: cat.KPI("latency"), Series: one(100)}, noon)
		if r := k.Series[0]; r.Status != StatusNone || r.Warning != nil || r.Critical != nil {
			t.Errorf("status %s levels %v %v, want none and no levels", r.Status, r.Warning, r.Critical)
		}
	})
}

func TestPeriodKPIPacesAgainstTheTargetExpectedByNowInItsCalendar(t *testing.T) {
	cat := loadCatalog(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// December 11th 00:00 in Shanghai is December 10th 16:00 in UTC: ten
	// of the month's 31 days are over in Shanghai, not yet in UTC.
	now := time.Date(2026, 12, 11, 0, 0, 0, 0, sh)
	share := 10.0 / 31
	cases := []struct {
		name string
		v    float64
		want Status
	}{
		{"ahead of pace is ok", 1100, StatusOK},
		{"below 90% of the expected-to-date target is warning", 850, StatusWarning},
		{"below 70% of the expected-to-date target is critical", 600, StatusCritical},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := kpiOf(t, cat, Input{KPI: cat.KPI("revenue"), Series: withTarget(c.v, 3100, "east")}, now)
			r := k.Series[0]
			if !near(k.Elapsed, share) {
				t.Fatalf("elapsed %v, want %v (ten days of December in Shanghai)", deref(k.Elapsed), share)
			}
			if !near(r.Expected, 1000) || !near(r.Pacing, c.v/1000) || !near(r.Attainment, c.v/3100) {
				t.Errorf("expected %v pacing %v attainment %v, want 1000, %v, %v", deref(r.Expected), deref(r.Pacing),
					deref(r.Attainment), c.v/1000, c.v/3100)
			}
			if !near(r.Warning, 900) || !near(r.Critical, 700) {
				t.Errorf("levels %v/%v, want 900/700 (shares of the expected-to-date target)", deref(r.Warning), deref(r.Critical))
			}
			if r.Status != c.want {
				t.Errorf("status %s, want %s", r.Status, c.want)
			}
			if r.Labels["region"] != "east" || r.Text.Labels != "region=east" {
				t.Errorf("labels %v %q", r.Labels, r.Text.Labels)
			}
			if r.Text.Value != FormatValue(cat.KPI("revenue"), c.v) || r.Text.Expected != "1,000.00 CNY" {
				t.Errorf("texts %+v", r.Text)
			}
		})
	}
	t.Run("during the warm-up a percent threshold stays silent", func(t *testing.T) {
		early := time.Date(2026, 12, 1, 8, 0, 0, 0, sh) // 1% of December
		k := kpiOf(t, cat, Input{KPI: cat.KPI("revenue"), Series: withTarget(0, 3100, "east")}, early)
		if r := k.Series[0]; r.Status != StatusOK {
			t.Errorf("status %s at %.3f of the month, want ok", r.Status, deref(k.Elapsed))
		}
	})
	t.Run("a working accrual paces by the calendar's working time", func(t *testing.T) {
		// Friday December 4th, 15:00 in Shanghai: three full working days
		// (8 h each) and 5 of the 8 hours of the fourth, of the 23 working
		// days of December 2026.
		at := time.Date(2026, 12, 4, 15, 0, 0, 0, sh)
		want := (3*8 + 5) / (23 * 8.0)
		k := kpiOf(t, cat, Input{KPI: cat.KPI("revenue_work"), Series: withTarget(60, 1000)}, at)
		r := k.Series[0]
		if !near(k.Elapsed, want) || !near(r.Expected, 1000*want) {
			t.Fatalf("elapsed %v expected %v, want %v and %v", deref(k.Elapsed), deref(r.Expected), want, 1000*want)
		}
		if r.Status != StatusCritical { // 60 < 50% of 157.6
			t.Errorf("status %s, want critical", r.Status)
		}
	})
}

func TestKPIWithoutTargetOrThresholds(t *testing.T) {
	cat := loadCatalog(t)
	k := kpiOf(t, cat, Input{KPI: cat.KPI("signups"), Series: one(12345)}, noon)
	r := k.Series[0]
	if r.Status != StatusNone || k.Status != StatusNone || r.Target != nil || r.Attainment != nil || r.Warning != nil {
		t.Errorf("row %+v, kpi status %s: want status none and no target, attainment or levels", r, k.Status)
	}
	if r.Text.Value != "12,345" {
		t.Errorf("value text %q, want 12,345", r.Text.Value)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, f := range []string{"target", "attainment", "pacing", "warning", "critical"} {
		if _, ok := m[f]; ok {
			t.Errorf("JSON has %q for a KPI without it: %s", f, b)
		}
	}
}

func TestHealthIsKeptApartFromStatus(t *testing.T) {
	cat := loadCatalog(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	last := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	t.Run("down keeps judging the values still served", func(t *testing.T) {
		k := kpiOf(t, cat, Input{KPI: cat.KPI("delivery_ratio"), Health: HealthDown, LastSuccess: last,
			LastError: "query failed", Series: withTarget(0.5, 0.95)}, noon)
		if k.Health != HealthDown || k.Status != StatusCritical || k.LastError != "query failed" {
			t.Errorf("health %s status %s error %q, want down, critical", k.Health, k.Status, k.LastError)
		}
	})
	t.Run("stale values are withdrawn and judge nothing", func(t *testing.T) {
		k := kpiOf(t, cat, Input{KPI: cat.KPI("delivery_ratio"), Health: HealthStale, LastSuccess: last,
			Series: withTarget(0.5, 0.95)}, noon)
		if k.Health != HealthStale || k.Status != StatusUnknown || k.Series[0].Status != StatusUnknown {
			t.Errorf("health %s status %s/%s, want stale, unknown", k.Health, k.Status, k.Series[0].Status)
		}
	})
	t.Run("never collected is unknown", func(t *testing.T) {
		sc := Build(cat, []Input{{KPI: cat.KPI("delivery_ratio"), Health: HealthStale}}, noon)
		k := sc.Teams[0].KPIs[0]
		if k.Status != StatusUnknown || k.LastSuccess != nil || sc.Counts.Unknown != 1 {
			t.Errorf("status %s last success %v counts %+v", k.Status, k.LastSuccess, sc.Counts)
		}
	})
	t.Run("the last success is in the KPI's calendar zone", func(t *testing.T) {
		k := kpiOf(t, cat, Input{KPI: cat.KPI("revenue"), LastSuccess: last, Series: withTarget(1, 3100, "east")}, noon)
		if k.LastSuccess == nil || k.LastSuccess.Location().String() != sh.String() || k.LastSuccess.Hour() != 11 || k.TimeZone != "Asia/Shanghai" {
			t.Errorf("last success %v zone %s, want 11:00 Asia/Shanghai", k.LastSuccess, k.TimeZone)
		}
	})
}

func TestScorecardGroupsByTeamAndCountsStatuses(t *testing.T) {
	cat := loadCatalog(t)
	in := []Input{
		{KPI: cat.KPI("signups"), Health: HealthUp, LastSuccess: noon, Series: one(3)},
		{KPI: cat.KPI("delivery_ratio"), Health: HealthUp, LastSuccess: noon, Series: withTarget(0.54, 0.95)},
		{KPI: cat.KPI("latency"), Health: HealthUp, LastSuccess: noon, Series: append(withTarget(1, 2), withTarget(3.5, 2)...)},
	}
	sc := Build(cat, in, noon)
	if len(sc.Teams) != 2 || sc.Teams[0].Name != "ops" || sc.Teams[1].Name != "sales" {
		t.Fatalf("teams %+v, want ops then sales", sc.Teams)
	}
	ops := sc.Teams[0]
	if len(ops.KPIs) != 2 || ops.KPIs[0].Name != "delivery_ratio" || ops.KPIs[1].Name != "latency" {
		t.Errorf("ops KPIs %+v", ops.KPIs)
	}
	if ops.KPIs[1].Status != StatusWarning {
		t.Errorf("latency status %s, want the worst of its series: warning", ops.KPIs[1].Status)
	}
	sales := sc.Teams[1]
	if ops.Title != "ops" || sales.Title != "销售部" || sales.KPIs[0].Title != "新注册用户数" || ops.KPIs[0].Title != "delivery_ratio" {
		t.Errorf("titles: teams %q %q, KPIs %q %q; want the titles, else the names", ops.Title, sales.Title, sales.KPIs[0].Title, ops.KPIs[0].Title)
	}
	want := Counts{OK: 1, Warning: 1, Critical: 1, None: 1}
	if sc.Counts != want {
		t.Errorf("counts %+v, want %+v", sc.Counts, want)
	}
}

func TestFormatValueInTheKPIsUnit(t *testing.T) {
	cat := loadCatalog(t)
	cases := []struct {
		kpi  string
		v    float64
		want string
	}{
		{"delivery_ratio", 0.543, "54.3%"},
		{"latency", 3725, "1h 2m 5s"},
		{"revenue", 1234567.5, "1,234,567.50 CNY"},
		{"disk_used", 1536, "1.5 KiB"},
		{"signups", 1234.5, "1,234.5"},
	}
	for _, c := range cases {
		if got := FormatValue(cat.KPI(c.kpi), c.v); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.kpi, c.v, got, c.want)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
