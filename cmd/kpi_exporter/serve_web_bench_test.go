package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// scorecardBench is 1,000 KPIs of 10 series each in 20 teams: half of
// them month KPIs in a Shanghai calendar (a quarter by working time) with
// percent thresholds, half with absolute ones.
func scorecardBench(b *testing.B) (*catalog.Catalog, []scorecard.Input) {
	var y strings.Builder
	y.WriteString(`calendars:
  cn: {timezone: Asia/Shanghai, work_hours: ["09:00-12:00", "13:00-18:00"]}
sources: {db: {driver: sqlite, dsn: x.db}}
kpis:
`)
	for i := range 1000 {
		extra := "target: 100, thresholds: {warning: 90, critical: 80}"
		if i%2 == 0 {
			extra = `target: 3100, period: month, calendar: cn, thresholds: {warning: "90%", critical: "70%"}`
			if i%4 == 0 {
				extra += ", accrual: working"
			}
		}
		fmt.Fprintf(&y, "  - {name: kpi_%04d, unit: currency, currency: EUR, team: team_%02d, owner: o, source: db, "+
			"sql: \"SELECT region, v FROM t\", labels: [region], value: v, direction: higher, %s}\n", i, i%20, extra)
	}
	cat, err := catalog.Options{}.Parse("bench.yml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 11, 4, 0, 0, 0, time.UTC)
	in := make([]scorecard.Input, len(cat.KPIs))
	for i, k := range cat.KPIs {
		x := scorecard.Input{KPI: k, Health: scorecard.HealthUp, LastSuccess: now}
		for j := range 10 {
			x.Series = append(x.Series, scorecard.Series{Labels: []string{fmt.Sprintf("region_%d", j)},
				Value: float64(500 + 100*j), Target: k.Target.Value, HasTarget: true})
		}
		in[i] = x
	}
	return cat, in
}

// BenchmarkScorecard10kSeries builds the scorecard of 10,000 series and
// renders the landing page's HTML and the JSON of it.
func BenchmarkScorecard10kSeries(b *testing.B) {
	cat, in := scorecardBench(b)
	now := time.Date(2026, 12, 11, 4, 0, 0, 0, time.UTC)
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scorecard.Build(cat, in, now)
		}
	})
	b.Run("build+html", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := renderScorecard(io.Discard, scorecard.Build(cat, in, now)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(scorecard.Build(cat, in, now)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
