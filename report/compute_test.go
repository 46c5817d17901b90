package report

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// week is a closed review window of seven days from Monday 2026-11-02 UTC,
// compared with the week before.
func week() Window {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	return Window{Label: "week", Start: start, End: start.AddDate(0, 0, 7), PrevStart: start.AddDate(0, 0, -7), PrevCut: start, Now: start.AddDate(0, 0, 30)}
}

// hourly is a series of one label set: v(i) at hour i of the window (i < 0
// is the week before), for the hours in [from, to).
func hourly(w Window, labels model.Metric, from, to int, v func(i int) float64) Series {
	s := Series{Labels: labels}
	for i := from; i < to; i++ {
		s.Points = append(s.Points, Point{T: w.Start.Add(time.Duration(i) * time.Hour), V: v(i)})
	}
	return s
}

func flat(v float64) func(int) float64 { return func(int) float64 { return v } }

func testKPI(unit catalog.Unit, dir catalog.Direction, labels ...string) *catalog.KPI {
	return &catalog.KPI{Name: "k", Team: "t", Owner: "o@example.com", Unit: unit, Currency: "EUR", Direction: dir, Labels: labels,
		Target: &catalog.Target{Value: 1}, Thresholds: &catalog.Thresholds{Warning: &catalog.Threshold{}, Critical: &catalog.Threshold{}}}
}

func lbl(kv ...string) model.Metric {
	m := model.Metric{catalog.LabelKPI: "k", catalog.LabelTeam: "t", catalog.LabelOwner: "o@example.com"}
	for i := 0; i < len(kv); i += 2 {
		m[model.LabelName(kv[i])] = model.LabelValue(kv[i+1])
	}
	return m
}

func TestTimeBeyondThresholds(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter)
	// 168 hours: 10 at 85 (below warning 90), 5 at 70 (below critical 80),
	// the rest at 100; the last hour at 88.
	v := func(i int) float64 {
		switch {
		case i >= 20 && i < 30:
			return 85
		case i >= 50 && i < 55:
			return 70
		case i == 167:
			return 88
		}
		return 100
	}
	d := &KPIData{
		Value:    []Series{hourly(w, lbl(), -168, 168, v)},
		Target:   []Series{hourly(w, lbl(), -168, 168, flat(95))},
		Warning:  []Series{hourly(w, lbl(), -168, 168, flat(90))},
		Critical: []Series{hourly(w, lbl(), -168, 168, flat(80))},
	}
	r := computeKPI(k, d, w, time.Hour)
	h := r.Headline
	if h == nil {
		t.Fatal("a KPI without label columns has no headline")
	}
	if h.InWarning != 11*time.Hour || h.InCritical != 5*time.Hour {
		t.Errorf("in warning %s, in critical %s; want 11h (critical hours not counted twice) and 5h", h.InWarning, h.InCritical)
	}
	if h.Status != StatusWarning || h.Value != num(88) || h.Previous != num(100) {
		t.Errorf("status %s, value %v, previous %v; want warning at 88 after 100", h.Status, h.Value, h.Previous)
	}
	if len(h.Trend) != 168 || len(h.TargetTrend) != 168 {
		t.Errorf("trend of %d and %d points, want the 168 hours of the week", len(h.Trend), len(h.TargetTrend))
	}
}

func TestLowerIsBetterBreachesAboveItsThresholds(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.LowerIsBetter)
	d := &KPIData{
		Value:    []Series{hourly(w, lbl(), 0, 168, func(i int) float64 { return map[bool]float64{true: 160, false: 100}[i < 3] })},
		Warning:  []Series{hourly(w, lbl(), 0, 168, flat(120))},
		Critical: []Series{hourly(w, lbl(), 0, 168, flat(150))},
	}
	r := computeKPI(k, d, w, time.Hour)
	if r.InCritical != 3*time.Hour || r.InWarning != 0 || r.Status != StatusOK {
		t.Errorf("in critical %s, in warning %s, status %s; want 3h, 0h, ok", r.InCritical, r.InWarning, r.Status)
	}
}

func TestAKPIWithoutDataIsNoDataNeverZero(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter)
	cat := &catalog.Catalog{KPIs: []*catalog.KPI{k}}
	rep := Compute(cat, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{}})
	r := rep.Teams[0].KPIs[0]
	if !r.NoData() || r.Missed || len(rep.Act) != 0 {
		t.Errorf("status %s, missed %v, act %d; want no data, not missed, nothing to act on", r.Status, r.Missed, len(rep.Act))
	}
	md := string(Markdown(rep))
	want := "| k |  | no data | no data | no data | No data | no data | no data | no data | no data |"
	if !strings.Contains(md, want) {
		t.Errorf("Markdown lacks %q:\n%s", want, md)
	}
	if strings.Contains(md, "| 0 |") || strings.Contains(md, "0h") {
		t.Errorf("a KPI without data shows a zero:\n%s", md)
	}
}

