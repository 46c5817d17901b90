package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// faultPassword holds every character that breaks a naively built DSN.
const faultPassword = "f@ult#pw:with/slash"

// Schedule of the fault catalog: short, so that faults show quickly.
const (
	faultInterval = time.Second
	faultTimeout  = 400 * time.Millisecond
	// recoveryBound is how long a KPI may take to succeed once its fault
	// cleared. It is no latency target: it only tells a KPI that retries on
	// its own interval (a second here) from one that waits out its source's
	// backoff, which grows to a minute while a source is down. Half of that
	// minute, so that no busy machine fails it.
	recoveryBound = 30 * time.Second
	// hangBound is how long a wait may take before the test calls it a hang.
	hangBound = time.Minute
)

// engine is what differs between the two servers under fault.
type engine struct {
	kind   testdb.Engine
	driver catalog.Driver
	start  func(testing.TB) *testdb.Server
	// slowSQL sleeps ctl.d seconds; sleepySQL always sleeps 0.3 s.
	slowSQL, sleepySQL  string
	renameOff, renameOn string
	// activeSleep counts the sleepy user's queries in flight.
	activeSleep string
}

var engines = []engine{
	{
		kind: testdb.MariaDB, driver: catalog.DriverMySQL, start: testdb.StartMariaDB,
		slowSQL:     "SELECT 1 AS v FROM ctl WHERE SLEEP(ctl.d) = 0",
		sleepySQL:   "SELECT 1 AS v FROM ctl WHERE SLEEP(0.3) = 0",
		renameOff:   "RENAME TABLE flaky TO flaky_off",
		renameOn:    "RENAME TABLE flaky_off TO flaky",
		activeSleep: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'kpi_sleepy' AND COMMAND = 'Query' AND INFO LIKE '%SLEEP(0.3)%'",
	},
	{
		kind: testdb.Postgres, driver: catalog.DriverPostgres, start: testdb.StartPostgres,
		slowSQL:     "SELECT 1 AS v FROM ctl, LATERAL (SELECT pg_sleep(ctl.d)) s",
		sleepySQL:   "SELECT 1 AS v FROM ctl, LATERAL (SELECT pg_sleep(0.3)) s",
		renameOff:   "ALTER TABLE flaky RENAME TO flaky_off",
		renameOn:    "ALTER TABLE flaky_off RENAME TO flaky",
		activeSleep: "SELECT count(*) FROM pg_stat_activity WHERE usename = 'kpi_sleepy' AND state = 'active' AND query LIKE '%pg_sleep(0.3)%'",
	},
}

// faultCatalog has, on the engine under test: probe (always fine unless the
// server is gone), other (on another table), flaky (its table is renamed
// away), slow (sleeps when told), locked (its table gets locked) and sleepy
// (a query always in flight, on a pool of its own, to kill the server under).
// local is on SQLite and hole on an endpoint that never answers.
const faultCatalog = `
global: {interval: %[1]s, timeout: %[2]s}
sources:
  db: {driver: %[3]s, dsn: "${DB_DSN}", max_open_conns: 2}
  sleepy_db: {driver: %[3]s, dsn: "${SLEEPY_DSN}", max_open_conns: 1}
  hole: {driver: %[3]s, dsn: "${HOLE_DSN}", max_open_conns: 2}
  local: {driver: sqlite, dsn: %[4]q}
kpis:
  - {name: probe, unit: count, team: t, source: db, sql: "SELECT v FROM probe", value: v}
  - {name: other, unit: count, team: t, source: db, sql: "SELECT v FROM other", value: v}
  - {name: flaky, unit: count, team: t, source: db, sql: "SELECT v FROM flaky", value: v}
  - {name: slow, unit: count, team: t, source: db, sql: %[5]q, value: v}
  - {name: locked, unit: count, team: t, source: db, sql: "SELECT count(*) AS v FROM locked", value: v}
  - {name: sleepy, unit: count, team: t, source: sleepy_db, sql: %[6]q, value: v, timeout: 900ms}
  - {name: hole_probe, unit: count, team: t, source: hole, sql: "SELECT 1 AS v", value: v}
  - {name: local_ok, unit: count, team: t, source: local, sql: "SELECT 42 AS v", value: v}
`

// faultRig is one engine's server, its admin connection and the exporter.
type faultRig struct {
	t     *testing.T
	e     engine
	srv   *testdb.Server
	admin *sql.DB
	exp   *exporter
	hole  *blackhole
	conns *connCounter
	cat   *catalog.Catalog
	lat   latencies // of every scrape during every fault
}

