package dashboards

import (
	"errors"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// Paths of the generated files, relative to the output directory.
const (
	overviewPath     = "dashboards/overview.json"
	provisioningPath = "dashboards/provisioning/kpi_exporter.yml"
)

// teamPath is the path of a team's dashboard.
func teamPath(team string) string { return "dashboards/team-" + team + ".json" }

// Board is one generated dashboard and the path it is written to.
type Board struct {
	Path      string
	Dashboard dashboard.Dashboard
}

// Output is what this package generates for one catalog: the overview, one
// dashboard per team that owns KPIs, in that order, and the provisioning
// file.
type Output struct {
	Boards       []Board
	Provisioning Provisioning
}

// Generate builds the overview and one dashboard per team that owns KPIs
// with Grafana's foundation SDK, and the provisioning file. The same catalog
// always gives the same dashboards.
func Generate(cat *catalog.Catalog) (*Output, error) {
	paths := []string{overviewPath}
	builders := []*dashboard.DashboardBuilder{overview(cat)}
	for _, t := range cat.Teams {
		if kpis := cat.TeamKPIs(t.Name); len(kpis) > 0 {
			paths = append(paths, teamPath(t.Name))
			builders = append(builders, teamDashboard(cat, t, kpis))
		}
	}
	out := &Output{Provisioning: provisioning()}
	var errs []error
	for i, b := range builders {
		d, err := b.Build()
		if err != nil {
			errs = append(errs, fmt.Errorf("build %s: %w", paths[i], err))
			continue
		}
		out.Boards = append(out.Boards, Board{Path: paths[i], Dashboard: d})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Files returns the dashboards and the provisioning file, in Output's
// order, for package output to write.
func (o *Output) Files() []output.File {
	files := make([]output.File, 0, len(o.Boards)+1)
	for _, b := range o.Boards {
		files = append(files, output.File{Path: b.Path, Value: b.Dashboard})
	}
	return append(files, output.File{Path: provisioningPath, Value: o.Provisioning, Comment: provisioningComment})
}
