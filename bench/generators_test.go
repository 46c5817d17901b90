package bench

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/dashboards"
	"github.com/kpi-exporter/kpi_exporter/governance"
	"github.com/kpi-exporter/kpi_exporter/output"
	"github.com/kpi-exporter/kpi_exporter/rules"
)

// BenchmarkGenerate1000KPIs runs every generator `kpi_exporter generate`
// runs (rules with their promtool tests and the Alertmanager tree, the KPI
// dictionary, the dashboards) on the harness's 1,000-KPI catalog, in
// process: the Go-level view of the generate row of make bench.
func BenchmarkGenerate1000KPIs(b *testing.B) {
	path := filepath.Join(b.TempDir(), "catalog.yaml")
	if err := generateCatalog(path, 1_000, 20); err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "x", true }}.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("docs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := governance.DocsFiles(cat); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// As generate does: the rules staged first, then the
			// dictionary and the dashboards, then all put in place.
			w := output.NewWriter(b.TempDir())
			r, err := rules.Generate(cat, rules.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Stage(r.Files()); err != nil {
				b.Fatal(err)
			}
			var (
				dash          *dashboards.Output
				docs          []output.File
				dashErr, dErr error
				wg            sync.WaitGroup
			)
			wg.Go(func() { dash, dashErr = dashboards.Generate(cat) })
			wg.Go(func() { docs, dErr = governance.DocsFiles(cat) })
			wg.Wait()
			if dashErr != nil || dErr != nil {
				b.Fatal(dashErr, dErr)
			}
			if err := w.Stage(append(docs, dash.Files()...)); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