func TestTheReviewHeadsTeamsAndKPIsWithTheirTitles(t *testing.T) {
	w := week()
	cat, err := catalog.Options{}.Parse("titles.yml", []byte(`
sources: {db: {driver: sqlite, dsn: x.db}}
teams: {t: {title: 运营部}}
kpis:
  - {name: k, title: 准时交付率, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep := Compute(cat, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{}})
	md := string(Markdown(rep))
	for _, want := range []string{"## Team 运营部", "| 准时交付率 |  | no data"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	html, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Team 运营部</h2>", "<td>准时交付率</td>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestContributorsShareTheGapAndTheChangeOfASummableKPI(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCurrency, catalog.HigherIsBetter, "region")
	series := func(region string, prev, cur float64) Series {
		return hourly(w, lbl("region", region), -1, 1, func(i int) float64 {
			if i < 0 {
				return prev
			}
			return cur
		})
	}
	target := func(region string) Series { return hourly(w, lbl("region", region), -1, 1, flat(100)) }
	// Gaps: a 50, b -20 (over target), c 10: the KPI is 40 short. Changes:
	// a -30, b +20, c -10, and d, new in the period, +5: -15 in all.
	d := &KPIData{
		Value:  []Series{series("a", 80, 50), series("b", 100, 120), series("c", 100, 90), hourly(w, lbl("region", "d"), 0, 1, flat(5))},
		Target: []Series{target("a"), target("b"), target("c")},
	}
	r := computeKPI(k, d, w, time.Hour)
	gap := []Contributor{{"region=a", 50, num(50.0 / 40)}, {"region=c", 10, num(10.0 / 40)}}
	if !equalContributors(r.GapContributors, gap) {
		t.Errorf("gap contributors %+v, want %+v", r.GapContributors, gap)
	}
	change := []Contributor{{"region=a", -30, num(2)}, {"region=b", 20, num(20.0 / -15)}, {"region=c", -10, num(10.0 / 15)}, {"region=d", 5, num(5.0 / -15)}}
	if !equalContributors(r.ChangeContributors, change) {
		t.Errorf("change contributors %+v, want %+v", r.ChangeContributors, change)
	}
}

func TestContributorsOfARatioHaveNoShare(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitRatio, catalog.HigherIsBetter, "line")
	d := &KPIData{
		Value:      []Series{hourly(w, lbl("line", "1"), 0, 1, flat(0.8)), hourly(w, lbl("line", "2"), 0, 1, flat(0.99))},
		Target:     []Series{hourly(w, lbl("line", "1"), 0, 1, flat(0.95)), hourly(w, lbl("line", "2"), 0, 1, flat(0.95))},
		Attainment: []Series{hourly(w, lbl("line", "1"), 0, 1, flat(0.8/0.95)), hourly(w, lbl("line", "2"), 0, 1, flat(0.99/0.95))},
	}
	r := computeKPI(k, d, w, time.Hour)
	if r.Headline != nil {
		t.Errorf("ratios per line are summed into a headline: %+v", r.Headline)
	}
	if !r.Missed {
		t.Error("a line below target does not make the KPI missed")
	}
	if len(r.GapContributors) != 1 || r.GapContributors[0].Labels != "line=1" || r.GapContributors[0].Share.OK {
		t.Errorf("gap contributors %+v, want line=1 without a share", r.GapContributors)
	}
}

func TestAnAlertFiringTwiceCountsTwoFirings(t *testing.T) {
	w := week()
	m := lbl("alertname", "KPIThresholdWarning", "alertstate", "firing", "severity", "warning", "region", "north")
	s := Series{Labels: m}
	for _, h := range []int{-3, -2, 10, 11, 12, 40} { // two hours before the week do not count
		s.Points = append(s.Points, Point{T: w.Start.Add(time.Duration(h) * time.Hour), V: 1})
	}
	got := alerts([]Series{s}, w, time.Hour)
	want := Alert{Name: "KPIThresholdWarning", Severity: "warning", Labels: "region=north", Firings: 2, Firing: 4 * time.Hour, First: w.Start.Add(10 * time.Hour)}
	if len(got) != 1 || got[0] != want {
		t.Errorf("alerts %+v, want %+v", got, want)
	}
}

func equalContributors(a, b []Contributor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Labels != b[i].Labels || a[i].Amount != b[i].Amount || a[i].Share.OK != b[i].Share.OK || !close(a[i].Share.V, b[i].Share.V) {
			return false
		}
	}
	return true
}

func close(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
