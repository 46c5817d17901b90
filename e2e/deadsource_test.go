package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// selfMetrics are the exporter's health series a stale-data or
// collection-failure alert is built on.
var selfMetrics = []string{
	catalog.SelfSourceUp, catalog.SelfKPIUp, catalog.SelfLastSuccess, catalog.SelfStale, catalog.SelfErrors,
}

// testDeadSource: MariaDB stops. Each of its KPIs raises the generated
// stale-data or collection-failure alert at its own team's receivers; the
// warehouse KPI on SQLite keeps being collected and served; the password
// shows nowhere.
func testDeadSource(t *testing.T, s *stack, cat *catalog.Catalog, rules []rule, mdb *testdb.Server, hooks *webhookReceiver) {
	var health []string // alert names of the stale/failure alerts
	var longest time.Duration
	for _, r := range rules {
		if r.Alert != "" && slices.ContainsFunc(selfMetrics, func(m string) bool { return strings.Contains(r.Expr, m) }) {
			if !slices.Contains(health, r.Alert) {
				health = append(health, r.Alert)
			}
			longest = max(longest, time.Duration(r.For))
		}
	}
	if len(health) == 0 {
		t.Fatalf("the generated rules have no alert on %v", selfMetrics)
	}
	t.Logf("stale/collection-failure alerts: %v (longest for %s)", health, promDur(longest))

	mdb.Stop()
	stopped := time.Now()
	var shopKPIs []*catalog.KPI
	for _, k := range cat.KPIs {
		if k.Source == "shop" {
			shopKPIs = append(shopKPIs, k)
		}
	}
	teamHooks := func(team string) []string { return []string{team + "-notify", team + "-oncall"} }
	for _, k := range shopKPIs {
		budget := k.MaxAge.D() + longest + evalInterval + cat.Alerting.GroupWait.D() + time.Minute
		eventually(t, budget, "a stale/failure alert for "+k.Name+" reaches team "+k.Team, func() error {
			found := hooks.find(stopped, func(a amAlert) bool {
				return a.Status == "firing" && a.Labels[catalog.LabelKPI] == k.Name && slices.Contains(health, a.Labels["alertname"])
			})
			for _, f := range found {
				if !slices.Contains(teamHooks(k.Team), f.Hook) {
					return fmt.Errorf("%s alert for %s reached %s, not team %s", f.Alert.Labels["alertname"], k.Name, f.Hook, k.Team)
				}
			}
			if len(found) == 0 {
				return fmt.Errorf("none yet; %s", firingState(s, k.Name))
			}
			return nil
		})
	}
	t.Logf("stale/failure alerts reached their teams %.1f s after MariaDB stopped", time.Since(stopped).Seconds())

	// The warehouse KPI is still collected, scraped and served.
	stock := cat.KPI("stock_accuracy")
	eventually(t, 30*time.Second, "the SQLite KPI keeps being collected", func() error {
		q := fmt.Sprintf(`%s{%s=%q}`, catalog.SelfLastSuccess, catalog.LabelKPI, stock.Name)
		v, err := s.prom.query(q)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].Value < float64(stopped.Unix())+1 {
			return fmt.Errorf("%s = %v, want a success after %s", q, v, stopped.Format(time.TimeOnly))
		}
		return nil
	})
	page := scrape(t, s.exporter+"/metrics")
	if !strings.Contains(page, stock.MetricName()+"{") {
		t.Errorf("/metrics no longer serves %s with MariaDB down", stock.MetricName())
	}
	for _, k := range shopKPIs {
		if strings.Contains(page, k.MetricName()+"{") {
			t.Errorf("/metrics still serves %s past its max_age %s with its source down", k.MetricName(), k.MaxAge)
		}
	}
	if up, err := s.prom.query(`up{job="kpi_exporter"}`); err != nil || len(up) != 1 || up[0].Value != 1 {
		t.Errorf("Prometheus's scrape of the exporter: up = %v (%v), want 1", up, err)
	}
	if a := hooks.find(stopped, func(a amAlert) bool {
		return a.Status == "firing" && a.Labels[catalog.LabelKPI] == stock.Name
	}); len(a) > 0 {
		t.Errorf("alerts for %s, whose source is up: %v", stock.Name, a)
	}

	// Connection errors are where DSNs leak: the password shows neither in
	// the exporter's log nor on /metrics.
	if strings.Contains(page, shopPassword) {
		t.Error("/metrics shows the database password")
	}
	if strings.Contains(s.exporterP.logTail(64<<20), shopPassword) {
		t.Error("the exporter's log shows the database password")
	}
}

// scrape returns the text of a /metrics page.
func scrape(t testing.TB, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}
