package dashboards

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

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

// Generate builds the overview, one dashboard per team that owns KPIs, and the
// provisioning file, in that order. The same catalog always gives the same
// bytes. Dashboards are built concurrently by GOMAXPROCS workers, each with
// its own encoder: the catalog is only read. A worker renders one dashboard
// at a time and drops its model once it is encoded, so that only the rendered
// files accumulate.
func Generate(cat *catalog.Catalog) ([]File, error) {
	type job struct {
		path  string
		build func() (dashboard.Dashboard, error)
	}
	jobs := []job{{OverviewPath, func() (dashboard.Dashboard, error) { return overview(cat) }}}
	for _, t := range cat.Teams {
		kpis := cat.TeamKPIs(t.Name)
		if len(kpis) == 0 {
			continue
		}
		jobs = append(jobs, job{TeamPath(t.Name), func() (dashboard.Dashboard, error) { return teamDashboard(t, kpis) }})
	}

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
				d, err := jobs[i].build()
				if err != nil {
					errs[i] = fmt.Errorf("build %s: %w", jobs[i].path, err)
					continue
				}
				data, err := e.encode(d)
				if err != nil {
					errs[i] = fmt.Errorf("encode %s: %w", jobs[i].path, err)
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
