package e2e

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// TestEndToEnd runs the whole chain with real servers: MariaDB and SQLite →
// kpi_exporter → Prometheus with the generated rules → Alertmanager with the
// generated routing tree → the suite's webhook and SMTP receivers. The
// scenarios run in order on one stack, as the states they test follow each
// other: values, breach, recovery, a definition change, a dead source.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end suite starts real servers; skipped with -short")
	}
	testdb.RequireBinary(t, "prometheus", "prometheus")
	testdb.RequireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	testdb.RequireBinary(t, "mariadbd", "mariadb-server")

	dir := t.TempDir()
	s := &stack{dir: dir, catalog: filepath.Join(dir, "catalog.yml"), outDir: filepath.Join(dir, "out")}

	// Build the binary while MariaDB starts: both take a while.
	var (
		buildErr  error
		buildDone sync.WaitGroup
	)
	buildDone.Add(1)
	go func() { defer buildDone.Done(); s.bin, buildErr = buildExporter(dir) }()
	t.Cleanup(buildDone.Wait)

	mdb := testdb.StartMariaDB(t)
	loadShop(t, mdb)
	warehouse := createWarehouse(t, dir)
	hooks := startWebhookReceiver(t)
	inbox := startSMTPReceiver(t)
	writeCatalog(t, s.catalog, mdb.Addr(), warehouse, stockSQL)
	cat := loadCatalog(t, s.catalog)

	buildDone.Wait()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	s.generate(t)
	rules, err := readRules(filepath.Join(s.outDir, "rules"))
	if err != nil {
		t.Fatal(err)
	}
	s.startExporter(t)
	hookNames := s.startAlertmanager(t, hooks, inbox)
	t.Logf("generated alertmanager.yml sends to webhooks %v", hookNames)
	s.startPrometheus(t)

	t.Run("values match the database", func(t *testing.T) {
		testValues(t, s, cat, mdb, warehouse)
	})
	breached := t.Run("a breach reaches the owning team only", func(t *testing.T) {
		testBreach(t, s, cat, rules, mdb, hooks, inbox)
	})
	if breached {
		t.Run("recovery is reported", func(t *testing.T) {
			testRecovery(t, s, cat, rules, mdb, hooks)
		})
	}
	t.Run("a changed definition changes definition_hash", func(t *testing.T) {
		testReload(t, s, cat, mdb, warehouse)
	})
	t.Run("a dead source is alerted and the rest keeps being served", func(t *testing.T) {
		testDeadSource(t, s, cat, rules, mdb, hooks)
	})
}

// loadCatalog loads the catalog as the exporter does, with the password from
// the environment the exporter gets.
func loadCatalog(t testing.TB, path string) *catalog.Catalog {
	t.Helper()
	env := func(k string) (string, bool) {
		if k == shopPasswordEnv {
			return shopPassword, true
		}
		return "", false
	}
	cat, err := catalog.Options{LookupEnv: env}.Load(path)
	if err != nil {
		t.Fatalf("the e2e catalog does not load: %v", err)
	}
	return cat
}

// byLabel keys a vector by one label, failing on a duplicate.
func byLabel(v []sample, label string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, s := range v {
		k, ok := s.Metric[label]
		if !ok {
			return nil, fmt.Errorf("series %s has no %s label", s, label)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("two series with %s=%q: %v", label, k, v)
		}
		out[k] = s.Value
	}
	return out, nil
}

// sameValues compares two label→value maps with a relative tolerance.
func sameValues(got, want map[string]float64, rel float64) error {
	keys := func(m map[string]float64) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if !slices.Equal(keys(got), keys(want)) {
		return fmt.Errorf("got series for %v, want %v", keys(got), keys(want))
	}
	for k, w := range want {
		if g := got[k]; math.Abs(g-w) > rel*math.Max(math.Abs(w), 1e-12) {
			return fmt.Errorf("%s: got %v, want %v", k, g, w)
		}
	}
	return nil
}

// mapEach applies f to every value of m.
func mapEach(m map[string]float64, f func(k string, v float64) float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[k] = f(k, v)
	}
	return out
}

func constant(m map[string]float64, c float64) map[string]float64 {
	return mapEach(m, func(string, float64) float64 { return c })
}

// hookSet lists the distinct hooks of alerts, sorted.
func hookSet(as []alertSeen) []string {
	var out []string
	for _, a := range as {
		if !slices.Contains(out, a.Hook) {
			out = append(out, a.Hook)
		}
	}
	sort.Strings(out)
	return out
}

// firingState summarises Prometheus's alerts for a failure message.
func firingState(s *stack, kpi string) string {
	as, err := s.prom.alerts()
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, a := range as {
		if a.Labels[catalog.LabelKPI] == kpi {
			fmt.Fprintf(&b, "%s %s %v; ", a.State, a.Labels["alertname"], a.Labels)
		}
	}
	if b.Len() == 0 {
		return "Prometheus has no pending or firing alert for " + kpi
	}
	return "Prometheus alerts: " + b.String()
}
