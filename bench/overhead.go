package bench

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// overheadResult compares the time from a query's start to its values being
// served with the time database/sql takes to query and scan the same rows.
type overheadResult struct {
	Rows int
	// Bare is the median of QueryContext + Scan of every row into three
	// strings and a float64 + Close, on a warm connection.
	Bare time.Duration
	// Served is the median, over collections, of the time from the query's
	// start on the server (its NOW(6)) to a poller first seeing the values.
	Served  time.Duration
	Samples []time.Duration
	// Poll is the median time of one poll, the resolution of Served.
	Poll time.Duration
}

// overheadSQL returns the start time of the statement as every row's value,
// so the served page itself says which run it comes from and when it began.
func overheadSQL(n int) string {
	return "SELECT region, store, product, UNIX_TIMESTAMP(NOW(6)) AS started FROM " + seriesTable(n)
}

func (e *env) overhead(ctx context.Context) (overheadResult, error) {
	o := e.opts
	res := overheadResult{Rows: o.OverheadRows}
	if err := loadSeries(ctx, e.db, o.OverheadRows); err != nil {
		return res, err
	}
	e.progressf("overhead: bare database/sql scans of %d rows", o.OverheadRows)
	bare, err := bareScan(ctx, e.dsn, overheadSQL(o.OverheadRows), o.OverheadRows, o.OverheadRuns)
	if err != nil {
		return res, err
	}
	res.Bare = median(bare)

	dir := filepath.Join(e.dir, "overhead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	// Runs far enough apart that the poller sees each one alone.
	interval := max(3*time.Second, 8*res.Bare).Round(time.Second)
	qs := []query{{Name: "bench_overhead", SQL: overheadSQL(o.OverheadRows), Labels: []string{"region", "store", "product"}, Value: "started"}}
	cat, err := writeOurCatalog(filepath.Join(dir, "catalog.yaml"), e.dsn, interval, qs)
	if err != nil {
		return res, err
	}
	metric := cat.KPI("bench_overhead").MetricName()
	e.progressf("overhead: %d collections by kpi_exporter every %s, polled", o.OverheadRuns, interval)
	ours, url, err := e.bins.startOurs(dir, filepath.Join(dir, "catalog.yaml"))
	if err != nil {
		return res, err
	}
	defer ours.Stop()
	if err := waitSeries(ctx, e.client, ours, url, metric, o.OverheadRows, 5*time.Minute); err != nil {
		return res, err
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	deadline := time.Now().Add(time.Duration(o.OverheadRuns+2)*interval*2 + time.Minute)
	var last float64
	var polls []time.Duration
	for len(res.Samples) < o.OverheadRuns {
		if time.Now().After(deadline) || !ours.running() {
			return res, fmt.Errorf("overhead: %d of %d collections seen; log:\n%s", len(res.Samples), o.OverheadRuns, ours.tail())
		}
		t0 := time.Now()
		v, err := firstValue(ctx, client, url, metric)
		seen := time.Now()
		if err != nil {
			return res, err
		}
		polls = append(polls, seen.Sub(t0))
		if last != 0 && v != last {
			started := time.Unix(0, int64(v*1e9))
			res.Samples = append(res.Samples, seen.Sub(started))
		}
		last = v
		time.Sleep(2 * time.Millisecond)
	}
	res.Served, res.Poll = median(res.Samples), median(polls)
	return res, nil
}

// firstValue reads the page only as far as metric's first sample and
// returns its value.
func firstValue(ctx context.Context, c *http.Client, url, metric string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("poll %s: %w", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := metric + "{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("poll %s: %q: %w", url, line, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("poll %s: no %s on the page (%v)", url, metric, sc.Err())
}

// bareScan times database/sql alone: query, scan every row, close. One
// untimed run warms the connection and the server's buffers first.
func bareScan(ctx context.Context, dsn, q string, wantRows, runs int) ([]time.Duration, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var out []time.Duration
	for i := range runs + 1 {
		start := time.Now()
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("bare query: %w", err)
		}
		var region, store, product string
		var v float64
		n := 0
		for rows.Next() {
			if err := rows.Scan(&region, &store, &product, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("bare scan: %w", err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("bare scan: %w", err)
		}
		rows.Close()
		d := time.Since(start)
		if n != wantRows {
			return nil, fmt.Errorf("bare scan: %d rows, want %d", n, wantRows)
		}
		if i > 0 {
			out = append(out, d)
		}
	}
	return out, nil
}
