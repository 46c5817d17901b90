package rules

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCatalogs are the catalogs in testdata, by name.
func goldenCatalogs(t testing.TB) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.yml")
	if err != nil || len(paths) < 2 {
		t.Fatalf("want at least two golden catalogs in testdata, got %v (%v)", paths, err)
	}
	out := map[string]string{}
	for _, p := range paths {
		out[strings.TrimSuffix(filepath.Base(p), ".yml")] = p
	}
	return out
}

// exampleAndGolden are config.example.yaml and the golden catalogs: every
// catalog the generator's output is checked on.
func exampleAndGolden(t testing.TB) []string {
	paths := []string{"../config.example.yaml"}
	for _, p := range goldenCatalogs(t) {
		paths = append(paths, p)
	}
	return paths
}

func load(t testing.TB, paths ...string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(paths...)
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	return c
}

// generate returns every file Generate gives for c, encoded as package
// output writes it, in path order.
func generate(t testing.TB, c *catalog.Catalog, o Options) []output.File {
	t.Helper()
	out, err := Generate(c, o)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var files []output.File
	for _, f := range out.Files() {
		data, err := output.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, output.File{Path: f.Path, Data: data})
	}
	return files
}

// fileData returns the data of the file at path.
func fileData(t testing.TB, files []output.File, path string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("%s is not generated", path)
	return nil
}

func TestGoldenFiles(t *testing.T) {
	for name, path := range goldenCatalogs(t) {
		t.Run(name, func(t *testing.T) {
			files := generate(t, load(t, path), Options{PrometheusRule: true})
			dir := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if _, err := output.Write(dir, files); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]bool{}
			for _, f := range files {
				want[f.Path] = true
				golden, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
				if err != nil {
					t.Fatalf("%s: %v (run go test ./rules -update)", f.Path, err)
				}
				if !bytes.Equal(golden, f.Data) {
					t.Errorf("%s differs from its golden file (run go test ./rules -update and review the diff)", f.Path)
				}
			}
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && d.Name() != output.ManifestFile {
					r, _ := filepath.Rel(dir, p)
					if !want[filepath.ToSlash(r)] {
						t.Errorf("golden file %s is no longer generated", r)
					}
				}
				return nil
			})
		})
	}
}

func TestGenerateTwiceGivesIdenticalBytes(t *testing.T) {
	paths := exampleAndGolden(t)
	for _, p := range paths {
		a := generate(t, load(t, p), Options{PrometheusRule: true})
		b := generate(t, load(t, p), Options{PrometheusRule: true})
		if len(a) != len(b) {
			t.Fatalf("%s: %d files, then %d", p, len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two runs", p, a[i].Path)
			}
		}
	}
}

func TestEveryGeneratedFileHasTheHeader(t *testing.T) {
	for _, f := range generate(t, load(t, "../config.example.yaml"), Options{PrometheusRule: true}) {
		if !bytes.HasPrefix(f.Data, []byte(output.Header)) {
			t.Errorf("%s does not start with %q", f.Path, output.Header)
		}
	}
}

// TestEveryThresholdKPIHasWarningAndCriticalAlerts checks the promise to
// owners: each threshold becomes an alert with team and owner labels and a
// summary that renders the value in the KPI's unit.
func TestEveryThresholdKPIHasWarningAndCriticalAlerts(t *testing.T) {
	c := load(t, "../config.example.yaml")
	out, err := Generate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]map[string]bool{}
	for _, f := range out.RuleFiles {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" || r.Alert == catalog.AlertSourceDown {
					continue
				}
				k := r.Labels[catalog.LabelKPI]
				if found[k] == nil {
					found[k] = map[string]bool{}
				}
				found[k][r.Alert] = true
				for _, l := range []string{catalog.LabelKPI, catalog.LabelTeam, catalog.LabelOwner, catalog.LabelSeverity} {
					if r.Labels[l] == "" {
						t.Errorf("%s of %s has no %s label", r.Alert, k, l)
					}
				}
				if r.Annotations["summary"] == "" || r.Annotations["dashboard_url"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s of %s lacks a summary, description or dashboard link", r.Alert, k)
				}
			}
		}
	}
	for _, k := range c.KPIs {
		if k.Thresholds == nil {
			continue
		}
		if k.Thresholds.Warning != nil && !found[k.Name][catalog.AlertThresholdWarning] {
			t.Errorf("%s has a warning threshold but no warning alert", k.Name)
		}
		if k.Thresholds.Critical != nil && !found[k.Name][catalog.AlertThresholdCritical] {
			t.Errorf("%s has a critical threshold but no critical alert", k.Name)
		}
	}
}

