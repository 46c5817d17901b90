package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// endpointResult is what one exporter did at one size.
type endpointResult struct {
	Name string
	// Median scrape time and page size by format name.
	Median map[string]time.Duration
	Bytes  map[string]int64
	// Problems are answers that did not match the request (a gzip request
	// answered uncompressed, OpenMetrics answered as text, ...).
	Problems []string
	// FirstCollection is the time from start to all series being served.
	FirstCollection time.Duration
	// RSS after the scrapes (VmRSS), the most sampled while running, and
	// the kernel's peak (VmHWM), in bytes.
	RSS, MaxRSS, HWM int64
}

// sizeResult compares both exporters at one size. Scrapes is how many timed
// scrapes kpi_exporter got per format, PeerScrapes how many the peer got.
type sizeResult struct {
	Series               int
	Scrapes, PeerScrapes int
	Ours, Peer           endpointResult
}

// kpiName is the name of the KPI both exporters serve in the comparison.
const kpiName = "bench_revenue"

func (e *env) compareSize(ctx context.Context, n int) (sizeResult, error) {
	res := sizeResult{Series: n, Scrapes: e.opts.Scrapes, PeerScrapes: e.opts.Scrapes}
	// At a million series one peer scrape takes half a minute or more: the
	// peer gets fewer. kpi_exporter keeps its count, which costs seconds, so
	// that one slow scrape while the peer collects cannot move its median.
	warmup := 2
	if n >= 1_000_000 {
		res.PeerScrapes, warmup = min(res.Scrapes, 3), 1
	}
	e.progressf("size %d: loading data", n)
	if err := loadSeries(ctx, e.db, n); err != nil {
		return res, err
	}
	dir := filepath.Join(e.dir, fmt.Sprintf("size_%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	qs := []query{{Name: kpiName, SQL: seriesQuery(n), Labels: []string{"region", "store", "product"}, Value: "revenue"}}
	cat, err := writeOurCatalog(filepath.Join(dir, "catalog.yaml"), e.dsn, e.opts.Interval, qs)
	if err != nil {
		return res, err
	}
	if err := writePeerConfig(filepath.Join(dir, "peer.yaml"), e.dsn, e.opts.Interval, qs); err != nil {
		return res, err
	}
	ourMetric, peerMetric := cat.KPI(kpiName).MetricName(), "sql_"+kpiName

	e.progressf("size %d: starting both exporters", n)
	start := time.Now()
	ours, ourURL, err := e.bins.startOurs(dir, filepath.Join(dir, "catalog.yaml"))
	if err != nil {
		return res, err
	}
	defer ours.Stop()
	peer, peerURL, err := e.bins.startPeer(dir, filepath.Join(dir, "peer.yaml"))
	if err != nil {
		return res, err
	}
	defer peer.Stop()

	var wg sync.WaitGroup
	var ourErr, peerErr error
	wg.Go(func() {
		ourErr = waitSeries(ctx, e.client, ours, ourURL, ourMetric, n, 10*time.Minute)
		res.Ours.FirstCollection = time.Since(start)
	})
	wg.Go(func() {
		peerErr = waitSeries(ctx, e.client, peer, peerURL, peerMetric, n, 10*time.Minute)
		res.Peer.FirstCollection = time.Since(start)
	})
	wg.Wait()
	if ourErr != nil {
		return res, ourErr
	}
	if peerErr != nil {
		return res, peerErr
	}

	e.progressf("size %d: %d timed scrapes per format of kpi_exporter, %d of the peer, in alternation", n, res.Scrapes, res.PeerScrapes)
	type target struct {
		p       *process
		url     string
		formats []format
		scrapes int
		out     *endpointResult
		times   map[string][]time.Duration
	}
	res.Ours.Name, res.Peer.Name = "kpi_exporter", "prometheus-sql-exporter"
	targets := []*target{
		{p: ours, url: ourURL, formats: formatsOurs, scrapes: res.Scrapes, out: &res.Ours, times: map[string][]time.Duration{}},
		{p: peer, url: peerURL, formats: formatsPeer, scrapes: res.PeerScrapes, out: &res.Peer, times: map[string][]time.Duration{}},
	}
	for _, t := range targets {
		t.out.Median, t.out.Bytes = map[string]time.Duration{}, map[string]int64{}
	}
	for i := range warmup + res.Scrapes {
		for _, f := range formatsOurs {
			for _, t := range targets {
				if !hasFormat(t.formats, f) || i >= warmup+t.scrapes {
					continue
				}
				r, err := scrape(ctx, e.client, t.url, f)
				if err != nil {
					return res, err
				}
				if i < warmup {
					if i == 0 {
						if p := checkAnswer(f, r); p != "" {
							t.out.Problems = append(t.out.Problems, p)
						}
					}
					continue
				}
				t.times[f.Name] = append(t.times[f.Name], r.Duration)
				t.out.Bytes[f.Name] = r.Bytes
			}
		}
	}
	for _, t := range targets {
		for name, ds := range t.times {
			t.out.Median[name] = median(ds)
		}
		m, err := t.p.memory()
		if err != nil {
			return res, err
		}
		t.out.RSS, t.out.HWM = m.RSS, m.HWM
		t.p.mu.Lock()
		t.out.MaxRSS = t.p.maxRSS
		t.p.mu.Unlock()
	}
	return res, nil
}

func hasFormat(fs []format, f format) bool {
	for _, g := range fs {
		if g.Name == f.Name {
			return true
		}
	}
	return false
}

// checkAnswer says how an answer failed its request, or "".
func checkAnswer(f format, r scrapeResult) string {
	var p []string
	if !strings.HasPrefix(r.ContentType, f.WantType) {
		p = append(p, fmt.Sprintf("%s request answered as %q", f.Name, r.ContentType))
	}
	if f.Gzip != (r.Encoding == "gzip") {
		p = append(p, fmt.Sprintf("%s request answered with Content-Encoding %q", f.Name, r.Encoding))
	}
	return strings.Join(p, "; ")
}
