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

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// overheadResult compares the time from a query's start to its values being
// served with the time database/sql takes to query and scan the same rows.
type overheadResult struct {
	Rows int
	// Bare is the median of QueryContext + Scan of every row into three
	// strings and a float64 + Close, on a warm connection, one scan between
	// each two collections (see overhead).
	Bare time.Duration
	// Served is the median, over collections, of the time from the query's
	// start on the server (its NOW(6)) to the exporter publishing the values:
	// its kpi_exporter_kpi_last_success_timestamp_seconds, which it sets in
	// the same step as it swaps in the run's page.
	Served  time.Duration
	Samples []time.Duration
	// Seen is the median time from the query's start to a poller first
	// reading the values on /metrics: Served plus up to one poll period and
	// the time of the poll itself. Every collection is checked to be seen no
	// earlier than it was published.
	Seen time.Duration
	// Poll is the median time of one poll.
	Poll time.Duration
}

// overheadPollEvery is how often the poller reads /metrics. Each poll makes
// the exporter write its whole page (17 MiB at 200,000 rows) into the
// socket, which on two cores slows a collection and a bare scan running at
// the same time: polled every 25 ms, the bare scans took 141 to 179 ms
// instead of 110 to 130. The measure is the exporter's own publish time,
// which does not depend on the poll rate; four polls a second are enough to
// check it against what a scrape sees, and still far more than any
// Prometheus scrapes.
const overheadPollEvery = 250 * time.Millisecond

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
	db, err := sql.Open("mysql", e.dsn)
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	q := overheadSQL(o.OverheadRows)
	e.progressf("overhead: warming up with a bare database/sql scan of %d rows", o.OverheadRows)
	warm, err := bareScan(ctx, db, q, o.OverheadRows)
	if err != nil {
		return res, err
	}

	dir := filepath.Join(e.dir, "overhead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	// Runs far enough apart that a bare scan fits between two of them.
	interval := max(3*time.Second, 10*warm).Round(time.Second)
	qs := []query{{Name: "bench_overhead", SQL: q, Labels: []string{"region", "store", "product"}, Value: "started"}}
	cat, err := writeOurCatalog(filepath.Join(dir, "catalog.yaml"), e.dsn, interval, qs)
	if err != nil {
		return res, err
	}
	metric := cat.KPI("bench_overhead").MetricName()
	e.progressf("overhead: %d collections by kpi_exporter every %s, each followed by a bare scan", o.OverheadRuns, interval)
	ours, url, err := e.bins.startOurs(dir, filepath.Join(dir, "catalog.yaml"))
	if err != nil {
		return res, err
	}
	defer ours.Stop()
	if err := waitSeries(ctx, e.client, ours, url, metric, o.OverheadRows, 5*time.Minute); err != nil {
		return res, err
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	// The poller runs on its own for the whole step, during the bare scans
	// as during the collections, so that whatever its polls cost the
	// machine, both sides pay it.
	pollCtx, stopPolling := context.WithCancel(ctx)
	polled := make(chan overheadPoll, 1<<14)
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			t0 := time.Now()
			p, err := pollOverhead(pollCtx, client, url, metric, "bench_overhead")
			p.at, p.took, p.err = time.Now(), time.Since(t0), err
			if pollCtx.Err() != nil {
				return
			}
			polled <- p
			if err != nil {
				return
			}
			time.Sleep(overheadPollEvery)
		}
	}()
	defer func() {
		stopPolling()
		for range polled {
		}
	}()
	deadline := time.Now().Add(time.Duration(o.OverheadRuns+2)*interval*2 + time.Minute)
	var last float64
	var pending *overheadPoll // the first poll that showed a collection, until its success time shows too
	var polls, bare, seen []time.Duration
	for len(res.Samples) < o.OverheadRuns {
		var p overheadPoll
		open := true
		select {
		case p, open = <-polled:
		case <-time.After(time.Until(deadline)):
		}
		if !open {
			// The poller stops only on an error it sent, or when ctx ends.
			return res, fmt.Errorf("overhead: polling stopped: %w", ctx.Err())
		}
		if time.Now().After(deadline) || !ours.running() {
			return res, fmt.Errorf("overhead: %d of %d collections seen; log:\n%s", len(res.Samples), o.OverheadRuns, ours.tail())
		}
		if p.err != nil {
			return res, p.err
		}
		polls = append(polls, p.took)
		switch {
		case pending != nil && p.value != pending.value:
			return res, fmt.Errorf("overhead: a collection replaced the one being timed within a poll; raise the interval")
		case pending == nil && (last == 0 || p.value == last):
			last = p.value
			continue
		case pending == nil:
			last, pending = p.value, &p
		}
		// The self-metrics precede the KPI's series on the page; a run that
		// published between the two shows its values with the previous
		// success time, and a later poll has both.
		if p.success < p.value {
			continue
		}
		started := unixTime(p.value)
		served, at := unixTime(p.success).Sub(started), pending.at.Sub(started)
		pending = nil
		if at < served {
			return res, fmt.Errorf("overhead: the poller saw a collection %s after its start, before the exporter says it published it (%s)", at, served)
		}
		res.Samples = append(res.Samples, served)
		seen = append(seen, at)
		// Between two collections, with the exporter idle, one bare scan.
		time.Sleep(interval / 4)
		d, err := bareScan(ctx, db, q, o.OverheadRows)
		if err != nil {
			return res, err
		}
		bare = append(bare, d)
	}
	res.Served, res.Seen, res.Bare, res.Poll = median(res.Samples), median(seen), median(bare), median(polls)
	return res, nil
}

func unixTime(sec float64) time.Time { return time.Unix(0, int64(sec*1e9)) }

// overheadPoll is what one poll read: the first value of the KPI's series
// and the KPI's last success time; when it ended, what it took, and its
// error.
type overheadPoll struct {
	value, success float64
	at             time.Time
	took           time.Duration
	err            error
}

// pollOverhead reads the page only as far as metric's first sample.
func pollOverhead(ctx context.Context, c *http.Client, url, metric, kpi string) (overheadPoll, error) {
	var p overheadPoll
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return p, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return p, fmt.Errorf("poll %s: %w", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := metric + "{"
	success := catalog.SelfLastSuccess + `{kpi="` + kpi + `"}`
	value := func(line string) (float64, error) {
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("poll %s: %q: %w", url, line, err)
		}
		return v, nil
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, success+" "):
			if p.success, err = value(line); err != nil {
				return p, err
			}
		case strings.HasPrefix(line, prefix):
			p.value, err = value(line)
			return p, err
		}
	}
	return p, fmt.Errorf("poll %s: no %s on the page (%v)", url, metric, sc.Err())
}

// bareScan times database/sql alone: query, scan every row, close.
func bareScan(ctx context.Context, db *sql.DB, q string, wantRows int) (time.Duration, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("bare query: %w", err)
	}
	defer rows.Close()
	var region, store, product string
	var v float64
	n := 0
	for rows.Next() {
		if err := rows.Scan(&region, &store, &product, &v); err != nil {
			return 0, fmt.Errorf("bare scan: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("bare scan: %w", err)
	}
	rows.Close()
	d := time.Since(start)
	if n != wantRows {
		return 0, fmt.Errorf("bare scan: %d rows, want %d", n, wantRows)
	}
	return d, nil
}
