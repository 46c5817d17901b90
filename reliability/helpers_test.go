package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/collector"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
)

// debugLogger logs everything at debug level into buf, as --log.level=debug
// would.
func debugLogger(buf io.Writer) *slog.Logger {
	lvl := promslog.NewLevel()
	_ = lvl.Set("debug")
	return promslog.New(&promslog.Config{Level: lvl, Writer: buf})
}

// exporter is a collector serving /metrics over real HTTP, in this process so
// that goleak sees its goroutines.
type exporter struct {
	c    *collector.Collector
	srv  *httptest.Server
	logs *testproc.SyncBuffer
}

// parseCatalog parses a catalog held in a string; env resolves ${VAR}.
func parseCatalog(t testing.TB, yml string, env map[string]string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}.Parse("reliability.yml", []byte(yml))
	if err != nil {
		t.Fatalf("catalog: %v\n%s", err, yml)
	}
	return cat
}

// startExporter applies cat to a new collector and serves it until close.
func startExporter(t testing.TB, cat *catalog.Catalog) *exporter {
	t.Helper()
	logs := &testproc.SyncBuffer{}
	c := collector.New(collector.Options{Logger: debugLogger(logs)})
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatalf("apply: %v", err)
	}
	e := &exporter{c: c, srv: httptest.NewServer(c.Handler()), logs: logs}
	t.Cleanup(e.close)
	return e
}

func (e *exporter) close() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	http.DefaultClient.CloseIdleConnections()
	_ = e.c.Close()
	e.srv = nil
}

// scrape is one parsed /metrics page and how long it took.
type scrape struct {
	mfs  map[string]*dto.MetricFamily
	took time.Duration
	raw  string
}

// scrapeURL GETs a metrics page in the text format and parses it.
func scrapeURL(client *http.Client, url string) (*scrape, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.300s", url, resp.Status, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", url, err)
	}
	return &scrape{mfs: mfs, took: took, raw: string(body)}, nil
}

func (e *exporter) scrape(t testing.TB) *scrape {
	t.Helper()
	s, err := scrapeURL(http.DefaultClient, e.srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// value returns the value of the series of family name whose labels include
// every pair in want ("k=v" strings).
func (s *scrape) value(name string, want ...string) (float64, bool) {
	mf := s.mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		for _, w := range want {
			k, v, _ := strings.Cut(w, "=")
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// series counts the series of a family.
func (s *scrape) series(name string) int { return len(s.mfs[name].GetMetric()) }

func (s *scrape) kpiErrors(kpi, reason string) float64 {
	v, _ := s.value(catalog.SelfErrors, "kpi="+kpi, "reason="+reason)
	return v
}

func (s *scrape) kpiUp(kpi string) bool {
	v, _ := s.value(catalog.SelfKPIUp, "kpi="+kpi)
	return v == 1
}

func (s *scrape) sourceUp(src string) (bool, bool) {
	v, ok := s.value(catalog.SelfSourceUp, "source="+src)
	return v == 1, ok
}

func (s *scrape) lastSuccess(kpi string) float64 {
	v, _ := s.value(catalog.SelfLastSuccess, "kpi="+kpi)
	return v
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	if !pollUntil(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
	return time.Since(start)
}

// pollUntil polls cond every 10 ms until it holds (true) or timeout passes
// (false).
func pollUntil(timeout time.Duration, cond func() bool) bool {
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// latencies records scrape durations from a background scraper.
type latencies struct {
	mu   sync.Mutex
	d    []time.Duration
	errs []error
}

// count is the number of scrapes recorded so far, failed ones included.
func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d) + len(l.errs)
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs = append(l.errs, err)
		return
	}
	l.d = append(l.d, d)
}

// p99 is the 99th percentile of the recorded durations.
func (l *latencies) p99() (time.Duration, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	d := slices.Clone(l.d)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[(len(d)*99)/100], len(d)
}

// scrapeLoop scrapes url every period until stop is closed, recording how
// long each scrape took. It returns when its goroutine has ended.
func scrapeLoop(url string, period time.Duration, lat *latencies) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	go func() {
		defer close(ended)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				client.CloseIdleConnections()
				return
			case <-tick.C:
			}
			s, err := scrapeURL(client, url)
			if err != nil {
				lat.add(0, err)
				continue
			}
			lat.add(s.took, nil)
		}
	}()
	return func() { close(done); <-ended }
}

