package dashboards

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// syntheticCatalog builds a catalog of n KPIs in teams of perTeam, cycling
// through every shape the generator distinguishes: units, directions,
// constant and SQL targets, absolute and percentage thresholds, periods, and
// zero to three label columns.
func syntheticCatalog(tb testing.TB, n, perTeam int) *catalog.Catalog {
	tb.Helper()
	var b strings.Builder
	b.WriteString("sources:\n  db:\n    driver: sqlite\n    dsn: bench.db\nteams:\n")
	teams := (n + perTeam - 1) / perTeam
	for t := 0; t < teams; t++ {
		fmt.Fprintf(&b, "  team%03d:\n    description: Team %d\n", t, t)
	}
	b.WriteString("kpis:\n")
	units := []string{"count", "ratio", "percent", "seconds", "bytes", "currency", "score"}
	labelSets := []string{"[]", "[region]", "[region, channel]", "[region, channel, product]"}
	for i := 0; i < n; i++ {
		u := units[i%len(units)]
		fmt.Fprintf(&b, "  - name: kpi_%05d\n    help: Synthetic KPI %d.\n    unit: %s\n", i, i, u)
		if u == "currency" {
			b.WriteString("    currency: EUR\n")
		}
		fmt.Fprintf(&b, "    owner: owner%d@example.com\n    team: team%03d\n    source: db\n", i%17, i/perTeam)
		fmt.Fprintf(&b, "    sql: SELECT 1 AS v\n    labels: %s\n    value: v\n", labelSets[i%len(labelSets)])
		switch i % 4 {
		case 0: // higher, constant target, absolute thresholds
			b.WriteString("    direction: higher\n    target: 100\n    thresholds:\n      warning: 90\n      critical: 80\n")
		case 1: // lower, constant target, percentage thresholds
			b.WriteString("    direction: lower\n    target: 50\n    thresholds:\n      warning: 120%\n      critical: 150%\n")
		case 2: // higher, SQL target, percentage thresholds, period
			b.WriteString("    direction: higher\n    period: month\n    target:\n      sql: SELECT 1 AS target\n    thresholds:\n      warning: 95%\n      critical: 85%\n")
		case 3: // lower, no target
			b.WriteString("    direction: lower\n")
		}
	}
	cat, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "", false }}.Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// BenchmarkGenerate1000KPIs measures Generate on 1,000 KPIs in teams of 20,
// with every file encoded as package output encodes it.
func BenchmarkGenerate1000KPIs(b *testing.B) {
	cat := syntheticCatalog(b, 1000, 20)
	b.ReportAllocs()
	for b.Loop() {
		out, err := Generate(cat)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range out.Files() {
			if _, err := output.Encode(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
