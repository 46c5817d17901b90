package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestDiffGolden(t *testing.T) {
	r := Diff(load(t, "testdata/diff/old.yml"), load(t, "testdata/diff/new.yml"))
	golden(t, "diff/changes.txt", DiffText(r))
	golden(t, "diff/changes.md", DiffMarkdown(r))
}

func TestDiffOfIdenticalCatalogsIsEmpty(t *testing.T) {
	r := Diff(load(t, "../config.example.yaml"), load(t, "../config.example.yaml"))
	if n := r.Changes(); n != 0 {
		t.Fatalf("%d changes between a catalog and itself:\n%s", n, DiffText(r))
	}
}

// exampleEdit writes a copy of config.example.yaml with the edits applied and
// loads it.
func exampleEdit(t *testing.T, edits ...string) string {
	t.Helper()
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i < len(edits); i += 2 {
		if strings.Count(s, edits[i]) != 1 {
			t.Fatalf("edit %q does not match exactly once", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	p := filepath.Join(t.TempDir(), "catalog.yml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The scenario of issue 5: a changed target, a changed SQL and a removed label
// give exactly those three changes, and only the label removal breaks.
func TestDiffTargetSQLAndLabel(t *testing.T) {
	p := exampleEdit(t,
		"    target: 0.05\n", "    target: 0.06\n",
		"SELECT line, CAST(SUM(passed_first) AS REAL) / SUM(units) AS yield", "SELECT line, CAST(SUM(passed_first) AS REAL) / SUM(units + 0) AS yield",
		"      GROUP BY priority\n    labels: [priority]\n    value: open\n", "      GROUP BY priority\n    value: open\n",
	)
	old, cur := load(t, "../config.example.yaml"), load(t, p)
	r := Diff(old, cur)
	type got struct {
		kpi, field string
		imp        Impact
	}
	var changes []got
	for _, d := range r.KPIs {
		for _, c := range d.Changes {
			changes = append(changes, got{d.Name, c.Field, c.Impact})
		}
		if d.OldHash == d.NewHash {
			t.Errorf("%s: definition hash %s did not change", d.Name, d.NewHash)
		}
	}
	want := []got{
		{"conversion_rate", "target", ImpactNumbers},
		{"first_pass_yield", "sql", ImpactNumbers},
		{"open_tickets", "labels", ImpactBreaking},
	}
	if len(changes) != len(want) {
		t.Fatalf("changes = %v, want %v\n%s", changes, want, DiffText(r))
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d = %v, want %v", i, changes[i], want[i])
		}
	}
}

func TestLineDiff(t *testing.T) {
	got := strings.Join(lineDiff("a\nb\nc", "a\nx\nc\nd"), "|")
	if want := "  a|- b|+ x|  c|+ d"; got != want {
		t.Errorf("lineDiff = %q, want %q", got, want)
	}
}

// Issue 20: a definition change (a changed hash) needs a new change-log
// entry; metadata changes and log-only changes do not.
func TestDiffRequiresChangeLogForDefinitionChanges(t *testing.T) {
	r := Diff(load(t, "testdata/diff/governed_old.yml"), load(t, "testdata/diff/governed_new.yml"))
	r.RequireChangeLog = true
	var missing []string
	for _, d := range r.MissingChangeLog() {
		missing = append(missing, d.Name+" "+d.Pos)
	}
	if got, want := strings.Join(missing, ","), "open_orders testdata/diff/governed_new.yml:27"; got != want {
		t.Errorf("missing change log = %q, want %q", got, want)
	}
	for _, d := range r.KPIs {
		if d.Name == "revenue" && (len(d.NewEntries) != 1 || d.NewEntries[0].Approver != "cy@example.com") {
			t.Errorf("revenue's new entries = %+v", d.NewEntries)
		}
	}
	golden(t, "diff/governed.txt", DiffText(r))
	golden(t, "diff/governed.md", DiffMarkdown(r))

	r.RequireChangeLog = false
	if txt := string(DiffText(r)); strings.Contains(txt, "without a new change-log entry") {
		t.Errorf("a report that does not require a change log lists gaps:\n%s", txt)
	}
}

func TestAnEditedChangeLogEntryIsNotANewOne(t *testing.T) {
	kpi := func(sql, log string) string {
		return `
sources: {erp: {driver: sqlite, dsn: x.db}}
kpis:
  - name: revenue
    unit: count
    team: sales
    source: erp
    sql: ` + sql + `
    value: v
    changelog:
` + log
	}
	first := "      - {date: 2026-10-01, author: ana, approver: bo, reason: First version.}\n"
	edited := "      - {date: 2026-10-01, author: ana, approver: bo, reason: 'First version, now with discounts.'}\n"
	second := "      - {date: 2026-11-02, author: ana, approver: cy, reason: Net of discounts.}\n"
	parse := func(name, s string) *catalog.Catalog {
		t.Helper()
		c, err := catalog.Options{}.Parse(name, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := parse("old.yml", kpi("SELECT 1 AS v", first))
	for _, tc := range []struct {
		name, sql, log     string
		added              int
		missing, rewritten bool
	}{
		{"a new entry appended", "SELECT 2 AS v", first + second, 1, false, false},
		{"the old entry edited instead", "SELECT 2 AS v", edited, 0, true, true},
		{"the old entry edited and a new one appended", "SELECT 2 AS v", edited + second, 1, false, true},
		{"the old entry removed for a new one", "SELECT 2 AS v", second, 1, false, true},
		{"the old entry edited, the definition kept", "SELECT 1 AS v", edited, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Diff(old, parse("new.yml", kpi(tc.sql, tc.log)))
			r.RequireChangeLog = true
			d := r.KPIs[0]
			if len(d.NewEntries) != tc.added || d.ChangeLogMissing != tc.missing || d.ChangeLogRewritten != tc.rewritten {
				t.Errorf("added %d, missing %v, rewritten %v; want %d, %v, %v", len(d.NewEntries), d.ChangeLogMissing, d.ChangeLogRewritten, tc.added, tc.missing, tc.rewritten)
			}
			failed := len(r.MissingChangeLog()) > 0
			if want := tc.missing || tc.rewritten; failed != want {
				t.Errorf("--require-changelog fails: %v, want %v", failed, want)
			}
			if tc.rewritten && !strings.Contains(string(DiffText(r)), "append-only") {
				t.Errorf("the text does not say the log is append-only:\n%s", DiffText(r))
			}
		})
	}
}

func TestDiffShowsTitleAndControlChanges(t *testing.T) {
	cat := func(title, control string) *catalog.Catalog {
		t.Helper()
		c, err := catalog.Options{}.Parse("c.yml", []byte(`
sources: {erp: {driver: sqlite, dsn: x.db}, ledger: {driver: sqlite, dsn: y.db}}
kpis:
  - name: revenue
    title: `+title+`
    unit: count
    team: sales
    source: erp
    sql: SELECT 1 AS v
    value: v
    control: {source: ledger, sql: `+control+`, tolerance: {absolute: 5}}
`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := Diff(cat("营收", "SELECT 1 AS v"), cat("本月营收", "SELECT 2 AS v"))
	d := r.KPIs[0]
	if d.DefinitionChanged() {
		t.Error("a new title or control changed the definition hash")
	}
	var fields []string
	for _, c := range d.Changes {
		fields = append(fields, c.Field)
	}
	if got := strings.Join(fields, ","); got != "title,control" {
		t.Errorf("changes %s, want title,control", got)
	}
}
