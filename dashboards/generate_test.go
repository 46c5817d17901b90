package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// schemaVersion is the dashboard schema version the pinned SDK emits, which
// is Grafana's current one.
const schemaVersion = 42

func load(t testing.TB, path string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "", false }}.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cat
}

// File is a generated file as package output encodes it.
type File = output.File

// generate returns every file Generate gives for cat, encoded as package
// output writes it.
func generate(t testing.TB, cat *catalog.Catalog) []File {
	t.Helper()
	out, err := Generate(cat)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var files []File
	for _, f := range out.Files() {
		data, err := output.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: f.Path, Data: data})
	}
	return files
}

// testCatalog is a catalog every property test runs on.
type testCatalog struct {
	name string
	load func(testing.TB) *catalog.Catalog
}

// testCatalogs are the documented example, the small catalog of odd shapes in
// testdata, and a synthetic catalog the generator was never tuned on.
func testCatalogs(t testing.TB) []testCatalog {
	t.Helper()
	file := func(path string) testCatalog {
		return testCatalog{path, func(t testing.TB) *catalog.Catalog { return load(t, path) }}
	}
	return []testCatalog{
		file("../config.example.yaml"),
		file("testdata/catalog.yaml"),
		file(zhCatalog),
		{"synthetic", func(t testing.TB) *catalog.Catalog { return syntheticCatalog(t, 120, 40) }},
	}
}

// zhCatalog is the rules' golden catalog in Simplified Chinese, with KPI
// and team titles.
const zhCatalog = "../rules/testdata/zh.yml"

func TestGeneratedFilesMatchGolden(t *testing.T) {
	paths := matchGolden(t, load(t, "testdata/catalog.yaml"), "golden")
	want := []string{overviewPath, "dashboards/team-ops.json", "dashboards/team-shop.json", provisioningPath}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("files = %v, want %v (a team without KPIs gets no dashboard)", paths, want)
	}
}

func TestChineseCatalogMatchesGolden(t *testing.T) {
	matchGolden(t, load(t, zhCatalog), "golden_zh")
}

// matchGolden compares the files generated for cat with those in
// testdata/dir, or rewrites them with -update, and returns their paths.
func matchGolden(t *testing.T, cat *catalog.Catalog, dir string) []string {
	t.Helper()
	var paths []string
	for _, f := range generate(t, cat) {
		paths = append(paths, f.Path)
		golden := filepath.Join("testdata", dir, filepath.FromSlash(f.Path))
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./dashboards -update to create it)", err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s; if the change is intended, run go test ./dashboards -update and review the diff", f.Path, golden)
		}
	}
	return paths
}

func TestRegeneratingGivesIdenticalBytes(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			first := generate(t, c.load(t))
			for range 3 {
				again := generate(t, c.load(t))
				if len(again) != len(first) {
					t.Fatalf("%d files, then %d", len(first), len(again))
				}
				for i := range first {
					if first[i].Path != again[i].Path || !bytes.Equal(first[i].Data, again[i].Data) {
						t.Fatalf("%s changed between runs", first[i].Path)
					}
				}
			}
		})
	}
}

// dashboardFiles decodes every generated dashboard, both as a generic document
// and through the SDK's own types, which is what importing needs.
func dashboardFiles(t *testing.T, files []File) map[string]map[string]any {
	t.Helper()
	plugins.RegisterDefaultPlugins()
	out := map[string]map[string]any{}
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".json") {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			t.Fatalf("%s is not valid JSON: %v", f.Path, err)
		}
		var typed dashboard.Dashboard
		if err := json.Unmarshal(f.Data, &typed); err != nil {
			t.Fatalf("%s does not decode as a Grafana dashboard: %v", f.Path, err)
		}
		out[f.Path] = doc
	}
	return out
}

