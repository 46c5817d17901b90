package e2e

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// suite is the running chain and what the scenarios know about it.
type suite struct {
	*stack
	cat       *catalog.Catalog
	rules     []rule // the generated rule files, as Prometheus loads them
	shop, crm *testdb.Server
	warehouse string // the SQLite file
	hooks     *webhookReceiver
	inbox     *smtpReceiver
}

// TestEndToEnd runs the whole chain with real servers: two MariaDB servers
// and a SQLite file → kpi_exporter → Prometheus with the generated rules →
// Alertmanager with the generated routing tree → the suite's webhook and
// SMTP receivers. The scenarios share one stack and run in the order their
// states follow each other; recovery and the dead source run side by side,
// on different servers, because each waits out the alert timings the
// generated rules set.
func TestEndToEnd(t *testing.T) {
	s, built := requireStack(t)
	began := time.Now()
	x := &suite{stack: s}

	// The binary builds while the databases start: both take a while.
	x.shop = testdb.StartMariaDB(t)
	loadShop(t, x.shop)
	x.crm = testdb.StartMariaDB(t)
	loadCRM(t, x.crm)
	x.warehouse = createWarehouse(t, s.dir)
	x.hooks = startWebhookReceiver(t)
	x.inbox = startSMTPReceiver(t)
	x.writeCatalog(t, stockSQL)
	x.cat = loadCatalog(t, x.catalog)

	built()
	t.Logf("databases loaded and kpi_exporter built (race detector: %v) after %.1f s", raceEnabled, time.Since(began).Seconds())
	x.generate(t)
	var err error
	if x.rules, err = readRules(filepath.Join(x.outDir, "rules")); err != nil {
		t.Fatal(err)
	}
	x.startExporter(t)
	hookNames := x.startAlertmanager(t, x.hooks, x.inbox)
	t.Logf("the generated alertmanager.yml sends to webhooks %v", hookNames)
	x.startPrometheus(t)
	t.Logf("stack up after %.1f s", time.Since(began).Seconds())

	t.Run("values match the database", func(t *testing.T) { testValues(t, x) })
	t.Run("a changed definition changes definition_hash", func(t *testing.T) { testReload(t, x) })
	breached := t.Run("a breach reaches the owning team only", func(t *testing.T) { testBreach(t, x) })
	t.Run("after the breach", func(t *testing.T) {
		if breached {
			t.Run("recovery is reported", func(t *testing.T) { t.Parallel(); testRecovery(t, x) })
		}
		t.Run("a dead source is alerted and the rest keeps being served", func(t *testing.T) { t.Parallel(); testDeadSource(t, x) })
	})
	t.Logf("end-to-end suite took %.1f s", time.Since(began).Seconds())
}

// writeCatalog writes the suite's catalog with the given stock_accuracy SQL.
func (x *suite) writeCatalog(t testing.TB, stock string) {
	writeCatalog(t, x.catalog, x.shop.Addr(), x.crm.Addr(), x.warehouse, stock)
}

// loadCatalog loads the catalog as the exporter does, with the password from
// the environment the exporter gets.
func loadCatalog(t testing.TB, path string) *catalog.Catalog {
	t.Helper()
	env := func(k string) (string, bool) {
		if k == dbPasswordEnv {
			return dbPassword, true
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