func newFaultRig(t *testing.T, e engine) *faultRig {
	srv := e.start(t)
	db := srv.CreateDatabase(t, "faults")
	srv.Exec(t, db,
		"CREATE TABLE probe (v INT)", "INSERT INTO probe VALUES (1)",
		"CREATE TABLE other (v INT)", "INSERT INTO other VALUES (7)",
		"CREATE TABLE flaky (v INT)", "INSERT INTO flaky VALUES (3)",
		"CREATE TABLE locked (v INT)", "INSERT INTO locked VALUES (5)",
		"CREATE TABLE ctl (d INT)", "INSERT INTO ctl VALUES (0)",
	)
	srv.CreateUser(t, "kpi", faultPassword, db, "SELECT")
	srv.CreateUser(t, "kpi_sleepy", faultPassword, db, "SELECT")
	srv.CreateUser(t, "kpi_hole", faultPassword, db, "SELECT")
	// The hole source reaches the server through the blackhole: a real DSN
	// whose endpoint never answers until the test lets it through.
	hole := startBlackhole(t)
	holeDSN := strings.Replace(srv.UserDSN("kpi_hole", faultPassword, db), srv.Addr(), hole.Addr(), 1)
	local := sqliteFile(t, "CREATE TABLE x (v INT)")
	cat := parseCatalog(t, fmt.Sprintf(faultCatalog, catalog.Duration(faultInterval), catalog.Duration(faultTimeout),
		e.driver, local, e.slowSQL, e.sleepySQL), map[string]string{
		"DB_DSN":     srv.UserDSN("kpi", faultPassword, db),
		"SLEEPY_DSN": srv.UserDSN("kpi_sleepy", faultPassword, db),
		"HOLE_DSN":   holeDSN,
	})
	admin := srv.Open(t, db)
	return &faultRig{t: t, e: e, srv: srv, admin: admin, hole: hole, cat: cat}
}

// start starts the exporter and the connection sampler.
func (r *faultRig) start(cat *catalog.Catalog) {
	r.exp = startExporter(r.t, cat)
	cc, stop := countConnections(r.admin, r.e.kind, "kpi", 2)
	r.conns = cc
	r.t.Cleanup(stop)
}

func (r *faultRig) scrape() *scrape { return r.exp.scrape(r.t) }

// minFaultScrapes is the fewest scrapes taken while a fault holds.
const minFaultScrapes = 5

// during runs a background scraper while fault holds, then checks that every
// scrape answered and that local_ok stayed served throughout. How long the
// scrapes took is logged, never checked: a busy machine stretches them, and
// the latency targets are in make bench. That a scrape does not wait for a
// query is proven by TestBlockedQueries, with the query blocked for as long
// as the test wants.
func (r *faultRig) during(name string, fault func()) {
	r.t.Helper()
	var lat latencies
	r.conns.phasePeak()
	stop := scrapeLoop(r.exp.srv.URL+"/metrics", 10*time.Millisecond, &lat)
	fault()
	// A fault that is over quickly (a fast restart) may hold few scrapes:
	// keep scraping through its aftermath, while pools reconnect.
	waitFor(r.t, fmt.Sprintf("%d scrapes during %s", minFaultScrapes, name), hangBound, func() bool { return lat.count() >= minFaultScrapes })
	stop()
	p99, n := lat.p99()
	r.t.Logf("%s: %d scrapes during the fault, p99 %s (logged, not checked); the server counted up to %d connections of the exporter's user", name, n, p99, r.conns.phasePeak())
	if len(lat.errs) > 0 {
		r.t.Errorf("%s: %d scrapes failed, first: %v", name, len(lat.errs), lat.errs[0])
	}
	r.lat.mu.Lock()
	r.lat.d = append(r.lat.d, lat.d...)
	r.lat.mu.Unlock()
	if v, ok := r.scrape().value("kpi_local_ok"); !ok || v != 42 {
		r.t.Errorf("%s: the SQLite KPI is not served (%v, %v)", name, v, ok)
	}
}

// waitErrors waits until kpi's error counter for reason passes from.
func (r *faultRig) waitErrors(kpi, reason string, from float64) {
	r.t.Helper()
	waitFor(r.t, fmt.Sprintf("%s errors{reason=%s} to pass %v", kpi, reason, from), hangBound, func() bool {
		return r.scrape().kpiErrors(kpi, reason) > from
	})
}

