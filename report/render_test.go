package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestHTMLEscapesLabelValuesAndHasNoScripts(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter, "store")
	k.RunbookURL = "https://runbooks.example.com/k"
	d := &KPIData{Value: []Series{hourly(w, lbl("store", `<script>alert(1)</script>`), 0, 2, flat(3))}}
	rep := Compute(&catalog.Catalog{KPIs: []*catalog.KPI{k}}, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{"k": d}})
	page, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if strings.Contains(s, "<script") {
		t.Errorf("a label value became a script:\n%s", s)
	}
	if !strings.Contains(s, "store=&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the label value is not shown escaped:\n%s", s)
	}
	if !strings.Contains(s, "<svg") || !strings.Contains(s, `stroke="`+ColourValue+`"`) {
		t.Errorf("no trend chart in the page:\n%s", s)
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter, "channel")
	d := &KPIData{Value: []Series{hourly(w, lbl("channel", "web|app"), 0, 1, flat(3))}}
	rep := Compute(&catalog.Catalog{KPIs: []*catalog.KPI{k}}, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{"k": d}})
	if md := string(Markdown(rep)); !strings.Contains(md, `| k | channel=web\|app | 3 |`) {
		t.Errorf("a | in a label value breaks the table:\n%s", md)
	}
}

func TestAChartOfAQuarterAtFiveMinutesKeepsAShortBreach(t *testing.T) {
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	var pts []Point
	for i := range 26496 { // 92 days of five minutes
		v := 100.0
		if i == 12345 {
			v = 10 // one sample of breach
		}
		pts = append(pts, Point{T: start.Add(time.Duration(i) * 5 * time.Minute), V: v})
	}
	got := thin(pts, maxChartPoints)
	if len(got) > maxChartPoints+2 {
		t.Errorf("%d points drawn, want at most %d", len(got), maxChartPoints+2)
	}
	if !slices.ContainsFunc(got, func(p Point) bool { return p.V == 10 }) {
		t.Error("the breach is thinned away")
	}
	if !slices.IsSortedFunc(got, func(a, b Point) int { return a.T.Compare(b.T) }) {
		t.Error("the points are out of time order")
	}
}

func TestAChartBreaksItsLineWhereDataIsMissing(t *testing.T) {
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) Point { return Point{T: start.Add(time.Duration(h) * time.Hour), V: 1} }
	pts := []Point{at(0), at(1), at(2), at(5), at(9), at(10)}
	got := stretches(pts, time.Hour)
	if len(got) != 3 || len(got[0]) != 3 || len(got[1]) != 1 || len(got[2]) != 2 {
		t.Errorf("stretches %v, want hours 0-2, 5, 9-10", got)
	}
}

func TestTheAxisOfAChartOfPositiveValuesStopsAtZero(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitSeconds, catalog.LowerIsBetter)
	trend := hourly(w, lbl(), 0, 24, func(i int) float64 { return float64(10 + 650*(i%2)) })
	r := KPIResult{KPI: k, Series: []Figures{{Labels: "all", Trend: trend.Points}}}
	c := trendChart(r, w, time.Hour)
	if c == nil {
		t.Fatal("no chart")
	}
	if bottom := c.YLabels[1].Text; bottom != "0s" {
		t.Errorf("the axis of waits of 10 s to 11 min starts at %q, want 0s", bottom)
	}
	r.Series[0].Trend = hourly(w, lbl(), 0, 24, func(i int) float64 { return float64(600 - 1200*(i%2)) }).Points
	if bottom := trendChart(r, w, time.Hour).YLabels[1].Text; !strings.HasPrefix(bottom, "-") {
		t.Errorf("the axis of values down to -10m starts at %q, want below zero", bottom)
	}
}
