//go:build soak

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// The soak runs only with -tags soak (make soak), never in make test.
//
//	SOAK_DURATION  how long to run (default 30m)
//	SOAK_SAMPLE    how often to record RSS and goroutines (default 15s)
//	SOAK_OUT       directory for soak.csv and summary.txt (default a temp dir)

const soakCatalog = `
global: {interval: 2s, timeout: 1500ms, labels: {env: soak}}
sources:
  shop: {driver: mysql, dsn: "${SOAK_DSN}", max_open_conns: 3}
  demo: {driver: sqlite, dsn: %[1]q, demo: true}
kpis:
  - {name: revenue, unit: currency, currency: EUR, owner: %[2]s, team: sales, source: shop, sql: "SELECT region, SUM(amount) AS v FROM sales GROUP BY region", labels: [region], value: v, direction: higher, target: 1000, thresholds: {warning: 90%%, critical: 50%%}}
  - {name: orders, unit: count, owner: %[2]s, team: sales, source: shop, sql: "SELECT region, COUNT(*) AS v FROM sales GROUP BY region", labels: [region], value: v}
  - {name: order_size, unit: currency, currency: EUR, owner: %[2]s, team: sales, source: shop, sql: "SELECT region, AVG(amount) AS v FROM sales GROUP BY region", labels: [region], value: v}
  - {name: latest_order_age, unit: seconds, owner: %[2]s, team: ops, source: shop, sql: %[3]q, value: v}
  - {name: regions, unit: count, owner: %[2]s, team: ops, source: shop, sql: "SELECT COUNT(DISTINCT region) AS v FROM sales", value: v}
  - {name: demo_rows, unit: count, owner: %[2]s, team: ops, source: demo, sql: "SELECT COUNT(*) AS v FROM sqlite_master", value: v}
`

// soakAgeSQL alternates between two forms so that a reload restarts the KPI.
var soakAgeSQL = [2]string{
	"SELECT TIMESTAMPDIFF(SECOND, MAX(at), NOW()) AS v FROM sales",
	"SELECT TIMESTAMPDIFF(SECOND, MAX(at), NOW()) + 0 AS v FROM sales",
}

