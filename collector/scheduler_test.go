package collector

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func scrape(t testing.TB, h http.Handler, header ...string) (string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body), rec.Header()
}

func kpiState(c *Collector, name string) KPIState {
	for _, s := range c.States() {
		if s.Name == name {
			return s
		}
	}
	return KPIState{}
}

func runsOf(c *Collector, name string) uint64 {
	for _, r := range c.view.Load().runners {
		if r.k.Name == name {
			st := r.snapshot()
			return st.runs
		}
	}
	return 0
}

const schedCatalog = `
global:
  labels: {company: acme}
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - name: revenue
    help: Revenue by region.
    unit: currency
    currency: EUR
    team: sales
    owner: ana@example.com
    source: db
    interval: 10s
    sql: SELECT region, SUM(amount) AS revenue FROM sales GROUP BY region
    labels: [region]
    value: revenue
    direction: higher
    target: 100
`

func startCollector(t *testing.T, clock Clock, yaml string) *Collector {
	t.Helper()
	c := New(Options{Clock: clock})
	t.Cleanup(func() { c.Close() })
	if err := c.Apply(context.Background(), loadCatalog(t, yaml)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestScrapesNeverCauseQueries(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10), ('south', 20)")
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(schedCatalog, path))

	for i := 1; i <= 3; i++ {
		waitFor(t, "the next run to be scheduled", func() bool { return clock.pending() == 1 })
		for range 20 {
			scrape(t, c.Handler())
		}
		clock.Advance(10 * time.Second)
		waitFor(t, fmt.Sprintf("run %d", i), func() bool { return runsOf(c, "revenue") == uint64(i) })
	}
	for range 20 {
		scrape(t, c.Handler())
	}
	if got := runsOf(c, "revenue"); got != 3 {
		t.Fatalf("runs = %d after 3 intervals and 80 scrapes, want 3", got)
	}
}

func TestExportedPageThroughClientGolang(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10), ('south', 20.5)")
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(schedCatalog, path))
	waitFor(t, "first run scheduled", func() bool { return clock.pending() == 1 })
	clock.Advance(maxStartJitter)
	waitFor(t, "first run", func() bool { return runsOf(c, "revenue") == 1 })

	want := `# HELP kpi_revenue_eur Revenue by region.
# TYPE kpi_revenue_eur gauge
kpi_revenue_eur{company="acme",region="north"} 10
kpi_revenue_eur{company="acme",region="south"} 20.5
# HELP kpi_revenue_target_eur Target of: Revenue by region.
# TYPE kpi_revenue_target_eur gauge
kpi_revenue_target_eur{company="acme",region="north"} 100
kpi_revenue_target_eur{company="acme",region="south"} 100
`
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(want), "kpi_revenue_eur", "kpi_revenue_target_eur"); err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, c.Handler())
	self := `# HELP kpi_exporter_kpi_up Whether the KPI's last run succeeded (1) or not (0).
# TYPE kpi_exporter_kpi_up gauge
kpi_exporter_kpi_up{kpi="revenue"} 1
# HELP kpi_exporter_kpi_series Series the KPI's last successful run exported.
# TYPE kpi_exporter_kpi_series gauge
kpi_exporter_kpi_series{kpi="revenue"} 2
# HELP kpi_exporter_source_up Whether the last attempt to reach the source succeeded (1) or not (0).
# TYPE kpi_exporter_source_up gauge
kpi_exporter_source_up{source="db"} 1
`
	if err := testutil.GatherAndCompare(c.Registry(), strings.NewReader(self),
		catalog.SelfKPIUp, catalog.SelfSeries, catalog.SelfSourceUp); err != nil {
		t.Fatal(err)
	}
	cat := c.Catalog()
	info := fmt.Sprintf(`kpi_info{change_approver="",change_author="",change_date="",change_reason="",definition_hash=%q,direction="higher",group="sales",kpi="revenue",owner="ana@example.com",period="",team="sales",unit="currency"} 1`,
		cat.KPI("revenue").DefinitionHash())
	if !strings.Contains(body, info) {
		t.Fatalf("page lacks %s", info)
	}
}

