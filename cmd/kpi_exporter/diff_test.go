package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// editedExample writes a copy of config.example.yaml with the edits (pairs of
// old and new text, each old text matching once) into dir.
func editedExample(t *testing.T, dir string, edits ...string) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
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
	return writeFile(t, dir, "catalog.yml", s)
}

// The scenario of issue 5: a copy of the example with a changed target, a
// changed SQL and a removed label.
func TestDiffExitCodeFollowsFailOn(t *testing.T) {
	changed := editedExample(t, t.TempDir(),
		"    target: 0.05\n", "    target: 0.06\n",
		"SELECT line, CAST(SUM(passed_first) AS REAL) / SUM(units) AS yield", "SELECT line, CAST(SUM(passed_first) AS REAL) / NULLIF(SUM(units), 0) AS yield",
		"      GROUP BY priority\n    labels: [priority]\n    value: open\n", "      GROUP BY priority\n    value: open\n",
	)
	numbersOnly := editedExample(t, t.TempDir(), "    target: 0.05\n", "    target: 0.06\n")
	example := "../../config.example.yaml"
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"breaking change fails with --fail-on=breaking", []string{example, changed, "--fail-on=breaking"}, exitFailure},
		{"any change fails with --fail-on=any", []string{example, changed, "--fail-on=any"}, exitFailure},
		{"nothing fails with --fail-on=none", []string{example, changed, "--fail-on=none"}, exitOK},
		{"nothing fails by default", []string{example, changed}, exitOK},
		{"a target change alone is not breaking", []string{example, numbersOnly, "--fail-on=breaking"}, exitOK},
		{"a target change alone fails --fail-on=any", []string{example, numbersOnly, "--fail-on=any"}, exitFailure},
		{"identical catalogs pass --fail-on=any", []string{example, example, "--fail-on=any"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := execCLI(t, append([]string{"diff"}, tc.args...)...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
			}
		})
	}

	_, out, _ := execCLI(t, "diff", example, changed)
	if !strings.Contains(out, "3 changes in 3 KPIs: 1 breaking, 2 change numbers, 0 info.") {
		t.Errorf("text report:\n%s", out)
	}
	for _, want := range []string{
		"numbers change  target changed: 0.05 -> 0.06",
		"numbers change  SQL changed:",
		"- SELECT line, CAST(SUM(passed_first) AS REAL) / SUM(units) AS yield",
		"BREAKING        labels removed: priority",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	_, md, _ := execCLI(t, "diff", example, changed, "--output=markdown")
	if !strings.Contains(md, "| `open_tickets` | labels removed: `priority` | **breaking** |") || !strings.Contains(md, "```diff\n") {
		t.Errorf("markdown report:\n%s", md)
	}
}

func TestDiffOfDirectories(t *testing.T) {
	oldDir, newDir := t.TempDir(), t.TempDir()
	editedExample(t, oldDir)
	editedExample(t, newDir, "  - name: churn_rate\n", "  - name: customer_churn_rate\n")
	code, out, errOut := execCLI(t, "diff", oldDir, newDir, "--fail-on=breaking")
	if code != exitFailure || !strings.Contains(out, "BREAKING        renamed: churn_rate -> customer_churn_rate") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestDiffReportsAnInvalidCatalog(t *testing.T) {
	bad := editedExample(t, t.TempDir(), "      critical: 0.3\n", "      critical: 0.1\n")
	code, _, errOut := execCLI(t, "diff", "../../config.example.yaml", bad)
	if code != exitLint || !strings.Contains(errOut, "kpis[10].thresholds.critical: critical 0.1 must be above warning 0.2 when lower is better") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// Neither the text nor the markdown report shows a DSN, even when the DSN
// (and its literal password) is all that changed.
func TestDiffNeverPrintsSecrets(t *testing.T) {
	const oldPw, newPw = "OldPw-5e1d0c2b", "NewPw-9a8b7c6d"
	dir := t.TempDir()
	cat := func(name, pw, target string) string {
		return writeFile(t, dir, name, shopCatalog("postgres", "postgres://kpi:"+pw+"@db.example.com/shop", strings.Replace(revenueKPI, "target: 12", "target: "+target, 1)))
	}
	a, b := cat("a.yml", oldPw, "12"), cat("b.yml", newPw, "13")
	for _, output := range []string{"text", "markdown", "json"} {
		_, out, errOut := execCLI(t, "diff", a, b, "--output="+output)
		if !strings.Contains(out, "target") {
			t.Errorf("%s: the target change is missing:\n%s", output, out)
		}
		for _, s := range []string{oldPw, newPw, "db.example.com"} {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%s output shows %q:\n%s%s", output, s, out, errOut)
			}
		}
	}
}

func TestDiffNeedsTwoCatalogs(t *testing.T) {
	code, _, errOut := execCLI(t, "diff", filepath.Join("..", "..", "config.example.yaml"))
	if code != exitUsage || !strings.Contains(errOut, "want two catalogs") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// Issue 20: with --require-changelog, a definition change needs a new
// change-log entry; the error names the KPI's file and line.
func TestDiffRequireChangelog(t *testing.T) {
	example := "../../config.example.yaml"
	unlogged := editedExample(t, t.TempDir(), "    target: 0.05\n", "    target: 0.06\n")
	logged := editedExample(t, t.TempDir(), "    target: 0.05\n", "    target: 0.06\n    changelog:\n"+
		"      - {date: 2026-11-20, author: ana@example.com, approver: bo@example.com, reason: Target raised for Q1 (SALES-12).}\n")
	ownerOnly := editedExample(t, t.TempDir(), "    owner: tom.becker@example.com\n", "    owner: new-lead@example.com\n")

	code, out, errOut := execCLI(t, "diff", example, unlogged, "--require-changelog")
	if code != exitFailure || !regexp.MustCompile(`(?m)^\S+/catalog\.yml:\d+: kpi conversion_rate: the definition changed \(\w+ -> \w+\) without a new changelog entry \(date, author, approver, reason\)$`).MatchString(errOut) {
		t.Errorf("a definition change without an entry: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := execCLI(t, "diff", example, unlogged); code != exitOK {
		t.Errorf("without --require-changelog the same change exits %d", code)
	}
	code, md, errOut := execCLI(t, "diff", example, logged, "--require-changelog", "--output=markdown")
	if code != exitOK || !strings.Contains(md, "| `conversion_rate` | 2026-11-20 | ana@example.com | bo@example.com | Target raised for Q1 (SALES-12). |") {
		t.Errorf("a definition change with an entry: exit %d\n%s%s", code, md, errOut)
	}
	if code, out, errOut := execCLI(t, "diff", example, ownerOnly, "--require-changelog"); code != exitOK {
		t.Errorf("an owner change needs no entry: exit %d\n%s%s", code, out, errOut)
	}
	_, js, _ := execCLI(t, "diff", example, unlogged, "--output=json")
	if !strings.Contains(js, `"changelog_missing": true`) || !strings.Contains(js, `"pos": "`) {
		t.Errorf("the json report does not flag the missing entry:\n%s", js)
	}
	_, md, _ = execCLI(t, "diff", example, unlogged, "--require-changelog", "--output=markdown")
	if !strings.Contains(md, "- [ ] `conversion_rate` (") {
		t.Errorf("the markdown does not list the missing entry:\n%s", md)
	}
}
