package collector

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Issue 20: kpi_info carries the KPI's latest change-log entry, so that the
// dashboards' annotation of a definition change says who approved it and
// why; a long or multi-line reason becomes one bounded line.
func TestInfoCarriesTheLatestChangeLogEntry(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)")
	reason := strings.Repeat("Net of returns. ", 12)
	yaml := fmt.Sprintf(schedCatalog, path) + `    changelog:
      - {date: 2026-10-01, author: ana@example.com, approver: bo@example.com, reason: First version.}
      - date: 2026-11-15
        author: ana@example.com
        approver: cy@example.com
        reason: |
          ` + reason + `
          FIN-42.
`
	c := startCollector(t, newFakeClock(), yaml)
	k := c.Catalog().KPI("revenue")
	want := fmt.Sprintf(`# HELP kpi_info Metadata of each KPI; definition_hash changes when what decides its numbers changes, and the change_ labels hold its latest change-log entry.
# TYPE kpi_info gauge
kpi_info{change_approver="cy@example.com",change_author="ana@example.com",change_date="2026-11-15",change_reason=%q,definition_hash=%q,direction="higher",group="sales",kpi="revenue",owner="ana@example.com",period="",team="sales",unit="currency"} 1
`, strings.TrimSpace(reason[:119])+"…", k.DefinitionHash())
	if err := testutil.GatherAndCompare(c.Registry(), strings.NewReader(want), catalog.InfoMetric); err != nil {
		t.Fatal(err)
	}
}