func TestStaleKPIIsWithdrawnButItsAgeStaysVisible(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10)")
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(schedCatalog, path))
	waitFor(t, "first run scheduled", func() bool { return clock.pending() == 1 })
	clock.Advance(maxStartJitter)
	waitFor(t, "first run", func() bool { return runsOf(c, "revenue") == 1 })
	success := kpiState(c, "revenue").LastSuccess

	// The table disappears: every later run fails.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE sales"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for i := 2; i <= 4; i++ {
		waitFor(t, "next run scheduled", func() bool { return clock.pending() == 1 })
		clock.Advance(10 * time.Second)
		waitFor(t, "failed run", func() bool { return runsOf(c, "revenue") == uint64(i) })
		body, _ := scrape(t, c.Handler())
		exported := strings.Contains(body, `kpi_revenue_eur{`)
		stale := clock.Now().Sub(success) > 30*time.Second
		if exported == stale {
			t.Fatalf("after %v: exported=%v, want %v", clock.Now().Sub(success), exported, !stale)
		}
		wantStale := "0"
		if stale {
			wantStale = "1"
		}
		for _, line := range []string{
			`kpi_exporter_kpi_stale{kpi="revenue"} ` + wantStale,
			fmt.Sprintf(`kpi_exporter_kpi_last_success_timestamp_seconds{kpi="revenue"} %v`, float64(success.UnixNano())/1e9),
			`kpi_exporter_kpi_errors_total{kpi="revenue",reason="query"} ` + fmt.Sprint(i-1),
			`kpi_exporter_kpi_up{kpi="revenue"} 0`,
		} {
			if !strings.Contains(body, line) {
				t.Fatalf("after %v the page lacks %s", clock.Now().Sub(success), line)
			}
		}
	}
	// The landing page's scorecard still sees what the last success read.
	want := []Series{{Labels: []string{"north"}, Value: 10, Target: 100, HasTarget: true}}
	if got := kpiState(c, "revenue").Values; !reflect.DeepEqual(got, want) {
		t.Errorf("values of the last success %+v, want %+v", got, want)
	}
}

// endlessSQL never finishes on its own: only its context stops it.
const endlessSQL = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) AS v FROM c"

func TestScrapeCompletesWhileAQueryIsBlocked(t *testing.T) {
	path := sqliteFile(t)
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: endless, unit: count, team: t, source: db, interval: 2h, timeout: 1h, sql: %q, value: v}
  - {name: quick, unit: count, team: t, source: db, interval: 2h, sql: SELECT 1 AS v, value: v}
`, path, endlessSQL))
	src := c.sources["db"]
	// The quick KPI is done and a query slot is still taken: the endless
	// query holds it, and will until the collector closes.
	waitFor(t, "the endless query to hold its slot", func() bool { return runsOf(c, "quick") == 1 && len(src.sem) == 1 })

	body, _ := scrape(t, c.Handler())
	if !strings.Contains(body, "kpi_quick 1\n") {
		t.Fatalf("the quick KPI is missing while the other query runs:\n%s", body)
	}
	if !strings.Contains(body, `kpi_exporter_kpi_runs_total{kpi="endless"} 0`) {
		t.Fatalf("the page lacks the endless KPI's state:\n%s", body)
	}
	if runsOf(c, "endless") != 0 || len(src.sem) != 1 {
		t.Fatal("the query ended before the scrape: the test proved nothing")
	}
}

func TestSlowQueryTimesOutAndIsCounted(t *testing.T) {
	path := sqliteFile(t)
	c := startCollector(t, realClock{}, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: endless, unit: count, team: t, source: db, interval: 1m, timeout: 100ms, sql: %q, value: v}
`, path, endlessSQL))
	waitFor(t, "the timeout", func() bool { return errorsOf(c, "endless", catalog.ReasonTimeout) == 1 })
	if st := kpiState(c, "endless"); st.Up || st.Series != 0 || st.LastError == "" {
		t.Fatalf("timed-out KPI state %+v", st)
	}
}