func TestDashboardsImportAnywhere(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			docs := dashboardFiles(t, generate(t, cat))
			wantUID := map[string]string{overviewPath: catalog.OverviewDashboardUID}
			for _, team := range cat.Teams {
				if len(cat.TeamKPIs(team.Name)) > 0 {
					wantUID[teamPath(team.Name)] = catalog.DashboardUID(team.Name)
				}
			}
			if len(docs) != len(wantUID) {
				t.Errorf("got %d dashboards, want %d", len(docs), len(wantUID))
			}
			for p, doc := range docs {
				if doc["uid"] != wantUID[p] {
					t.Errorf("%s: uid %v, want %q", p, doc["uid"], wantUID[p])
				}
				if doc["schemaVersion"] != float64(schemaVersion) {
					t.Errorf("%s: schemaVersion %v, want %d", p, doc["schemaVersion"], schemaVersion)
				}
				if _, ok := doc["id"]; ok {
					t.Errorf("%s: has an id; provisioning and import need none", p)
				}
				checkDatasourceIsVariable(t, p, doc)
				checkPanelIDsUnique(t, p, doc)
			}
		})
	}
}

// checkDatasourceIsVariable fails when any datasource reference, anywhere in
// the document, names a data source rather than the dashboard variable.
func checkDatasourceIsVariable(t *testing.T, path string, doc map[string]any) {
	t.Helper()
	list := doc["templating"].(map[string]any)["list"].([]any)
	v := list[0].(map[string]any)
	if v["name"] != datasourceVar || v["type"] != "datasource" || v["query"] != "prometheus" {
		t.Errorf("%s: first variable is %v, want the prometheus datasource variable", path, v)
	}
	// A query without a data source uses its panel's.
	for _, p := range doc["panels"].([]any) {
		p := p.(map[string]any)
		if _, ok := p["targets"]; ok && p["datasource"] == nil {
			t.Errorf("%s: panel %q has queries but no data source", path, p["title"])
		}
	}
	walk(doc, func(key string, val any) {
		if key != "datasource" {
			return
		}
		ref, ok := val.(map[string]any)
		if !ok {
			t.Errorf("%s: datasource %v is not a reference", path, val)
			return
		}
		if ref["uid"] != "${datasource}" || ref["type"] != "prometheus" {
			t.Errorf("%s: datasource %v is hard-coded", path, ref)
		}
	})
}

func checkPanelIDsUnique(t *testing.T, path string, doc map[string]any) {
	t.Helper()
	seen := map[float64]string{}
	for _, p := range doc["panels"].([]any) {
		p := p.(map[string]any)
		id := p["id"].(float64)
		if id == 0 {
			t.Errorf("%s: panel %q has no id", path, p["title"])
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s: panels %q and %q share id %v", path, other, p["title"], id)
		}
		seen[id] = p["title"].(string)
		g := p["gridPos"].(map[string]any)
		if g["x"].(float64)+g["w"].(float64) > gridWidth {
			t.Errorf("%s: panel %q overflows the grid: %v", path, p["title"], g)
		}
	}
}

// walk calls fn for every key and value of every object in a decoded JSON
// document, depth first in a stable order.
func walk(v any, fn func(key string, val any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			fn(k, v[k])
			walk(v[k], fn)
		}
	case []any:
		for _, e := range v {
			walk(e, fn)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestProvisioningLoadsTheGeneratedDashboards(t *testing.T) {
	files := generate(t, load(t, "testdata/catalog.yaml"))
	prov := files[len(files)-1]
	if prov.Path != provisioningPath {
		t.Fatalf("last file is %s, want %s", prov.Path, provisioningPath)
	}
	if !bytes.HasPrefix(prov.Data, []byte(output.Header)) {
		t.Errorf("provisioning file lacks the generated-code header")
	}
	var doc struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string            `yaml:"name"`
			Type    string            `yaml:"type"`
			Options map[string]string `yaml:"options"`
		} `yaml:"providers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(prov.Data))
	dec.KnownFields(false)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.APIVersion != 1 || len(doc.Providers) != 1 || doc.Providers[0].Type != "file" ||
		doc.Providers[0].Options["path"] != provisioningDir {
		t.Errorf("provisioning = %+v, want apiVersion 1 and one file provider reading %s", doc, provisioningDir)
	}
}
