package governance

import (
	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// DocsPath is where the KPI dictionary goes below generate's output directory.
const DocsPath = "docs/kpis.md"

// DocsFiles is Docs as one of generate's outputs.
func DocsFiles(cat *catalog.Catalog) ([]output.File, error) {
	md, err := Docs(cat)
	if err != nil {
		return nil, err
	}
	return []output.File{{Path: DocsPath, Data: md}}, nil
}
