package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpi-exporter/kpi_exporter/report"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// scorecardCatalog has a KPI in critical (a delivery ratio of 0.54 against
// a target of 0.95), one ok (a backlog of 40 against 100, lower is better),
// and one without a target or thresholds, in two teams.
const scorecardCatalog = `
global: {interval: 2s, timeout: 1s}
sources:
  shop: {driver: sqlite, dsn: %q}
kpis:
  - {name: delivery_ratio, help: Orders delivered on time., unit: ratio, team: ops, owner: "ann <ann@example.com>", source: shop,
     sql: SELECT 0.54 AS v, value: v, direction: higher, target: 0.95, thresholds: {warning: 0.9, critical: 0.8}}
  - {name: ticket_backlog, unit: count, team: ops, owner: ann, source: shop, sql: SELECT 40 AS v, value: v, direction: lower,
     target: 100, thresholds: {warning: "120%%", critical: "150%%"}}
  - {name: revenue, unit: currency, currency: EUR, team: sales, owner: bob, source: shop, direction: higher,
     sql: "SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region", labels: [region], value: revenue}
`

// waitScorecard polls the JSON scorecard until every KPI has been
// collected.
func (s *served) waitScorecard(t *testing.T, get func(path string) (int, string)) scorecard.Scorecard {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get(scorecardPath)
		var sc scorecard.Scorecard
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &sc); err != nil {
				t.Fatalf("%s is not JSON: %v\n%s", scorecardPath, err, body)
			}
			up := 0
			for _, tm := range sc.Teams {
				for _, k := range tm.KPIs {
					if k.Health == scorecard.HealthUp {
						up++
					}
				}
			}
			if up == 3 {
				return sc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed three KPIs up (%d):\n%s\nlog:\n%s", scorecardPath, code, body, s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func kpiIn(sc scorecard.Scorecard, name string) scorecard.KPI {
	for _, tm := range sc.Teams {
		for _, k := range tm.KPIs {
			if k.Name == name {
				return k
			}
		}
	}
	return scorecard.KPI{}
}

func TestScorecardIsServedAsJSONAndOnTheLandingPage(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "kpis.yml", fmt.Sprintf(scorecardCatalog, sqliteShop(t)))
	s := startServe(t, "--config.file="+cfg)
	sc := s.waitScorecard(t, func(p string) (int, string) { return s.get(t, p) })

	t.Run("the JSON groups KPIs by team and judges them against their thresholds", func(t *testing.T) {
		if len(sc.Teams) != 2 || sc.Teams[0].Name != "ops" || sc.Teams[1].Name != "sales" {
			t.Fatalf("teams %+v", sc.Teams)
		}
		d := kpiIn(sc, "delivery_ratio")
		if d.Status != scorecard.StatusCritical || len(d.Series) != 1 {
			t.Fatalf("delivery_ratio %+v, want critical", d)
		}
		r := d.Series[0]
		if r.Attainment == nil || math.Abs(*r.Attainment-0.54/0.95) > 1e-9 || r.Text.Value != "54.0%" || r.Text.Target != "95.0%" {
			t.Errorf("delivery_ratio series %+v", r)
		}
		if b := kpiIn(sc, "ticket_backlog"); b.Status != scorecard.StatusOK || b.Series[0].Critical == nil || *b.Series[0].Critical != 150 {
			t.Errorf("ticket_backlog %+v, want ok with a critical level of 150", b)
		}
		rev := kpiIn(sc, "revenue")
		if rev.Status != scorecard.StatusNone || len(rev.Series) != 2 || rev.LastSuccess == nil || rev.TimeZone != "UTC" {
			t.Errorf("revenue %+v, want two series (apac is NULL) without thresholds", rev)
		}
		if sc.Counts != (scorecard.Counts{OK: 1, Critical: 1, None: 2}) {
			t.Errorf("counts %+v", sc.Counts)
		}
	})
	t.Run("the landing page shows the status in words and colour, values escaped", func(t *testing.T) {
		code, page := s.get(t, "/")
		for _, want := range []string{
			"<h3>Team ops: 1 critical, 0 warning, 1 ok</h3>",
			`<td class="st st-critical">Critical</td><td rowspan="1"><b>delivery_ratio</b><br><small>Orders delivered on time.</small></td>`,
			`<td class="st st-ok">OK</td><td rowspan="1"><b>ticket_backlog</b></td>`,
			`<td class="num">54.0%</td><td class="num">95.0%</td><td class="num">56.8%</td>`,
			"ann &lt;ann@example.com&gt;",
			`<td class="st st-none">No thresholds</td>`,
			`<td>region=emea</td><td class="num">15.00 EUR</td>`,
			`href="` + scorecardPath + `"`,
			".st-critical { background: " + report.ColourCritical,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("landing page (%d) lacks %s", code, want)
			}
		}
	})
}

// TestScorecardIsBehindTheWebConfigsBasicAuth serves with a web config that
// asks for basic auth: the JSON path answers 401 without the password.
func TestScorecardIsBehindTheWebConfigsBasicAuth(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := writeFile(t, dir, "web.yml", "basic_auth_users:\n  manager: "+string(hash)+"\n")
	cfg := writeFile(t, dir, "kpis.yml", fmt.Sprintf(scorecardCatalog, sqliteShop(t)))
	s := startServe(t, "--config.file="+cfg, "--web.config.file="+web)
	for _, p := range []string{scorecardPath, "/"} {
		if code, _ := s.get(t, p); code != http.StatusUnauthorized {
			t.Errorf("%s without a password: %d, want 401", p, code)
		}
	}
	sc := s.waitScorecard(t, func(p string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.base+p, nil)
		req.SetBasicAuth("manager", "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	})
	if kpiIn(sc, "delivery_ratio").Status != scorecard.StatusCritical {
		t.Errorf("with the password: %+v", sc)
	}
}

// TestLandingPageShowsTheStatusColoursInABrowser opens the landing page of
// a running exporter in headless Chromium: the critical KPI's status cell
// and the ok one's are painted in their colours, and nothing is in warning.
func TestLandingPageShowsTheStatusColoursInABrowser(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "kpis.yml", fmt.Sprintf(scorecardCatalog, sqliteShop(t)))
	s := startServe(t, "--config.file="+cfg)
	s.waitScorecard(t, func(p string) (int, string) { return s.get(t, p) })
	img := screenshot(t, s.base+"/")
	// A status cell is some 70 × 20 pixels, less its word.
	for _, c := range []struct {
		what, colour string
		least        int
	}{
		{"the critical delivery_ratio", report.ColourCritical, 300},
		{"the ok ticket_backlog", report.ColourOK, 300},
		{"the two revenue series without thresholds", report.ColourNoData, 2 * 300},
	} {
		n := countColour(img, c.colour)
		if n < c.least {
			t.Errorf("the screenshot shows %s (%s) in %d pixels, want at least %d", c.what, c.colour, n, c.least)
		}
		t.Logf("%s: %d pixels", c.what, n)
	}
	if n := countColour(img, report.ColourWarning); n > 0 {
		t.Errorf("the screenshot shows a warning status (%s) in %d pixels; no KPI is in warning", report.ColourWarning, n)
	}
}
