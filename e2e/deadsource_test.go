package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// selfMetrics are the exporter's health series a stale-data or
// collection-failure alert is built on.
var selfMetrics = []string{
	catalog.SelfSourceUp, catalog.SelfKPIUp, catalog.SelfLastSuccess, catalog.SelfStale, catalog.SelfErrors,
}

// testDeadSource: the CRM's MariaDB server stops. Each team whose KPIs read
// it gets the generated KPISourceDown alert of source crm at its own
// receivers; every other KPI, on the shop's MariaDB and on SQLite, keeps being
// collected and served and raises no such alert; the password shows nowhere.
func testDeadSource(t *testing.T, x *suite) {
	var health []string // names of the stale/failure alerts
	for _, r := range x.rules {
		if r.Alert != "" && !slices.Contains(health, r.Alert) &&
			slices.ContainsFunc(selfMetrics, func(m string) bool { return strings.Contains(r.Expr, m) }) {
			health = append(health, r.Alert)
		}
	}
	if len(health) == 0 {
		t.Fatalf("the generated rules have no alert on %v", selfMetrics)
	}
	isHealth := func(a amAlert) bool { return a.Status == "firing" && slices.Contains(health, a.Labels["alertname"]) }

	var dead, alive []*catalog.KPI
	for _, k := range x.cat.KPIs {
		if k.Source == "crm" {
			dead = append(dead, k)
		} else {
			alive = append(alive, k)
		}
	}
	x.crm.Stop()
	stopped := time.Now()

	// One KPISourceDown per team whose KPIs read the CRM, carrying the
	// source; it mutes those KPIs' stale and collection-error alerts.
	teams := map[string]time.Duration{}
	for _, k := range dead {
		var longest time.Duration
		for _, r := range x.rules {
			if r.Alert == catalog.AlertSourceDown && r.Labels[catalog.LabelTeam] == k.Team {
				longest = max(longest, time.Duration(r.For))
			}
		}
		teams[k.Team] = max(teams[k.Team], longest)
	}
	for team, longest := range teams {
		timeout := longest + 2*evalInterval + x.cat.Alerting.GroupWait.D() + time.Minute
		teamHooks := []string{team + "-notify", team + "-oncall"}
		var first alertSeen
		eventually(t, timeout, "the CRM's outage reaches team "+team+" once", func() error {
			found := x.hooks.find(stopped, func(a amAlert) bool {
				return a.Status == "firing" && a.Labels["alertname"] == catalog.AlertSourceDown && a.Labels[catalog.LabelTeam] == team
			})
			for _, f := range found {
				if !slices.Contains(teamHooks, f.Hook) || f.Alert.Labels[catalog.LabelSource] != "crm" {
					return fmt.Errorf("%s of source %s reached %s, want source crm at team %s", f.Alert.Labels["alertname"], f.Alert.Labels[catalog.LabelSource], f.Hook, team)
				}
			}
			if len(found) == 0 {
				return errors.New("none yet")
			}
			first = found[0]
			return nil
		})
		t.Logf("%s of crm reached %s %.1f s after its MariaDB stopped (for %s)",
			first.Alert.Labels["alertname"], first.Hook, first.At.Sub(stopped).Seconds(), promDur(longest))
	}

	// Everything else is still collected, scraped and served.
	for _, k := range alive {
		eventually(t, 30*time.Second, k.Name+" keeps being collected", func() error {
			q := fmt.Sprintf(`%s{%s=%q}`, catalog.SelfLastSuccess, catalog.LabelKPI, k.Name)
			v, err := x.prom.query(q)
			if err != nil {
				return err
			}
			if len(v) != 1 || v[0].Value < float64(stopped.Unix())+1 {
				return fmt.Errorf("%s = %v, want a success after %s", q, v, stopped.Format(time.TimeOnly))
			}
			return nil
		})
	}
	page := scrape(t, x.exporter+"/metrics")
	for _, k := range alive {
		if !strings.Contains(page, k.MetricName()+"{") {
			t.Errorf("/metrics no longer serves %s with the CRM's MariaDB down", k.MetricName())
		}
	}
	for _, k := range dead {
		if strings.Contains(page, k.MetricName()+"{") {
			t.Errorf("/metrics still serves %s past its max_age %s with its source down", k.MetricName(), k.MaxAge)
		}
	}
	if up, err := x.prom.query(`up{job="kpi_exporter"}`); err != nil || len(up) != 1 || up[0].Value != 1 {
		t.Errorf("Prometheus's scrape of the exporter: up = %v (%v), want 1", up, err)
	}
	for _, k := range alive {
		if a := x.hooks.find(stopped, func(a amAlert) bool { return isHealth(a) && a.Labels[catalog.LabelKPI] == k.Name }); len(a) > 0 {
			t.Errorf("stale/failure alerts for %s, whose source is up: %v", k.Name, a)
		}
	}

	// Connection errors are where DSNs leak: the password shows neither in
	// the exporter's log nor on /metrics.
	if strings.Contains(page, dbPassword) {
		t.Error("/metrics shows the database password")
	}
	if strings.Contains(x.exporterP.LogTail(64<<20), dbPassword) {
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