func TestRuleFilesAreOrderedAfterWhatTheyRead(t *testing.T) {
	out, err := Generate(load(t, "../config.example.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.RuleFiles {
		for _, g := range f.Groups {
			recorded := map[string]bool{}
			for _, r := range g.Rules {
				for _, name := range strings.FieldsFunc(r.Expr, func(c rune) bool {
					return !(c == ':' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
				}) {
					if strings.HasPrefix(name, "kpi:kpi_") || strings.HasPrefix(name, "team:") {
						if !recorded[name] {
							t.Errorf("%s: %s%s reads %s before it is recorded", g.Name, r.Record, r.Alert, name)
						}
					}
				}
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
}

func TestGenerateRejectsAnInvalidRuleAndNamesTheKPI(t *testing.T) {
	c := load(t, "../config.example.yaml")
	// A label value that is not UTF-8 passes the catalog (owner is free
	// text) but not Prometheus; the generator must refuse it and say which
	// KPI is to blame.
	c.KPI("defect_rate").Owner = "jonas\xff"
	out, err := Generate(c, Options{})
	if !errors.Is(err, ErrInvalidRule) || out != nil {
		t.Fatalf("want ErrInvalidRule and no output, got %v", err)
	}
	if !strings.Contains(err.Error(), "kpi defect_rate: ") || !strings.Contains(err.Error(), "invalid label") {
		t.Errorf("error does not name the KPI and the problem: %v", err)
	}
}

func TestGenerateRejectsABrokenAnnotationTemplateAndNamesTheKPI(t *testing.T) {
	c := load(t, "../config.example.yaml")
	// Help text lands in every alert's description, which Prometheus
	// expands as a template.
	c.KPI("churn_rate").Help = "Churn {{ broken"
	out, err := Generate(c, Options{})
	if !errors.Is(err, ErrInvalidRule) || out != nil {
		t.Fatalf("want ErrInvalidRule and no output, got %v", err)
	}
	if !strings.Contains(err.Error(), "kpi churn_rate: ") || !strings.Contains(err.Error(), "description") {
		t.Errorf("error does not name the KPI and the annotation: %v", err)
	}
}

func TestAKPIOfAnUndefinedTeamStillGetsRulesAndIsReportedUnrouted(t *testing.T) {
	c, err := catalog.Options{}.Parse("loose.yml", []byte(`
sources:
  db: {driver: sqlite, dsn: x.db}
kpis:
  - {name: orphans, help: h, unit: count, owner: o@example.com, team: nomads, source: db, sql: SELECT 1 AS v, value: v, direction: lower, thresholds: {warning: 5}}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	warnings := out.Warnings()
	var rules bool
	for _, f := range generate(t, c, Options{}) {
		rules = rules || f.Path == teamFile("nomads") && bytes.Contains(f.Data, []byte("alert: "+catalog.AlertThresholdWarning))
	}
	if !rules {
		t.Error("no rules for the KPI of an undefined team")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "team nomads") {
		t.Errorf("warnings %q do not report the unrouted team", warnings)
	}
}

// TestKPIAlertsAreTheRulesAlerts holds KPIAlerts, which builds only the
// alerts, to the alerts among every rule of each KPI.
func TestKPIAlertsAreTheRulesAlerts(t *testing.T) {
	for _, p := range exampleAndGolden(t) {
		c := load(t, p)
		for _, k := range c.KPIs {
			var want []string
			for _, r := range newKPICtx(c, k).rules() {
				if r.Alert != "" {
					want = append(want, r.Alert+"/"+r.Labels["severity"])
				}
			}
			var got []string
			for _, r := range KPIAlerts(c, k) {
				got = append(got, r.Alert+"/"+r.Labels["severity"])
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: KPIAlerts %v, rules %v", k.Name, got, want)
			}
		}
	}
}