// checkRecovers checks that kpi succeeds again after the fault cleared, on
// its own interval rather than after its source's backoff (see
// recoveryBound). When it took is logged, not checked.
func (r *faultRig) checkRecovers(kpi string, cleared time.Time) {
	r.t.Helper()
	var runStart float64
	var s *scrape
	ok := pollUntil(recoveryBound, func() bool {
		s = r.scrape()
		last := s.lastSuccess(kpi)
		d, _ := s.value(catalog.SelfLastDuration, "kpi="+kpi)
		runStart = last - d
		return s.kpiUp(kpi) && last > float64(cleared.UnixNano())/1e9
	})
	if !ok {
		var counts []string
		for _, reason := range catalog.Reasons {
			if n := s.kpiErrors(kpi, reason); n > 0 {
				counts = append(counts, fmt.Sprintf("%s=%v", reason, n))
			}
		}
		r.t.Fatalf("%s did not succeed within %s of the fault clearing (interval %s): it waits out its source's backoff; errors so far: %s; logs:\n%s",
			kpi, recoveryBound, faultInterval, strings.Join(counts, " "), lastLines(r.exp.logs.String(), kpi, 6))
	}
	took := time.Duration((runStart - float64(cleared.UnixNano())/1e9) * 1e9)
	r.t.Logf("%s: first successful run started %s after the fault cleared (logged, not checked); the server counted up to %d connections of the exporter's user until then", kpi, took.Round(time.Millisecond), r.conns.phasePeak())
}

func (r *faultRig) checkServed(kpi string, want float64) {
	r.t.Helper()
	if v, ok := r.scrape().value("kpi_" + kpi); !ok || v != want {
		r.t.Errorf("kpi_%s = %v (served %v), want %v", kpi, v, ok, want)
	}
}

// checkOtherStillRuns checks that other keeps succeeding during a fault of
// another KPI on the same source.
func (r *faultRig) checkOtherStillRuns(since time.Time) {
	r.t.Helper()
	waitFor(r.t, "KPI other to keep succeeding", hangBound, func() bool {
		return r.scrape().lastSuccess("other") > float64(since.UnixNano())/1e9
	})
	r.checkServed("other", 7)
}

func (r *faultRig) checkSourceUp(src string, want bool) {
	r.t.Helper()
	if up, ok := r.scrape().sourceUp(src); !ok || up != want {
		r.t.Errorf("%s{source=%q} = %v (present %v), want %v", catalog.SelfSourceUp, src, up, ok, want)
	}
}

func TestFaults(t *testing.T) { onEachEngine(t, testFaults) }

// onEachEngine runs test on each engine, in parallel.
func onEachEngine(t *testing.T, test func(*testing.T, engine)) {
	for _, e := range engines {
		t.Run(string(e.kind), func(t *testing.T) {
			t.Parallel()
			test(t, e)
		})
	}
}

