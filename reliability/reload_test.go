package reliability

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// reloadCatalog has five KPIs; the two valid versions differ only in the
// owner, which a reload applies without restarting the KPIs, so that every
// scrape can tell which catalog it shows from kpi_info. The timeout is far
// longer than the queries take on a busy machine, and values are kept for
// three intervals: a scrape that misses a value shows a reload's fault, not
// a slow run.
const reloadCatalog = `
global: {interval: 10s, timeout: 10s}
sources:
  local: {driver: sqlite, dsn: %q}
kpis:
  - {name: r1, unit: count, owner: %[2]s, team: t, source: local, sql: "SELECT 1 AS v", value: v}
  - {name: r2, unit: count, owner: %[2]s, team: t, source: local, sql: "SELECT 2 AS v", value: v}
  - {name: r3, unit: count, owner: %[2]s, team: t, source: local, sql: "SELECT 3 AS v", value: v}
  - {name: r4, unit: count, owner: %[2]s, team: t, source: local, sql: "SELECT 4 AS v", value: v}
  - {name: r5, unit: count, owner: %[2]s, team: t, source: local, sql: "SELECT 5 AS v", value: v}
`

// invalidCatalogs are what a bad edit looks like.
var invalidCatalogs = []func(valid string) string{
	func(string) string { return "kpis: [{name: broken}]\n" },
	func(v string) string { return strings.Replace(v, "interval: 10s", "intervall: 10s", 1) },
	func(v string) string { return v + "kpis: [\n" },
	func(v string) string { return strings.Replace(v, "driver: sqlite", "driver: nosql", 1) },
	func(v string) string {
		return strings.Replace(v, "SELECT 5 AS v", "SELECT 5 AS v\", labels: [team], \"x", 1)
	},
}

// TestBadReloadsUnderScrapes alternates valid and invalid catalogs every
// 100 ms for RELIABILITY_RELOAD_DURATION (default 30s) against a kpi_exporter
// built with -race, while 50 scrapers hit /metrics. Every scrape succeeds and
// shows one whole catalog; every reload answers and is counted according to
// whether its catalog was valid; the race detector finds nothing.
func TestBadReloadsUnderScrapes(t *testing.T) {
	duration := 30 * time.Second
	if s := os.Getenv("RELIABILITY_RELOAD_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		duration = d
	}
	bin := buildExporter(t, true)
	dir := t.TempDir()
	db := sqliteFile(t, "CREATE TABLE x (v INT)")
	catPath := filepath.Join(dir, "catalog.yml")
	valid := [2]string{fmt.Sprintf(reloadCatalog, db, "alice"), fmt.Sprintf(reloadCatalog, db, "bob")}
	write := func(body string) {
		if err := os.WriteFile(catPath+".tmp", []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(catPath+".tmp", catPath); err != nil {
			t.Fatal(err)
		}
	}
	write(valid[0])
	p := startProcess(t, bin, nil, "--config.file="+catPath)
	base := "http://" + p.addr
	p.waitHTTP(t, http.DefaultClient, base+"/-/healthy")
	waitFor(t, "every KPI to be served", hangBound, func() bool {
		s, err := scrapeURL(http.DefaultClient, base+"/metrics")
		return err == nil && wholeCatalog(s) == ""
	})

	done := make(chan struct{})
	var wg sync.WaitGroup
	var scrapes, bad atomic.Int64
	var firstBad atomic.Value
	for range 50 {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-done:
					return
				default:
				}
				s, err := scrapeURL(client, base+"/metrics")
				scrapes.Add(1)
				problem := ""
				if err != nil {
					problem = err.Error()
				} else {
					problem = wholeCatalog(s)
				}
				if problem != "" {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, problem)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}

	var okReloads, failedReloads int
	start := time.Now()
	for n := 1; time.Since(start) < duration; n++ {
		isValid := n%2 == 0
		if isValid {
			write(valid[(n/2)%2])
		} else {
			write(invalidCatalogs[(n/2)%len(invalidCatalogs)](valid[0]))
		}
		resp, err := http.Post(base+"/-/reload", "", nil)
		if err != nil {
			t.Fatalf("reload %d: %v", n, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode/100 == 2; got != isValid {
			t.Fatalf("reload %d of a %s catalog: %s %s", n, map[bool]string{true: "valid", false: "invalid"}[isValid], resp.Status, body)
		}
		if isValid {
			okReloads++
		} else {
			failedReloads++
		}
		if n%10 != 0 && time.Since(start)+100*time.Millisecond < duration {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s, err := scrapeURL(http.DefaultClient, base+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		last, _ := s.value(catalog.SelfReloadSuccessful)
		succ, _ := s.value(catalog.SelfReloadsTotal, "result=success")
		fail, _ := s.value(catalog.SelfReloadsTotal, "result=failure")
		if (last == 1) != isValid || int(succ) != okReloads || int(fail) != failedReloads {
			t.Fatalf("after reload %d (valid %v): last_reload_successful %v, reloads success %v failure %v; want %v, %d, %d",
				n, isValid, last, succ, fail, isValid, okReloads, failedReloads)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	t.Logf("%d reloads (%d valid, %d invalid) in %s; %d scrapes by 50 scrapers", okReloads+failedReloads, okReloads, failedReloads,
		time.Since(start).Round(time.Second), scrapes.Load())
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d scrapes failed or showed a partial catalog; first: %v", n, scrapes.Load(), firstBad.Load())
	}
	if code := p.stop(); code != 0 {
		t.Errorf("kpi_exporter exited with %d", code)
	}
	if out := p.Log(); strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "panic:") {
		t.Errorf("the race detector or a panic spoke:\n%s", out)
	}
}

// wholeCatalog returns what is wrong with a scrape that should show all five
// KPIs of one catalog version, or "".
func wholeCatalog(s *scrape) string {
	owners := map[string]bool{}
	for _, m := range s.mfs[catalog.InfoMetric].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == catalog.LabelOwner {
				owners[lp.GetValue()] = true
			}
		}
	}
	if n := s.series(catalog.InfoMetric); n != 5 || len(owners) != 1 {
		return fmt.Sprintf("%d kpi_info series with owners %v", n, owners)
	}
	for i := 1; i <= 5; i++ {
		if v, ok := s.value(fmt.Sprintf("kpi_r%d", i)); !ok || v != float64(i) {
			return fmt.Sprintf("kpi_r%d = %v (served %v)", i, v, ok)
		}
	}
	if v, _ := s.value(catalog.SelfCatalogKPIs); v != 5 {
		return fmt.Sprintf("%s = %v", catalog.SelfCatalogKPIs, v)
	}
	return ""
}
