package governance

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the named file in testdata, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func testEnv(t *testing.T) catalog.Options {
	t.Helper()
	return catalog.Options{LookupEnv: func(k string) (string, bool) { return "env-" + strings.ToLower(k), true }}
}

func load(t *testing.T, paths ...string) *catalog.Catalog {
	t.Helper()
	c, err := testEnv(t).Load(paths...)
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	return c
}

func findingsText(fs []Finding) []byte {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return []byte(b.String())
}

func TestLintGolden(t *testing.T) {
	c := load(t, "testdata/lint/problems.yml")
	fs := Lint(c)
	golden(t, "lint/problems.golden", findingsText(fs))
	for _, f := range fs {
		if f.KPI == "clean_kpi" {
			t.Errorf("a clean KPI got a finding: %s", f)
		}
	}
}

func TestLintExampleIsClean(t *testing.T) {
	c := load(t, "../config.example.yaml")
	if fs := Lint(c); len(fs) > 0 {
		t.Errorf("config.example.yaml has lint findings:\n%s", findingsText(fs))
	}
}

func TestLintNeverPrintsPasswords(t *testing.T) {
	c := load(t, "testdata/lint/problems.yml")
	out := string(findingsText(Lint(c)))
	for _, secret := range []string{"Hunter2Literal", "Hunter3Literal"} {
		if strings.Contains(out, secret) {
			t.Errorf("lint output contains the password %s", secret)
		}
	}
}

func TestLiteralPassword(t *testing.T) {
	for _, tc := range []struct {
		name, dsn string
		want      bool
	}{
		{"URL with a literal password", "postgres://kpi:pw@db/erp", true},
		{"URL with an environment reference", "postgres://kpi:${PW}@db/erp", false},
		{"URL password mixing literal and reference", "postgres://kpi:x${PW}@db/erp", true},
		{"URL without password", "postgres://kpi@db/erp", false},
		{"MySQL form with a literal password", "kpi:pw@tcp(db:3306)/crm", true},
		{"MySQL form with a reference", "kpi:${PW}@tcp(db:3306)/crm?parseTime=true", false},
		{"password containing @ is still found", "kpi:p@ss@tcp(db)/crm", true},
		{"keyword form with password", "host=db user=kpi password=pw dbname=x", true},
		{"keyword form with reference", "host=db user=kpi password=${PW} dbname=x", false},
		{"SQL Server ADO form", "server=db;user id=sa;Password=pw;database=x", true},
		{"URL query parameter", "sqlserver://sa@db:1433?database=x&password=pw", true},
		{"empty password parameter", "host=db password= user=kpi", false},
		{"sqlite file path", "file:/var/lib/kpi/demo.db?_pragma=busy_timeout(5000)", false},
		{"plain sqlite path", "kpi_demo.db", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := literalPassword(tc.dsn); got != tc.want {
				t.Errorf("literalPassword(%q) = %v, want %v", tc.dsn, got, tc.want)
			}
		})
	}
}