func testFaults(t *testing.T, e engine) {
	r := newFaultRig(t, e)
	r.srv.Stop()
	r.start(r.cat)

	t.Run("server not running at start is a connection error and recovers", func(t *testing.T) {
		r.t = t
		r.during("not running", func() {
			r.waitErrors("probe", catalog.ReasonConnection, 0)
			r.checkSourceUp("db", false)
			// Backing off is right while a source is down, but a KPI that
			// tries less than once an interval may miss the recovery by one:
			// count the attempts over a few intervals, for the record.
			const window = 4 * faultInterval
			before := r.scrape()
			time.Sleep(window)
			after := r.scrape()
			for _, k := range []string{"probe", "other", "flaky", "locked", "slow"} {
				b, _ := before.value(catalog.SelfRuns, "kpi="+k)
				a, _ := after.value(catalog.SelfRuns, "kpi="+k)
				t.Logf("%s: %v attempts in %s (interval %s) while the server is down", k, a-b, window, faultInterval)
			}
		})
		r.srv.Start(t)
		cleared := time.Now()
		// Every KPI of the source, not one: they share the source's state.
		for _, k := range []string{"probe", "other", "flaky", "locked", "slow"} {
			r.checkRecovers(k, cleared)
		}
		r.checkSourceUp("db", true)
		r.checkServed("probe", 1)
	})

	t.Run("server killed mid-query is a connection error and recovers", func(t *testing.T) {
		r.t = t
		s := r.scrape()
		before, timeouts := s.kpiErrors("sleepy", catalog.ReasonConnection), s.kpiErrors("sleepy", catalog.ReasonTimeout)
		r.during("killed", func() {
			waitFor(t, "the sleepy query to be in flight", hangBound, func() bool {
				var n int
				return r.admin.QueryRow(e.activeSleep).Scan(&n) == nil && n > 0
			})
			r.srv.Kill()
			r.waitErrors("sleepy", catalog.ReasonConnection, before)
			if r.scrape().kpiErrors("sleepy", catalog.ReasonTimeout) != timeouts {
				t.Errorf("the query in flight when the server died was counted as a timeout")
			}
			r.waitErrors("probe", catalog.ReasonConnection, r.scrape().kpiErrors("probe", catalog.ReasonConnection))
			r.checkSourceUp("db", false)
			r.checkSourceUp("sleepy_db", false)
		})
		r.srv.Start(t)
		cleared := time.Now()
		r.checkRecovers("probe", cleared)
		r.checkRecovers("sleepy", cleared)
	})

	t.Run("server restarted: stale pooled connections do not fail the next run", func(t *testing.T) {
		r.t = t
		waitFor(t, "probe up", hangBound, func() bool { return r.scrape().kpiUp("probe") })
		r.during("restart", func() {
			r.restart()
		})
		r.checkRecovers("probe", time.Now())
		r.checkRecovers("other", time.Now())
	})

	t.Run("locked table times out, frees the connection and recovers", func(t *testing.T) {
		r.t = t
		waitFor(t, "locked up", hangBound, func() bool { return r.scrape().kpiUp("locked") })
		before := r.scrape().kpiErrors("locked", catalog.ReasonTimeout)
		var release func()
		r.during("locked", func() {
			release = lockTable(t, r.admin, e.kind, "locked")
			start := time.Now()
			r.waitErrors("locked", catalog.ReasonTimeout, before)
			r.waitErrors("locked", catalog.ReasonTimeout, before+1) // it keeps timing out: connections come back
			r.checkSourceUp("db", true)
			r.checkOtherStillRuns(start)
		})
		release()
		r.checkRecovers("locked", time.Now())
		r.checkServed("locked", 1)
	})

	t.Run("endpoint that never answers times out, marks the source down and recovers", func(t *testing.T) {
		r.t = t
		r.during("blackhole", func() {
			r.waitErrors("hole_probe", catalog.ReasonTimeout, r.scrape().kpiErrors("hole_probe", catalog.ReasonTimeout))
			r.checkSourceUp("hole", false)
			r.checkOtherStillRuns(time.Now())
		})
		if _, ok := r.scrape().value("kpi_hole_probe"); ok {
			t.Errorf("a KPI that never succeeded is served")
		}
		if open, peak, accepted := r.hole.Stats(); peak > 2 {
			t.Errorf("the pool held %d connections to the blackhole at once (open now %d, accepted %d), want at most max_open_conns 2", peak, open, accepted)
		}
		r.hole.forward(r.srv.Addr())
		r.checkRecovers("hole_probe", time.Now())
		r.checkSourceUp("hole", true)
	})

	t.Run("query error is counted as query and recovers", func(t *testing.T) {
		r.t = t
		waitFor(t, "flaky up", hangBound, func() bool { return r.scrape().kpiUp("flaky") })
		before := r.scrape().kpiErrors("flaky", catalog.ReasonQuery)
		r.during("query error", func() {
			start := time.Now()
			r.exec(e.renameOff)
			r.waitErrors("flaky", catalog.ReasonQuery, before)
			r.checkSourceUp("db", true)
			r.checkOtherStillRuns(start)
		})
		r.exec(e.renameOn)
		r.checkRecovers("flaky", time.Now())
		r.checkServed("flaky", 3)
	})

	t.Run("query slower than its timeout is counted as timeout and recovers", func(t *testing.T) {
		r.t = t
		waitFor(t, "slow up", hangBound, func() bool { return r.scrape().kpiUp("slow") })
		before := r.scrape().kpiErrors("slow", catalog.ReasonTimeout)
		r.during("slow query", func() {
			start := time.Now()
			r.exec("UPDATE ctl SET d = 3")
			r.waitErrors("slow", catalog.ReasonTimeout, before)
			r.checkSourceUp("db", true)
			r.checkOtherStillRuns(start)
		})
		r.exec("UPDATE ctl SET d = 0")
		r.checkRecovers("slow", time.Now())
	})

	r.t = t
	p99, n := r.lat.p99()
	t.Logf("scrape p99 over every fault: %s in %d scrapes (logged, not checked; the target is in make bench)", p99, n)
	// The server's count is logged, not checked: it also counts sessions
	// whose client has already closed them, after a query outlived the
	// client's deadline (timeout plus grace), until the server ends them.
	// That the pool stays within max_open_conns is proven where no
	// connection closes: TestBlockedQueries.
	peak, samples, over := r.conns.result()
	t.Logf("the server counted at most %d sessions of source db's user (max_open_conns 2) in %d samples", peak, samples)
	for _, o := range over {
		t.Logf("over max_open_conns: %s", o)
	}
	if s := r.exp.logs.String(); containsSecret(s, faultPassword) {
		t.Errorf("the logs show the password")
	}
}

