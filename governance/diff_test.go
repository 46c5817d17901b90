package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
