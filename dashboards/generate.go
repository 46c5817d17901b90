package dashboards

import (
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
// bytes. Dashboards are rendered concurrently by GOMAXPROCS workers, each with
// its own encoder: the catalog is only read. A worker writes each panel as
// soon as it is built, so that only the rendered files accumulate.
func Generate(cat *catalog.Catalog) ([]File, error) {
	jobs := boards(cat)
	files := make([]File, len(jobs), len(jobs)+1)
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
				files[i] = File{Path: jobs[i].path, Data: data}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	prov, err := provisioning()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", ProvisioningPath, err)
	}
	return append(files, File{Path: ProvisioningPath, Data: prov}), nil
}