// connCounter samples the database's own count of one user's connections.
// Each sample over the limit is kept with the server's view of every session
// of the user, to tell a pool over its limit from sessions the server still
// counts after the client closed them.
type connCounter struct {
	mu      sync.Mutex
	peak    int
	phase   int
	samples int
	err     error
	over    []string // the first few samples over the limit, with their sessions
}

// maxOverSamples is how many samples over the limit a connCounter keeps.
const maxOverSamples = 5

// countConnections samples every 20 ms until the returned stop is called;
// stop may be called more than once.
func countConnections(db *sql.DB, engine testdb.Engine, user string, limit int) (*connCounter, func()) {
	q := "SELECT count(*) FROM pg_stat_activity WHERE usename = $1"
	if engine == testdb.MariaDB {
		q = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?"
	}
	cc := &connCounter{}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var n int
			err := db.QueryRowContext(ctx, q, user).Scan(&n)
			var sessions string
			if err == nil && n > limit {
				sessions = listSessions(ctx, db, engine, user)
			}
			cancel()
			cc.mu.Lock()
			if err != nil {
				cc.err = err // the server may be down for a fault: keep sampling
			} else {
				cc.samples++
				cc.peak = max(cc.peak, n)
				cc.phase = max(cc.phase, n)
				if n > limit && len(cc.over) < maxOverSamples {
					cc.over = append(cc.over, fmt.Sprintf("%d sessions at %s:\n%s", n, time.Now().Format("15:04:05.000"), sessions))
				}
			}
			cc.mu.Unlock()
		}
	}()
	var once sync.Once
	return cc, func() { once.Do(func() { close(done); <-ended }) }
}

// listSessions is the server's view of every session of user, one a line.
func listSessions(ctx context.Context, db *sql.DB, engine testdb.Engine, user string) string {
	q := `SELECT pid::text, coalesce(state, ''), coalesce(wait_event_type || ':' || wait_event, ''),
		to_char(backend_start, 'HH24:MI:SS.MS'), coalesce(to_char(query_start, 'HH24:MI:SS.MS'), ''),
		coalesce(to_char(state_change, 'HH24:MI:SS.MS'), ''), left(coalesce(query, ''), 60)
		FROM pg_stat_activity WHERE usename = $1 ORDER BY backend_start`
	if engine == testdb.MariaDB {
		q = `SELECT CAST(ID AS CHAR), COMMAND, coalesce(STATE, ''), CAST(TIME_MS AS CHAR), '', '', left(coalesce(INFO, ''), 60)
			FROM information_schema.PROCESSLIST WHERE USER = ? ORDER BY ID`
	}
	rows, err := db.QueryContext(ctx, q, user)
	if err != nil {
		return "  (sessions not listed: " + err.Error() + ")"
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var c [7]string
		if err := rows.Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6]); err != nil {
			return b.String() + "  (" + err.Error() + ")"
		}
		fmt.Fprintf(&b, "  %s\n", strings.Join(c[:], " | "))
	}
	return b.String()
}

// phasePeak returns the peak since the last call, and starts a new phase.
func (c *connCounter) phasePeak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.phase
	c.phase = 0
	return p
}

// result is the peak, the number of samples, and the samples over the limit.
func (c *connCounter) result() (peak, samples int, over []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak, c.samples, slices.Clone(c.over)
}

// repoRoot walks up from the working directory to the directory with go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// containsSecret reports whether text shows secret as is or in any of the
// escaped forms a URL or DSN would carry it in.
func containsSecret(text, secret string) bool {
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("u", secret).String()[2:]} {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// sqliteFile creates a SQLite database file set up by stmts.
func sqliteFile(t testing.TB, stmts ...string) string {
	t.Helper()
	return testdb.SQLiteFile(t, filepath.Join(t.TempDir(), "local.db"), stmts...)
}

// lastLines returns the last n log lines that mention kpi.
func lastLines(logs, kpi string, n int) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "kpi="+kpi+" ") {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}

// waitRuns waits until every KPI of cat has run at least n times, and
// returns the scrape that shows it.
func (e *exporter) waitRuns(t testing.TB, cat *catalog.Catalog, n float64) *scrape {
	t.Helper()
	var s *scrape
	waitFor(t, fmt.Sprintf("every KPI to run %v times", n), 2*time.Minute, func() bool {
		s = e.scrape(t)
		for _, k := range cat.KPIs {
			if v, _ := s.value(catalog.SelfRuns, "kpi="+k.Name); v < n {
				return false
			}
		}
		return true
	})
	return s
}
