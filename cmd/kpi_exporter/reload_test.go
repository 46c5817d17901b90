package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEveryRefusedReloadKeepsTheRunningCatalog replaces a served catalog with
// files the loader refuses, one at a time, and reloads: each answer is an
// error naming the file and line, the KPI stays served, the reload metrics
// say it failed, and no part of the DSN's secret shows in the answer.
func TestEveryRefusedReloadKeepsTheRunningCatalog(t *testing.T) {
	const secret = "Rl-5ecret-91b2"
	t.Setenv("RELOAD_TEST_PASSWORD", secret)
	dir := t.TempDir()
	shop := sqliteShop(t)
	good := fmt.Sprintf(serveCatalog, shop, "revenue")
	cfg := writeFile(t, dir, "kpis.yml", good)
	s := startServe(t, "--config.file="+cfg)
	s.waitMetrics(t, `kpi_revenue_eur{region="emea"} 15`)

	for _, c := range []struct {
		name, file, want string
	}{
		{"an empty file", "", "kpis.yml:1:"},
		{"a comments-only file", "# nothing yet\n# still nothing\n", "kpis.yml:"},
		{"a second document", good + "---\nkpis: []\n", "kpis.yml:"},
		{"an unknown tag", strings.Replace(good, "help: Revenue by region.", "help: !include help/revenue.md", 1), "kpis.yml:"},
		{"a NUL byte", good + "\x00\n", "kpis.yml:"},
		{"invalid UTF-8", good + "# \xff\xfe\n", "kpis.yml:"},
		{"a write statement", strings.Replace(good, "sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region", "sql: DELETE FROM orders", 1), "kpis[0].sql: line 1 of the SQL"},
		{"a stacked statement", strings.Replace(good, "GROUP BY region", "GROUP BY region; ATTACH 'x.db' AS x", 1), "more than one statement"},
		{"a DSN in another driver's form", strings.Replace(good, "driver: sqlite, dsn: "+strconv.Quote(shop), `driver: postgres, dsn: "kpi:${RELOAD_TEST_PASSWORD}@tcp(db:3306)/crm"`, 1), "invalid DSN: the postgres driver cannot parse it"},
		{"an unescaped URL password", strings.Replace(good, "driver: sqlite, dsn: "+strconv.Quote(shop), `driver: postgres, dsn: "postgres://kpi:`+secret+`@x#y@db/crm"`, 1), "sources.shop.dsn"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, before := s.get(t, "/metrics")
			failures := reloadFailures(t, before)
			writeFile(t, dir, "kpis.yml", c.file)
			code, msg := s.post(t, "/-/reload")
			if code < 400 || !strings.Contains(msg, c.want) {
				t.Fatalf("reload answered %d, want an error containing %q:\n%s", code, c.want, msg)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, "5ecret") {
				t.Fatalf("the answer shows the secret:\n%s", msg)
			}
			_, after := s.get(t, "/metrics")
			for _, want := range []string{`kpi_revenue_eur{region="emea"} 15`, "kpi_exporter_config_last_reload_successful 0"} {
				if !strings.Contains(after, want) {
					t.Fatalf("after the refused reload /metrics lacks %s", want)
				}
			}
			if got := reloadFailures(t, after); got != failures+1 {
				t.Fatalf("reload failures went from %v to %v, want one more", failures, got)
			}
			if _, page := s.get(t, "/"); strings.Contains(page, "5ecret") {
				t.Fatal("the landing page shows the secret")
			}
		})
	}
	if strings.Contains(s.stderr.String(), "5ecret") {
		t.Fatalf("the log shows the secret:\n%s", s.stderr)
	}
}

var reloadFailureRE = regexp.MustCompile(`(?m)^kpi_exporter_config_reloads_total\{result="failure"\} (\S+)$`)

func reloadFailures(t *testing.T, metrics string) float64 {
	t.Helper()
	m := reloadFailureRE.FindStringSubmatch(metrics)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
