package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// TestChineseCatalogEndToEnd runs a Chinese-language catalog through the
// real chain: SQLite → kpi_exporter → Prometheus with the generated rules →
// Alertmanager → the team's webhook and mailbox. The alert a person reads
// names the KPI by its title, says the rest in Chinese and counts in 万, as
// Prometheus expands the generated annotation; the dashboards and the
// dictionary carry the titles too.
func TestChineseCatalogEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end suite starts real servers; skipped with -short")
	}
	testdb.RequireBinary(t, "prometheus", "prometheus")
	testdb.RequireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")

	dir := t.TempDir()
	s := &stack{dir: dir, catalog: filepath.Join(dir, "catalog.yml"), outDir: filepath.Join(dir, "out")}
	var err error
	if s.bin, err = buildExporter(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	// 156,000 cancelled orders in 华东: above the critical 100,000.
	db := filepath.Join(dir, "warehouse.db")
	testdb.SQLiteFile(t, db, "CREATE TABLE cancelled (region TEXT NOT NULL, n INTEGER NOT NULL)",
		"INSERT INTO cancelled VALUES ('华东', 156000), ('华北', 1200)")
	tmpl, err := os.ReadFile(filepath.Join("testdata", "catalog_zh.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.catalog, []byte(strings.ReplaceAll(string(tmpl), "@WAREHOUSE_DB@", db)), 0o644); err != nil {
		t.Fatal(err)
	}
	s.generate(t)
	hooks, inbox := startWebhookReceiver(t), startSMTPReceiver(t)
	s.startExporter(t)
	s.startAlertmanager(t, hooks, inbox)
	s.startPrometheus(t)

	want := map[string]string{"kpi": "cancelled_orders", "team": "ops", "severity": "critical", "region": "华东"}
	var got amAlert
	eventually(t, 2*time.Minute, "the critical alert reaches the team's webhook", func() error {
		found := hooks.find(time.Time{}, func(a amAlert) bool { return a.Status == "firing" && labelsMatch(a, want) })
		if len(found) == 0 {
			return fmt.Errorf("no firing alert with %v yet", want)
		}
		got = found[0].Alert
		return nil
	})
	if summary, w := got.Annotations["summary"], "近30天取消订单数（region=华东）为 15.6万，高于严重阈值 10万。"; summary != w {
		t.Errorf("summary = %q, want %q", summary, w)
	}
	if desc, w := got.Annotations["description"], "近30天被取消的订单数量。严重阈值为 10万。负责人：李强。"; desc != w {
		t.Errorf("description = %q, want %q", desc, w)
	}
	eventually(t, time.Minute, "the alert's email reaches the team", func() error {
		for _, m := range inbox.received() {
			if slices.Contains(m.To, "ops-team@e2e.example") && strings.Contains(m.Body, "近30天取消订单数（region=华东）为 15.6万") {
				return nil
			}
		}
		return fmt.Errorf("no email to ops-team@e2e.example with the Chinese summary; received %d", len(inbox.received()))
	})

	for file, wants := range map[string][]string{
		"dashboards/team-ops.json": {`"title": "KPI：运营中心"`, `"title": "近30天取消订单数"`, "警告：4.56万。严重：10万。"},
		"docs/kpis.md":             {"# KPI 词典", "### 近30天取消订单数", "| 阈值 | 警告：高于4.56万；严重：高于10万 |"},
	} {
		b, err := os.ReadFile(filepath.Join(s.outDir, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}