// restart shuts the server down as an operator would, and starts it again.
// PostgreSQL gets a fast shutdown (SIGINT, what pg_ctl stop and systemd use):
// the smart shutdown of testdb's Stop waits for every client to leave, and
// an exporter's pool never leaves.
func (r *faultRig) restart() {
	r.t.Helper()
	if r.e.kind == testdb.Postgres {
		pid, err := os.ReadFile(filepath.Join(r.srv.Dir, "data", "postmaster.pid"))
		if err != nil {
			r.t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(pid), "\n")
		n, err := strconv.Atoi(strings.TrimSpace(first))
		if err != nil {
			r.t.Fatal(err)
		}
		if err := syscall.Kill(n, syscall.SIGINT); err != nil {
			r.t.Fatal(err)
		}
		waitFor(r.t, "PostgreSQL to shut down", hangBound, func() bool { return !r.srv.Running() })
	} else {
		r.srv.Stop()
	}
	r.srv.Start(r.t)
}

func (r *faultRig) exec(q string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.admin.ExecContext(ctx, q); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
}

// TestSlowKPIDoesNotHoldBackFastKPIRecovery has two KPIs on one source that
// does not answer: fast runs every second, slow every 10 s. Once both have
// failed a few times, the source's backoff outlasts slow's interval. Then
// the source comes back:
// fast must succeed within two of its own slots, not skip slot after slot
// while the source's backoff runs out. Slots are counted by fast's error
// counter (a failed or skipped slot counts one), never timed.
func TestSlowKPIDoesNotHoldBackFastKPIRecovery(t *testing.T) {
	srv := testdb.StartMariaDB(t)
	db := srv.CreateDatabase(t, "backoff")
	// The source reaches the server through the blackhole, which swallows
	// connections until it forwards them: the fault clears at once, with
	// no server start in between.
	hole := startBlackhole(t)
	cat := parseCatalog(t, `
sources:
  db: {driver: mysql, dsn: "${DB_DSN}"}
kpis:
  - {name: fast, unit: count, team: t, source: db, sql: "SELECT 1 AS v", value: v, interval: 1s, timeout: 500ms}
  - {name: slow, unit: count, team: t, source: db, sql: "SELECT 2 AS v", value: v, interval: 10s, timeout: 500ms}
`, map[string]string{"DB_DSN": strings.Replace(srv.DSN(db), srv.Addr(), hole.Addr(), 1)})
	exp := startExporter(t, cat)
	failedSlots := func(s *scrape, kpi string) float64 {
		n := 0.0
		for _, reason := range catalog.Reasons {
			n += s.kpiErrors(kpi, reason)
		}
		return n
	}
	// Six failures make the source's backoff 32 s.
	waitFor(t, "slow to fail twice and fast six times", hangBound, func() bool {
		s := exp.scrape(t)
		return failedSlots(s, "slow") >= 2 && failedSlots(s, "fast") >= 6
	})
	before := failedSlots(exp.scrape(t), "fast")
	hole.forward(srv.Addr())
	var s *scrape
	waitFor(t, "fast to recover", 2*time.Minute, func() bool {
		s = exp.scrape(t)
		return s.kpiUp("fast")
	})
	// One slot may fail because its attempt was in flight when the source
	// came back, and one more may be skipped because the backoff, capped at
	// fast's own interval, ends a moment after that slot.
	failed := failedSlots(s, "fast") - before
	t.Logf("fast failed %v slots while the source was away, and %v once it was back", before, failed)
	if failed > 2 {
		t.Errorf("fast (interval 1s) failed or skipped %v slots after the source was back, want at most 2: the source's backoff, grown by slow's (interval 10s) failures, held it back", failed)
	}
}
