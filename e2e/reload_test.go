package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testReload: the catalog's stock_accuracy SQL changes (same numbers, new
// definition); after POST /-/reload, Prometheus sees its new definition
// hash, and only its.
func testReload(t *testing.T, x *suite) {
	k, other := x.cat.KPI("stock_accuracy"), x.cat.KPI("order_fill_rate")
	infoHash := func(kpi, want string) func() error {
		return func() error {
			v, err := x.prom.query(fmt.Sprintf(`%s{%s=%q}`, catalog.InfoMetric, catalog.LabelKPI, kpi))
			if err != nil {
				return err
			}
			if len(v) != 1 {
				return fmt.Errorf("%d %s series for %s, want 1: %v", len(v), catalog.InfoMetric, kpi, v)
			}
			if got := v[0].Metric[catalog.LabelDefinitionHash]; got != want {
				return fmt.Errorf("%s of %s is %q, want %q", catalog.LabelDefinitionHash, kpi, got, want)
			}
			return nil
		}
	}
	eventually(t, 30*time.Second, "Prometheus has the first definition hash", infoHash(k.Name, k.DefinitionHash()))

	x.writeCatalog(t, stockSQLChanged)
	logChange(t, x.catalog, k.Name)
	changed := loadCatalog(t, x.catalog).KPI(k.Name).DefinitionHash()
	if changed == k.DefinitionHash() {
		t.Fatalf("the changed SQL kept definition hash %s: the test changes nothing", changed)
	}
	x.reload(t)
	eventually(t, 30*time.Second, "Prometheus has the new definition hash", infoHash(k.Name, changed))
	eventually(t, 30*time.Second, "the unchanged KPI keeps its hash", infoHash(other.Name, other.DefinitionHash()))
	// The team dashboard's annotation of the change, as Grafana would run
	// it, finds the change and the labels its text shows.
	expr := strings.ReplaceAll(annotationExpr(t, filepath.Join(x.outDir, "dashboards", "team-"+k.Team+".json"), changeLogAnnotation), "$__interval", "5m")
	eventually(t, 30*time.Second, "the annotation says who approved the change and why", func() error {
		v, err := x.prom.query(expr)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].Metric[catalog.LabelKPI] != k.Name || v[0].Metric[catalog.LabelChangeApprover] != "ops.lead@e2e.example" ||
			v[0].Metric[catalog.LabelChangeReason] != "Sites that counted nothing are left out." {
			return fmt.Errorf("annotation query %s: %v", expr, v)
		}
		return nil
	})
	eventually(t, 30*time.Second, "the reload is reported successful", func() error {
		v, err := x.prom.query(catalog.SelfReloadSuccessful)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].Value != 1 {
			return fmt.Errorf("%s = %v, want one series at 1", catalog.SelfReloadSuccessful, v)
		}
		return nil
	})
}

// changeLogAnnotation names the team dashboards' annotation of a definition
// change that comes with a change-log entry.
const changeLogAnnotation = "KPI definition changed, with its change log"

// logChange adds a change-log entry to a KPI of the catalog file.
func logChange(t *testing.T, path, kpi string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := "  - name: " + kpi + "\n"
	entry := "    changelog: [{date: 2026-11-20, author: olga.ops@e2e.example, approver: ops.lead@e2e.example, reason: Sites that counted nothing are left out.}]\n"
	if strings.Count(string(data), head) != 1 {
		t.Fatalf("%s does not define %s once", path, kpi)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), head, head+entry, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// annotationExpr reads the query of the named annotation of a generated
// dashboard.
func annotationExpr(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Annotations struct {
			List []struct {
				Name string `json:"name"`
				Expr string `json:"expr"`
			} `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range doc.Annotations.List {
		if a.Name == name {
			return a.Expr
		}
	}
	t.Fatalf("%s has no annotation %q", path, name)
	return ""
}