func errorsOf(c *Collector, kpi, reason string) uint64 {
	for _, r := range c.view.Load().runners {
		if r.k.Name == kpi {
			st := r.snapshot()
			return st.errors[reason]
		}
	}
	return 0
}

func TestWriteAttemptIsRefusedAndDataStays(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10)")
	for _, q := range []string{
		"DELETE FROM sales RETURNING amount AS v",
		"INSERT INTO sales VALUES ('x', 1) RETURNING amount AS v",
		"SELECT 1 AS v; DELETE FROM sales",
		"UPDATE sales SET amount = 0 RETURNING amount AS v",
	} {
		t.Run(q, func(t *testing.T) {
			cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - name: w
    unit: count
    team: t
    source: db
    sql: SELECT 1 AS v
    value: v
`, path))
			pastTheGate(cat, "w", q)
			res, err := runKPI(t, cat, "w")
			if err == nil && q != "SELECT 1 AS v; DELETE FROM sales" {
				t.Fatalf("write accepted: %+v", res)
			}
			db, _ := sql.Open("sqlite", path)
			defer db.Close()
			var n int
			var sum float64
			if err := db.QueryRow("SELECT COUNT(*), SUM(amount) FROM sales").Scan(&n, &sum); err != nil || n != 1 || sum != 10 {
				t.Fatalf("data changed: %d rows, sum %v, err %v", n, sum, err)
			}
		})
	}
}

func TestBackoffOfADownSource(t *testing.T) {
	src := &Source{}
	s := allowOnly{src, 10 * time.Second}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !s.allow(now) {
		t.Fatal("an untried source must be tried")
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		src.report(now, false)
		if s.allow(now.Add(w - time.Millisecond)) {
			t.Fatalf("failure %d: allowed before %v", i+1, w)
		}
		if !s.allow(now.Add(w)) {
			t.Fatalf("failure %d: not allowed after %v", i+1, w)
		}
	}
	_, back, _ := src.allow(now.Add(time.Millisecond), 10*time.Second)
	src.report(now, true)
	if !s.allow(now) {
		t.Fatal("a source that answered is tried at once")
	}
	select {
	case <-back:
	default:
		t.Fatal("KPIs that skipped their run are not woken when the source answers")
	}
	if up, tried := src.Up(); !up || !tried {
		t.Fatal("source not up after success")
	}
	hourly := allowOnly{src, time.Hour}
	for range 30 {
		src.report(now, false)
	}
	if hourly.allow(now.Add(backoffMax-time.Millisecond)) || !hourly.allow(now.Add(backoffMax)) {
		t.Fatal("backoff not capped at backoffMax")
	}
}

func TestSlowKPIFailureDoesNotHoldBackAFastKPI(t *testing.T) {
	src := &Source{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 5 { // a 10s KPI failed often: the source's backoff is long
		src.report(now, false)
	}
	slow, fast := allowOnly{src, 10 * time.Second}, allowOnly{src, time.Second}
	if slow.allow(now.Add(5 * time.Second)) {
		t.Fatal("the slow KPI retries before its backoff")
	}
	if !fast.allow(now.Add(time.Second)) {
		t.Fatal("a 1s KPI waits longer than its own interval for a source another KPI found down")
	}
	ok, _, retryAt := src.allow(now.Add(500*time.Millisecond), time.Second)
	if ok || !retryAt.Equal(now.Add(time.Second)) {
		t.Fatalf("allow = %v, retry at %v; want a retry at %v", ok, retryAt, now.Add(time.Second))
	}
}

func TestClientDeadlineComesAfterTheServerLimit(t *testing.T) {
	for _, d := range []Dialect{mysqlDialect{}, postgresDialect{}} {
		if g := clientGrace(d, 2*time.Second); g != time.Second {
			t.Errorf("%T: grace %v, want 1s after the server-side limit", d, g)
		}
	}
	for _, d := range []Dialect{sqliteDialect{}, mssqlDialect{}} {
		if g := clientGrace(d, 2*time.Second); g != 0 {
			t.Errorf("%T: grace %v; only the client ends its queries, so no grace", d, g)
		}
	}
}

// allowOnly asks a Source whether a KPI of one interval may run.
type allowOnly struct {
	*Source
	interval time.Duration
}

func (a allowOnly) allow(now time.Time) bool { ok, _, _ := a.Source.allow(now, a.interval); return ok }

func TestBadRowsAreCountedAndLoggedAndTheRestServed(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount)",
		"INSERT INTO sales VALUES ('north', 10), ('south', NULL), ('east', 'lots'), ('north', 11), (CAST(X'FF' AS TEXT), 1), ('west', 'NaN')")
	var logs bytes.Buffer
	clock := newFakeClock()
	c := New(Options{Clock: clock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() { c.Close() })
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: sales, unit: count, team: t, source: db, interval: 10s, sql: "SELECT region, amount FROM sales", labels: [region], value: amount}
`, path))
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first run scheduled", func() bool { return clock.pending() == 1 })
	clock.Advance(maxStartJitter)
	waitFor(t, "first run", func() bool { return runsOf(c, "sales") == 1 })

	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(`# HELP kpi_sales KPI sales.
# TYPE kpi_sales gauge
kpi_sales{region="north"} 10
`), "kpi_sales"); err != nil {
		t.Fatal(err)
	}
	want := `# HELP kpi_exporter_kpi_errors_total Failed runs of the KPI (timeout, connection, query, scan, target) and rows it skipped (null, type, duplicate, cardinality, invalid_label), by reason.
# TYPE kpi_exporter_kpi_errors_total counter
`
	for _, r := range catalog.Reasons {
		n := map[string]int{catalog.ReasonNull: 1, catalog.ReasonType: 2, catalog.ReasonDuplicate: 1, catalog.ReasonInvalidLabel: 1}[r]
		want += fmt.Sprintf("kpi_exporter_kpi_errors_total{kpi=\"sales\",reason=%q} %d\n", r, n)
	}
	if err := testutil.GatherAndCompare(c.Registry(), strings.NewReader(want), catalog.SelfErrors); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `msg="rows skipped" kpi=sales source=db rows=6 exported=1 null=1 type=2 duplicate=1 cardinality=0 invalid_label=1`) {
		t.Fatalf("the skipped rows are not logged:\n%s", logs.String())
	}
}

