package dashboards

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// File is one generated file: its slash path relative to the output directory,
// and its content. It is the type every generator returns.
type File = output.File

// Paths of the generated files, relative to the output directory.
const (
	OverviewPath     = "dashboards/overview.json"
	ProvisioningPath = "dashboards/provisioning/kpi_exporter.yml"
)

// TeamPath is the path of a team's dashboard.
func TeamPath(team string) string { return "dashboards/team-" + team + ".json" }

// board is one dashboard to render: its path, its settings, and its panels,
// which it hands to a sink one at a time, in grid order.
type board struct {
	path     string
	settings func() *dashboard.DashboardBuilder
	panels   func(panelSink)
}

// panelSink receives a dashboard's panels as they are built.
type panelSink interface {
	panel(cog.Builder[dashboard.Panel])
	row(cog.Builder[dashboard.RowPanel])
}

// boards lists the overview and one dashboard per team that owns KPIs.
func boards(cat *catalog.Catalog) []board {
	out := []board{overview(cat)}
	for _, t := range cat.Teams {
		if kpis := cat.TeamKPIs(t.Name); len(kpis) > 0 {
			out = append(out, teamDashboard(t, kpis))
		}
	}
	return out
}

// Generate builds the overview, one dashboard per team that owns KPIs, and the
// provisioning file, in that order. The same catalog always gives the same
// bytes.
func Generate(cat *catalog.Catalog) ([]File, error) {
	jobs := boards(cat)
	files := make([]File, len(jobs)+1)
	err := render(jobs, func(i int, f File) error {
		files[i] = File{Path: f.Path, Data: bytes.Clone(f.Data)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// GenerateTo writes what Generate returns into sink, each file as soon as it
// is rendered, so that a large catalog's dashboards never sit in memory
// together. On error the caller discards what sink took.
func GenerateTo(cat *catalog.Catalog, sink output.Sink) error {
	return render(boards(cat), func(_ int, f File) error { return sink.Write(f.Path, f.Data) })
}

// render renders jobs and then the provisioning file, handing each with its
// index to emit, which must not keep the file's data once it returns.
// Dashboards are rendered concurrently by GOMAXPROCS workers, each with its
// own encoder: the catalog is only read. A worker writes each panel as soon
// as it is built, so that only the rendered file accumulates.
func render(jobs []board, emit func(int, File) error) error {
	errs := make([]error, len(jobs))
	next := make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			e := newEncoder()
			for i := range next {
				data, err := e.render(jobs[i])
				if err != nil {
					errs[i] = fmt.Errorf("build %s: %w", jobs[i].path, err)
					continue
				}
				errs[i] = emit(i, File{Path: jobs[i].path, Data: data})
				e.done()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	prov, err := provisioning()
	if err != nil {
		return fmt.Errorf("build %s: %w", ProvisioningPath, err)
	}
	return emit(len(jobs), File{Path: ProvisioningPath, Data: prov})
}
