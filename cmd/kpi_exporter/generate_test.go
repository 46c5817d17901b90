package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/output"
)

func TestGenerateWritesRulesTestsAndAlertmanager(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+out, "--prometheus-rule")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, p := range []string{
		"rules/team-sales.yml", "rules/team-production.yml", "rules/team-service.yml",
		"rules/tests/team-sales.yml", "rules/tests/kpi-revenue_mtd.yml", "rules/tests/kpi-revenue_mtd-month.yml",
		"rules/tests/rules/team-sales.yml", "rules/tests/rules/kpi-revenue_mtd.yml",
		"alertmanager/alertmanager.yml", "kubernetes/prometheusrule.yml",
	} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	am, err := os.ReadFile(filepath.Join(out, "alertmanager/alertmanager.yml"))
	if err != nil || !bytes.Contains(am, []byte("wechat_configs:")) || stderr != "" {
		t.Errorf("the default Alertmanager output lacks the wechat receiver (%v) or warns: %q", err, stderr)
	}
}

func TestGenerateForAlertmanager025LeavesOutWeChatWithAWarning(t *testing.T) {
	code, stdout, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+t.TempDir(), "--alertmanager.version=0.25")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "sales-notify: wechat 1") {
		t.Errorf("stderr does not name the wechat receiver left out for Alertmanager 0.25: %q", stderr)
	}
}

func TestGenerateTwiceWritesIdenticalBytes(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if code, _, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+dir); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, r))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs (%v)", r, err)
		}
		return nil
	})
}

func TestGenerateWritesNothingForAnInvalidCatalog(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yml", "kpis:\n  - name: Bad Name\n")
	out := filepath.Join(dir, "out")
	code, _, stderr := execCLI(t, "generate", "--config.file="+bad, "--output.dir="+out)
	if code != exitLint {
		t.Errorf("exit %d, want %d as check", code, exitLint)
	}
	if !strings.Contains(stderr, "bad.yml:") {
		t.Errorf("error does not name the file and line: %q", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory created for an invalid catalog")
	}
}

func TestGenerateRefusesAnUnknownAlertmanagerVersion(t *testing.T) {
	code, _, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+t.TempDir(), "--alertmanager.version=latest")
	if code != exitUsage || !strings.Contains(stderr, "alertmanager version") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestGenerateRemovesWhatItNoLongerGenerates: a team dropped from the
// catalog takes its rule files, tests and dashboard with it on the next
// run, and a file generate never wrote stays.
func TestGenerateRemovesWhatItNoLongerGenerates(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	catalog := func(teams ...string) string {
		var b strings.Builder
		b.WriteString("sources:\n  db: {driver: sqlite, dsn: 'file:x.db'}\nteams:\n")
		for _, team := range teams {
			b.WriteString("  " + team + ": {description: " + team + "}\n")
		}
		b.WriteString("kpis:\n")
		for _, team := range teams {
			b.WriteString("  - {name: k_" + team + ", help: h, unit: count, owner: o, team: " + team + ", source: db, sql: 'SELECT 1 AS value', value: value, direction: higher, target: 5, thresholds: {warning: 4}}\n")
		}
		return writeFile(t, dir, "catalog.yml", b.String())
	}
	if code, _, stderr := execCLI(t, "generate", "--config.file="+catalog("alpha", "beta"), "--output.dir="+out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(out, "rules", "local.yml"), []byte("groups: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := execCLI(t, "generate", "--config.file="+catalog("alpha"), "--output.dir="+out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for p, want := range map[string]bool{
		"rules/team-alpha.yml": true, "rules/tests/team-alpha.yml": true, "dashboards/team-alpha.json": true,
		"rules/local.yml":     true,
		"rules/team-beta.yml": false, "rules/tests/team-beta.yml": false, "dashboards/team-beta.json": false,
		"rules/tests/kpi-k_beta.yml": false, "rules/tests/rules/kpi-k_beta.yml": false, "rules/tests/rules/team-beta.yml": false,
		"rules/tests/kpi-k_alpha.yml": true, "rules/tests/rules/kpi-k_alpha.yml": true,
	} {
		_, err := os.Stat(filepath.Join(out, filepath.FromSlash(p)))
		if got := err == nil; got != want {
			t.Errorf("%s exists: %v, want %v", p, got, want)
		}
	}
}

// TestGenerateHelpListsEveryFolderItWrites: each folder that holds a file
// generate writes, with every output asked for, is named in its help.
func TestGenerateHelpListsEveryFolderItWrites(t *testing.T) {
	code, help, stderr := execCLI(t, "help", "generate")
	if code != exitOK {
		t.Fatalf("help generate: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	if code, _, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+out, "--prometheus-rule"); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	dirs := map[string]bool{}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != output.ManifestFile {
			r, _ := filepath.Rel(out, filepath.Dir(p))
			dirs[filepath.ToSlash(r)+"/"] = true
		}
		return nil
	})
	if len(dirs) < 5 {
		t.Fatalf("generate wrote into only %v", dirs)
	}
	flat := strings.Join(strings.Fields(help), " ")
	for d := range dirs {
		if !strings.Contains(flat, " "+d+" ") {
			t.Errorf("generate --help does not name %s:\n%s", d, help)
		}
	}
}

// TestGenerateRefusesWhatCheckCallsALintError: a warning threshold above the
// target although higher is better is a lint error; generate writes nothing
// and exits 3 as check does, naming the finding. A lint warning alone is
// printed and generate goes on.
func TestGenerateRefusesWhatCheckCallsALintError(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yml", shopCatalog("sqlite", "shop.db", revenueKPI+"    thresholds: {warning: 15, critical: 5}\n"))
	out := filepath.Join(dir, "out")
	code, _, stderr := execCLI(t, "generate", "--config.file="+bad, "--output.dir="+out)
	if code != exitLint {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitLint, stderr)
	}
	want := "kpi_exporter generate: lint: " + bad + ":12: error: kpis[0].thresholds.warning: warning threshold 15 is above the target 12 although higher is better: the alert would fire while the target is met [threshold-target]\n"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("generate wrote %s for a catalog with lint errors (%v)", out, err)
	}
	code, _, stderr = execCLI(t, "generate", "--config.file=../../rules/testdata/fastscrape.yml", "--output.dir="+filepath.Join(dir, "ok"))
	if code != exitOK || !strings.Contains(stderr, ": warning: ") {
		t.Errorf("a catalog with lint warnings only: exit %d, stderr %q; want 0 and the warnings", code, stderr)
	}
}

func TestGenerateRefusesEmailReceiversWithoutSMTPAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yml", "sources: {db: {driver: sqlite, dsn: x.db}}\nteams:\n  sales: {notify: {email: [{to: s@example.com}]}}\nkpis:\n"+
		"  - {name: n, help: h, unit: count, owner: o@example.com, team: sales, source: db, sql: SELECT 1 AS v, value: v}\n")
	code, _, stderr := execCLI(t, "generate", "--config.file="+bad, "--output.dir="+filepath.Join(dir, "out"))
	want := bad + ":3: teams.sales.notify.email: email receivers need alerting.smtp.smarthost and alerting.smtp.from"
	if code != exitLint || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitLint, want)
	}
}
