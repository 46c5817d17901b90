package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// format is how a scraper asks for the page.
type format struct {
	Name           string
	Accept         string // empty: the client's default (text format)
	Gzip           bool
	WantType       string // the Content-Type prefix an exporter that supports it answers with
	OpenMetricsReq bool
}

var (
	formatPlain    = format{Name: "plain", WantType: "text/plain"}
	formatGzip     = format{Name: "gzip", Gzip: true, WantType: "text/plain"}
	formatOM       = format{Name: "OpenMetrics", Accept: "application/openmetrics-text;version=1.0.0", WantType: "application/openmetrics-text", OpenMetricsReq: true}
	formatOMGzip   = format{Name: "OpenMetrics+gzip", Accept: "application/openmetrics-text;version=1.0.0", Gzip: true, WantType: "application/openmetrics-text", OpenMetricsReq: true}
	formatsOurs    = []format{formatPlain, formatGzip, formatOM, formatOMGzip}
	formatsPeer    = []format{formatPlain, formatGzip}
	headerDeadline = 10 * time.Minute
)

// newClient keeps connections alive, as Prometheus does, and never
// decompresses: a gzip scrape is timed until its last compressed byte.
func newClient() *http.Client {
	return &http.Client{
		Timeout:   headerDeadline,
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8},
	}
}

// scrapeResult is one timed scrape.
type scrapeResult struct {
	Duration    time.Duration
	Bytes       int64
	ContentType string
	Encoding    string
}

// scrape fetches url in format f and times it from sending the request to
// reading the last byte of the body.
func scrape(ctx context.Context, c *http.Client, url string, f format) (scrapeResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return scrapeResult{}, err
	}
	if f.Accept != "" {
		req.Header.Set("Accept", f.Accept)
	}
	if f.Gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return scrapeResult{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return scrapeResult{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return scrapeResult{}, fmt.Errorf("scrape %s: status %s", url, resp.Status)
	}
	return scrapeResult{Duration: d, Bytes: n, ContentType: resp.Header.Get("Content-Type"), Encoding: resp.Header.Get("Content-Encoding")}, nil
}

// fetch returns the plain text page.
func fetch(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: status %s", url, resp.Status)
	}
	return b, nil
}

// countSeries counts the samples of metric on a text page.
func countSeries(page []byte, metric string) int {
	prefix := []byte(metric + "{")
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), prefix) {
			n++
		}
	}
	return n
}

// sumByLabel sums the samples of metric on a text page by the value of one
// label, such as kpi_exporter_kpi_runs_total by kpi.
func sumByLabel(page []byte, metric, label string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		i := strings.Index(line, "{"+label+`="`)
		if i < 0 {
			i = strings.Index(line, ","+label+`="`)
		}
		j := strings.LastIndexByte(line, ' ')
		if i < 0 || j < 0 {
			continue
		}
		v := line[i+len(label)+3:]
		v = v[:strings.IndexByte(v, '"')]
		var f float64
		if _, err := fmt.Sscan(line[j+1:], &f); err == nil {
			out[v] += f
		}
	}
	return out
}

// median of durations; zero for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