// TestFirstRunIsImmediateAndTheSecondKeepsItsPhase: on start every KPI runs
// at once, without the clock moving, so the first values are served within
// moments; its second run comes one interval plus its phase later, never
// earlier, so the KPIs stay spread and each runs once per interval.
func TestFirstRunIsImmediateAndTheSecondKeepsItsPhase(t *testing.T) {
	path := sqliteFile(t)
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: a, unit: count, team: t, source: db, interval: 1m, sql: SELECT 1 AS v, value: v}
  - {name: b, unit: count, team: t, source: db, interval: 1m, sql: SELECT 2 AS v, value: v}
`, path))
	waitFor(t, "both first runs without the clock moving", func() bool { return runsOf(c, "a") == 1 && runsOf(c, "b") == 1 })
	waitFor(t, "the second runs scheduled", func() bool { return clock.pending() == 2 })
	// Advance fires every timer that is due before it returns: both still
	// waiting means neither second run was due before one interval.
	clock.Advance(time.Minute - time.Millisecond)
	if n := clock.pending(); n != 2 || runsOf(c, "a") != 1 || runsOf(c, "b") != 1 {
		t.Fatalf("a second run was due before one interval had passed (%d of 2 timers still waiting)", n)
	}
	clock.Advance(maxStartJitter + time.Millisecond)
	waitFor(t, "both second runs", func() bool { return runsOf(c, "a") == 2 && runsOf(c, "b") == 2 })
}
