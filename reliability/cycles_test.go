package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// cyclesCatalog runs fast so that many fault cycles fit in a test: on each
// engine, errs fails while its table is renamed away, slow times out while
// ctl.d is set, and steady never has a fault.
const cyclesCatalog = `
global: {interval: 300ms, timeout: 250ms}
sources:
  maria: {driver: mysql, dsn: "${MARIA_DSN}", max_open_conns: 2}
  pg: {driver: postgres, dsn: "${PG_DSN}", max_open_conns: 2}
kpis:
  - {name: maria_errs, unit: count, team: t, source: maria, sql: "SELECT v FROM flaky", value: v}
  - {name: maria_slow, unit: count, team: t, source: maria, sql: %q, value: v}
  - {name: maria_steady, unit: count, team: t, source: maria, sql: "SELECT v FROM other", value: v}
  - {name: pg_errs, unit: count, team: t, source: pg, sql: "SELECT v FROM flaky", value: v}
  - {name: pg_slow, unit: count, team: t, source: pg, sql: %q, value: v}
  - {name: pg_steady, unit: count, team: t, source: pg, sql: "SELECT v FROM other", value: v}
`

// envInt reads a test size from the environment, for longer runs by hand.
func envInt(t testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// cycleEngine is one engine's server and the statements that cause and
// clear its faults.
type cycleEngine struct {
	e     engine
	srv   *testdb.Server
	db    string
	admin *sql.DB
}

func (c *cycleEngine) exec(t testing.TB, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.admin.ExecContext(ctx, q); err != nil {
		t.Fatalf("%s: %s: %v", c.e.kind, q, err)
	}
}

// TestFaultCyclesLeakNothing toggles faults on MariaDB and PostgreSQL under a
// running collector: RELIABILITY_CYCLES (default 200) cycles alternating a
// query error and a query timeout on both engines at once, then
// RELIABILITY_RESTARTS (default 3) restarts of each server. Every fault must
// show with its reason and every KPI recover, no scrape may fail, and
// afterwards no goroutine may be left behind.
func TestFaultCyclesLeakNothing(t *testing.T) {
	cycles := envInt(t, "RELIABILITY_CYCLES", 200)
	restarts := envInt(t, "RELIABILITY_RESTARTS", 3)
	var engs []*cycleEngine
	env := map[string]string{}
	for _, e := range engines {
		srv := e.start(t)
		db := srv.CreateDatabase(t, "cycles")
		srv.Exec(t, db,
			"CREATE TABLE flaky (v INT)", "INSERT INTO flaky VALUES (3)",
			"CREATE TABLE other (v INT)", "INSERT INTO other VALUES (7)",
			"CREATE TABLE ctl (d INT)", "INSERT INTO ctl VALUES (0)")
		srv.CreateUser(t, "kpi", faultPassword, db, "SELECT")
		key := "MARIA_DSN"
		if e.kind == testdb.Postgres {
			key = "PG_DSN"
		}
		env[key] = srv.UserDSN("kpi", faultPassword, db)
		engs = append(engs, &cycleEngine{e: e, srv: srv, db: db})
	}
	cat := parseCatalog(t, fmt.Sprintf(cyclesCatalog, engines[0].slowSQL, engines[1].slowSQL), env)

	// Everything started from here on must be gone at the end.
	leakOpts := goleak.IgnoreCurrent()

	var counters []*connCounter
	var stops []func()
	for _, c := range engs {
		admin, err := sql.Open(map[testdb.Engine]string{testdb.MariaDB: "mysql", testdb.Postgres: "pgx"}[c.e.kind], c.srv.DSN(c.db))
		if err != nil {
			t.Fatal(err)
		}
		c.admin = admin
		cc, stop := countConnections(admin, c.e.kind, "kpi", 2)
		counters, stops = append(counters, cc), append(stops, stop)
	}
	exp := startExporter(t, cat)
	var lat latencies
	stopScraping := scrapeLoop(exp.srv.URL+"/metrics", 20*time.Millisecond, &lat)

	prefix := map[testdb.Engine]string{testdb.MariaDB: "maria_", testdb.Postgres: "pg_"}
	waitAll := func(what string, cond func(s *scrape, p string) bool) {
		t.Helper()
		deadline := time.Now().Add(hangBound)
		for {
			s := exp.scrape(t)
			ok := true
			for _, c := range engs {
				if !cond(s, prefix[c.e.kind]) {
					ok = false
					if time.Now().After(deadline) {
						t.Logf("%s: state of %s KPIs:\n%s", what, c.e.kind, kpiStates(s, prefix[c.e.kind], exp.logs.String()))
					}
				}
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAll("every KPI to succeed", func(s *scrape, p string) bool {
		return s.kpiUp(p+"errs") && s.kpiUp(p+"slow") && s.kpiUp(p+"steady")
	})

	start := time.Now()
	for i := range cycles {
		kpi, reason := "errs", catalog.ReasonQuery
		if i%2 == 1 {
			kpi, reason = "slow", catalog.ReasonTimeout
		}
		before := exp.scrape(t)
		for _, c := range engs {
			if kpi == "errs" {
				c.exec(t, c.e.renameOff)
			} else {
				c.exec(t, "UPDATE ctl SET d = 2")
			}
		}
		waitAll(fmt.Sprintf("cycle %d: %s to fail with reason %s", i, kpi, reason), func(s *scrape, p string) bool {
			return s.kpiErrors(p+kpi, reason) > before.kpiErrors(p+kpi, reason)
		})
		cleared := time.Now()
		for _, c := range engs {
			if kpi == "errs" {
				c.exec(t, c.e.renameOn)
			} else {
				c.exec(t, "UPDATE ctl SET d = 0")
			}
		}
		waitAll(fmt.Sprintf("cycle %d: %s to recover", i, kpi), func(s *scrape, p string) bool {
			return s.kpiUp(p+kpi) && s.lastSuccess(p+kpi) > float64(cleared.UnixNano())/1e9
		})
	}
	t.Logf("%d fault cycles on both engines in %s", cycles, time.Since(start).Round(time.Second))

	for i := range restarts {
		for _, c := range engs {
			r := &faultRig{t: t, e: c.e, srv: c.srv}
			r.restart()
		}
		restarted := time.Now()
		waitAll(fmt.Sprintf("restart %d: every KPI to recover", i), func(s *scrape, p string) bool {
			return s.lastSuccess(p+"steady") > float64(restarted.UnixNano())/1e9 && s.lastSuccess(p+"errs") > float64(restarted.UnixNano())/1e9
		})
	}

	stopScraping()
	p99, n := lat.p99()
	t.Logf("%d scrapes during the cycles, p99 %s, %d failed", n, p99, len(lat.errs))
	if len(lat.errs) > 0 {
		t.Errorf("%d scrapes failed, first: %v", len(lat.errs), lat.errs[0])
	}
	final := exp.scrape(t)
	for _, c := range engs {
		p := prefix[c.e.kind]
		t.Logf("%s: errors query=%v timeout=%v connection=%v; steady errors timeout=%v", c.e.kind,
			final.kpiErrors(p+"errs", catalog.ReasonQuery), final.kpiErrors(p+"slow", catalog.ReasonTimeout),
			final.kpiErrors(p+"steady", catalog.ReasonConnection), final.kpiErrors(p+"steady", catalog.ReasonTimeout))
	}
	exp.close()
	for i, c := range engs {
		stops[i]()
		// Logged, not checked: the server also counts the sessions of
		// connections the client closed at its deadline, until it ends
		// them (see TestFaults); TestBlockedQueries proves the limit.
		peak, samples, over := counters[i].result()
		t.Logf("%s: the server counted at most %d sessions of the exporter's user in %d samples (max_open_conns 2)", c.e.kind, peak, samples)
		for _, o := range over {
			t.Logf("%s: over max_open_conns: %s", c.e.kind, o)
		}
		c.admin.Close()
	}
	// The servers restarted above are the test's own processes, not the exporter's.
	goleak.VerifyNone(t, leakOpts, goleak.IgnoreAnyFunction("github.com/kpi-exporter/kpi_exporter/internal/testdb.(*Server).launch.func1"))
}

// kpiStates describes the KPIs whose names start with prefix, for a failure.
func kpiStates(s *scrape, prefix, logs string) string {
	var b strings.Builder
	for _, m := range s.mfs[catalog.SelfKPIUp].GetMetric() {
		kpi := m.GetLabel()[0].GetValue()
		if !strings.HasPrefix(kpi, prefix) {
			continue
		}
		fmt.Fprintf(&b, "  %s up=%v last_success=%.3f", kpi, m.GetGauge().GetValue(), s.lastSuccess(kpi))
		for _, r := range catalog.Reasons {
			if n := s.kpiErrors(kpi, r); n > 0 {
				fmt.Fprintf(&b, " %s=%v", r, n)
			}
		}
		fmt.Fprintf(&b, "\n%s\n", lastLines(logs, kpi, 2))
	}
	return b.String()
}
