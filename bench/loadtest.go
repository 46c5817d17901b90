package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// loadResult is the load test: how often the database ran the KPIs' SQL
// while several scrapers hit the exporter.
type loadResult struct {
	Series    int
	KPIs      int
	Duration  time.Duration
	Interval  time.Duration
	Scrapers  int
	Scrapes   int
	Errors    int
	Median    time.Duration
	ComSelect int64
	// Expected is executions per KPI, duration / interval.
	Expected float64
	// Runs is each KPI's own count of runs in the window (from
	// kpi_exporter_kpi_runs_total), when the exporter exports it.
	Runs map[string]float64
	// OK is the invariant: Com_select within one execution per KPI of
	// Expected × KPIs, and every KPI's own count within one of Expected.
	OK       bool
	Problems []string
}

func loadQueries(n int) []query {
	t := seriesTable(n)
	return []query{
		{Name: "bench_revenue", SQL: seriesQuery(n), Labels: []string{"region", "store", "product"}, Value: "revenue"},
		{Name: "bench_region_revenue", SQL: "SELECT region, SUM(revenue) AS revenue FROM " + t + " GROUP BY region", Labels: []string{"region"}, Value: "revenue"},
		{Name: "bench_region_stores", SQL: "SELECT region, COUNT(DISTINCT store) AS stores FROM " + t + " GROUP BY region", Labels: []string{"region"}, Value: "stores"},
		{Name: "bench_product_revenue", SQL: "SELECT product, SUM(revenue) AS revenue FROM " + t + " GROUP BY product", Labels: []string{"product"}, Value: "revenue"},
		{Name: "bench_total_revenue", SQL: "SELECT SUM(revenue) AS revenue FROM " + t, Value: "revenue"},
	}
}

func (e *env) loadTest(ctx context.Context) (loadResult, error) {
	o := e.opts
	res := loadResult{Series: o.LoadSize, Duration: o.LoadDuration, Interval: o.LoadInterval, Scrapers: o.LoadScrapers,
		Expected: o.LoadDuration.Seconds() / o.LoadInterval.Seconds()}
	if err := loadSeries(ctx, e.db, o.LoadSize); err != nil {
		return res, err
	}
	dir := filepath.Join(e.dir, "load")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	qs := loadQueries(o.LoadSize)
	res.KPIs = len(qs)
	cat, err := writeOurCatalog(filepath.Join(dir, "catalog.yaml"), e.dsn, o.LoadInterval, qs)
	if err != nil {
		return res, err
	}
	e.progressf("load test: %d KPIs every %s, %d scrapers every second for %s", len(qs), o.LoadInterval, o.LoadScrapers, o.LoadDuration)
	ours, url, err := e.bins.startOurs(dir, filepath.Join(dir, "catalog.yaml"))
	if err != nil {
		return res, err
	}
	defer ours.Stop()
	big := cat.KPI("bench_revenue").MetricName()
	if err := waitSeries(ctx, e.client, ours, url, big, o.LoadSize, 10*time.Minute); err != nil {
		return res, err
	}
	// Every KPI has run once when each has its own runs counter; an
	// exporter without one is measured by Com_select alone.
	if err := waitFor(ctx, ours, o.LoadInterval+time.Minute, "a first run of every KPI", func() (bool, error) {
		page, err := fetch(ctx, e.client, url)
		if err != nil {
			return false, err
		}
		runs := sumByLabel(page, catalog.SelfRuns, catalog.LabelKPI)
		return len(runs) == 0 || len(runs) == len(qs), nil
	}); err != nil {
		return res, err
	}
	before, runsBefore, err := e.loadSnapshot(ctx, url)
	if err != nil {
		return res, err
	}

	var mu sync.Mutex
	var times []time.Duration
	var wg sync.WaitGroup
	wctx, cancel := context.WithTimeout(ctx, o.LoadDuration)
	defer cancel()
	for range o.LoadScrapers {
		wg.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case <-t.C:
				}
				r, err := scrape(ctx, e.client, url, formatOMGzip)
				mu.Lock()
				if err != nil {
					res.Errors++
				} else {
					times = append(times, r.Duration)
				}
				mu.Unlock()
			}
		})
	}
	<-wctx.Done()
	wg.Wait()
	after, runsAfter, err := e.loadSnapshot(ctx, url)
	if err != nil {
		return res, err
	}
	res.Scrapes, res.Median, res.ComSelect = len(times), median(times), after-before

	res.OK = true
	lo, hi := int64(math.Ceil(res.Expected-1)), int64(math.Floor(res.Expected+1))
	k := int64(len(qs))
	if res.ComSelect < k*lo || res.ComSelect > k*hi {
		res.OK = false
		res.Problems = append(res.Problems, fmt.Sprintf("Com_select rose by %d, want %d..%d (%d KPIs × %.1f ±1)", res.ComSelect, k*lo, k*hi, k, res.Expected))
	}
	if len(runsAfter) > 0 {
		res.Runs = map[string]float64{}
		names := make([]string, 0, len(qs))
		for _, q := range qs {
			names = append(names, q.Name)
		}
		sort.Strings(names)
		for _, name := range names {
			d := runsAfter[name] - runsBefore[name]
			res.Runs[name] = d
			if d < float64(lo) || d > float64(hi) {
				res.OK = false
				res.Problems = append(res.Problems, fmt.Sprintf("KPI %s ran %g times, want %d..%d", name, d, lo, hi))
			}
		}
	}
	if res.Errors > 0 {
		res.OK = false
		res.Problems = append(res.Problems, fmt.Sprintf("%d scrapes failed", res.Errors))
	}
	return res, nil
}

// loadSnapshot reads the database's Com_select and the exporter's runs
// counters, as close together as two requests allow.
func (e *env) loadSnapshot(ctx context.Context, url string) (int64, map[string]float64, error) {
	n, err := comSelect(ctx, e.db)
	if err != nil {
		return 0, nil, err
	}
	page, err := fetch(ctx, e.client, url)
	if err != nil {
		return 0, nil, err
	}
	return n, sumByLabel(page, catalog.SelfRuns, catalog.LabelKPI), nil
}

// comSelect is MariaDB's count of SELECT statements since it started. SHOW
// STATUS is counted as Com_show_status, so reading it does not move it.
func comSelect(ctx context.Context, db *sql.DB) (int64, error) {
	var name string
	var n int64
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Com_select'").Scan(&name, &n); err != nil {
		return 0, fmt.Errorf("read Com_select: %w", err)
	}
	return n, nil
}