type soakSample struct {
	at                      time.Duration
	rss, heap               float64
	goroutines              float64
	scrapes, failed, reload int64
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

func TestSoak(t *testing.T) {
	duration := envDuration(t, "SOAK_DURATION", 30*time.Minute)
	every := envDuration(t, "SOAK_SAMPLE", 15*time.Second)
	out := os.Getenv("SOAK_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildExporter(t, false)

	srv := testdb.StartMariaDB(t)
	db := srv.CreateDatabase(t, "soak")
	srv.Exec(t, db, "CREATE TABLE sales (region VARCHAR(20), amount DECIMAL(10,2), at DATETIME DEFAULT NOW())")
	srv.CreateUser(t, "soak", "so@k#pw:/x", db, "SELECT")
	admin := srv.Open(t, db)

	dir := t.TempDir()
	catPath := filepath.Join(dir, "catalog.yml")
	demoPath := filepath.Join(dir, "demo.db")
	writeCatalog := func(n int) {
		var body string
		switch n % 3 {
		case 0, 1:
			body = fmt.Sprintf(soakCatalog, demoPath, []string{"alice", "bob"}[n%2], soakAgeSQL[n%2])
		default:
			body = "kpis: [{name: broken}]\n" // invalid: the running catalog must stay
		}
		if err := os.WriteFile(catPath+".tmp", []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(catPath+".tmp", catPath); err != nil {
			t.Fatal(err)
		}
	}
	writeCatalog(0)
	p := startProcess(t, bin, []string{"SOAK_DSN=" + srv.UserDSN("soak", "so@k#pw:/x", db)},
		"--config.file="+catPath, "--log.level=warn")
	base := "http://" + p.addr
	p.waitHTTP(t, http.DefaultClient, base+"/-/healthy")

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	var scrapes, failed, reloads atomic.Int64

	// The business keeps selling: the KPIs move.
	wg.Go(func() {
		regions := []string{"north", "south", "east", "west", "centre"}
		for i := 0; ctx.Err() == nil; i++ {
			_, _ = admin.ExecContext(ctx, "INSERT INTO sales (region, amount) VALUES (?, ?)", regions[i%len(regions)], float64(i%97)+0.5)
			if i%1000 == 999 {
				_, _ = admin.ExecContext(ctx, "DELETE FROM sales ORDER BY at LIMIT 500")
			}
			sleepCtx(ctx, 200*time.Millisecond)
		}
	})
	// Several Prometheus servers scrape.
	for range 4 {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for ctx.Err() == nil {
				if _, err := scrapeURL(client, base+"/metrics"); err != nil && ctx.Err() == nil {
					failed.Add(1)
				}
				scrapes.Add(1)
				sleepCtx(ctx, 250*time.Millisecond)
			}
		})
	}
	// Someone edits the catalog now and then, sometimes badly.
	wg.Go(func() {
		for n := 1; ctx.Err() == nil; n++ {
			sleepCtx(ctx, 10*time.Second)
			writeCatalog(n)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/-/reload", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				reloads.Add(1)
			}
		}
	})

	csv, err := os.Create(filepath.Join(out, "soak.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer csv.Close()
	fmt.Fprintln(csv, "seconds,rss_bytes,heap_inuse_bytes,go_goroutines,scrapes,failed_scrapes,reloads")
	var samples []soakSample
	start := time.Now()
	for ctx.Err() == nil {
		sleepCtx(ctx, every)
		s, err := scrapeURL(http.DefaultClient, base+"/metrics")
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("sample scrape: %v", err)
			}
			continue
		}
		gor, _ := s.value("go_goroutines")
		heap, _ := s.value("go_memstats_heap_inuse_bytes")
		smp := soakSample{at: time.Since(start), rss: procRSS(t, p.Pid()), heap: heap, goroutines: gor,
			scrapes: scrapes.Load(), failed: failed.Load(), reload: reloads.Load()}
		samples = append(samples, smp)
		fmt.Fprintf(csv, "%.0f,%.0f,%.0f,%.0f,%d,%d,%d\n", smp.at.Seconds(), smp.rss, smp.heap, smp.goroutines, smp.scrapes, smp.failed, smp.reload)
	}
	wg.Wait()
	if code := p.stop(); code != 0 {
		t.Errorf("kpi_exporter exited with %d:\n%s", code, p.Log())
	}

	summary, flat := summarize(samples, duration)
	summary += fmt.Sprintf("scrapes %d, failed %d, reloads %d\nCSV: %s\n", scrapes.Load(), failed.Load(), reloads.Load(), csv.Name())
	if err := os.WriteFile(filepath.Join(out, "summary.txt"), []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + summary)
	if !flat {
		t.Error("memory or goroutines grow over the soak")
	}
	if failed.Load() > 0 {
		t.Errorf("%d scrapes failed", failed.Load())
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// procRSS reads a process's resident set size from /proc.
func procRSS(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Errorf("read RSS: %v", err)
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx, sy, sxx, sxy = sx+x[i], sy+y[i], sxx+x[i]*x[i], sxy+x[i]*y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// summarize fits RSS, heap and goroutines over time, after the first fifth of
// the run (warm-up: pools fill, the demo database grows its first rows).
// Memory is flat when the fitted RSS growth over the measured window is under
// 10% of the mean RSS (or 2 MiB), and goroutines stay within 10 of each other.
func summarize(all []soakSample, duration time.Duration) (string, bool) {
	if len(all) < 5 {
		return fmt.Sprintf("only %d samples: too short to judge\n", len(all)), false
	}
	s := all[len(all)/5:]
	var x, rss, heap, gor []float64
	minG, maxG := math.Inf(1), math.Inf(-1)
	var meanRSS float64
	for _, v := range s {
		x = append(x, v.at.Hours())
		rss, heap, gor = append(rss, v.rss), append(heap, v.heap), append(gor, v.goroutines)
		minG, maxG = math.Min(minG, v.goroutines), math.Max(maxG, v.goroutines)
		meanRSS += v.rss / float64(len(s))
	}
	window := s[len(s)-1].at.Hours() - s[0].at.Hours()
	rssSlope, heapSlope, gSlope := slope(x, rss), slope(x, heap), slope(x, gor)
	growth := rssSlope * window
	flatMem := math.Abs(growth) < math.Max(0.10*meanRSS, 2<<20)
	flatG := maxG-minG <= 10
	const mib = 1 << 20
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %s, %d samples (%d after warm-up)\n", duration, len(all), len(s))
	fmt.Fprintf(&b, "RSS: first %.1f MiB, last %.1f MiB, mean %.1f MiB; slope %+.2f MiB/h, %+.2f MiB over the %.0f-minute window\n",
		all[0].rss/mib, all[len(all)-1].rss/mib, meanRSS/mib, rssSlope/mib, growth/mib, window*60)
	fmt.Fprintf(&b, "heap in use: slope %+.2f MiB/h\n", heapSlope/mib)
	fmt.Fprintf(&b, "goroutines: min %.0f, max %.0f, slope %+.2f/h\n", minG, maxG, gSlope)
	verdict := "FLAT"
	if !flatMem || !flatG {
		verdict = "GROWING"
	}
	fmt.Fprintf(&b, "verdict: %s (memory flat %v, goroutines flat %v)\n", verdict, flatMem, flatG)
	return b.String(), flatMem && flatG
}
