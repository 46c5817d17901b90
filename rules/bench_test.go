package rules

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

var benchKPIs = func() int {
	if n, err := strconv.Atoi(os.Getenv("KPI_BENCH_KPIS")); err == nil && n > 0 {
		return n
	}
	return 10000
}()

// bigCatalog is a catalog of n KPIs over 20 teams, mixing every rule kind.
func bigCatalog(b *testing.B, n int) *catalog.Catalog {
	b.Helper()
	var s strings.Builder
	s.WriteString("global:\n  labels: {company: acme}\nalerting:\n  smtp: {smarthost: 'mail:25', from: a@example.com}\nsources:\n  db: {driver: postgres, dsn: 'postgres://x@db/x'}\nteams:\n")
	for t := range 20 {
		fmt.Fprintf(&s, "  team%d:\n    notify: {email: [{to: t%d@example.com}]}\n    oncall: {pagerduty: [{routing_key_file: /etc/pd%d}]}\n", t, t, t)
	}
	s.WriteString("kpis:\n")
	for i := range n {
		higher := i%2 == 0
		unit := []string{"unit: count", "unit: ratio", "unit: currency, currency: EUR"}[i%3]
		dir, w, c := "higher", "0.4", "0.3"
		if !higher {
			dir, w, c = "lower", "0.6", "0.7"
		}
		fmt.Fprintf(&s, "  - {name: kpi_%d, help: h, %s, owner: o@example.com, team: team%d, source: db, sql: 'SELECT r, v FROM t', labels: [region], value: v, direction: %s", i, unit, i%20, dir)
		switch i % 4 {
		case 0:
			pw, pc := "'90%'", "'80%'"
			if !higher {
				pw, pc = "'110%'", "'120%'"
			}
			fmt.Fprintf(&s, ", target: 100, thresholds: {warning: %s, critical: %s}, period: month", pw, pc)
		case 1:
			fmt.Fprintf(&s, ", target: 0.5, thresholds: {warning: %s, critical: %s}, anomaly: {window: 1d}", w, c)
		case 2:
			s.WriteString(", target: {sql: 'SELECT r, t AS target FROM b'}, thresholds: {warning: '90%'}")
		}
		s.WriteString("}\n")
	}
	text := s.String()
	c, err := catalog.Options{}.Parse("bench.yml", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkGenerate10000KPIs measures rules, tests and Alertmanager
// generation, with validation, for 10,000 KPIs (target: 2 s, 300 MB).
func BenchmarkGenerate10000KPIs(b *testing.B) {
	c := bigCatalog(b, benchKPIs)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Generate(c, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateRules10000KPIs measures the rule files alone: build,
// check every expression, render, and load every KPI's rules with rulefmt.
// heap-MB is the heap the process obtained from the OS: its peak.
func BenchmarkGenerateRules10000KPIs(b *testing.B) {
	c := bigCatalog(b, benchKPIs)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := Build(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Outputs(); err != nil {
			b.Fatal(err)
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapSys)/(1<<20), "heap-MB")
}

// BenchmarkBuild10000KPIs measures Build: typed rules for 10,000 KPIs,
// every expression parsed and checked, every KPI's rules rendered and loaded
// with rulefmt.
func BenchmarkBuild10000KPIs(b *testing.B) {
	c := bigCatalog(b, benchKPIs)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Build(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeTests10000KPIs measures rendering the promtool test files
// of 10,000 KPIs alone; building the rules and the tests is not timed.
func BenchmarkEncodeTests10000KPIs(b *testing.B) {
	tf := testFiles(b, bigCatalog(b, benchKPIs))
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		size = 0
		for _, f := range tf {
			data, err := f.Encode()
			if err != nil {
				b.Fatal(err)
			}
			size += len(data)
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "out-MB")
}
