package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// blockedCatalog has three KPIs on a table another session holds locked for
// as long as the test wants, with a timeout of an hour: their queries block
// indefinitely. Their source allows two connections. other is on a source of
// its own (its own user) on the same server, local_ok on SQLite.
const blockedCatalog = `
global: {interval: 1s, timeout: 500ms}
sources:
  blocked: {driver: %[1]s, dsn: "${BLOCKED_DSN}", max_open_conns: 2}
  free: {driver: %[1]s, dsn: "${FREE_DSN}", max_open_conns: 1}
  local: {driver: sqlite, dsn: %[2]q}
kpis:
  - {name: blocked_a, unit: count, team: t, source: blocked, sql: "SELECT count(*) AS v FROM locked", value: v, interval: 1h, timeout: 1h}
  - {name: blocked_b, unit: count, team: t, source: blocked, sql: "SELECT count(*) AS v FROM locked", value: v, interval: 1h, timeout: 1h}
  - {name: blocked_c, unit: count, team: t, source: blocked, sql: "SELECT count(*) AS v FROM locked", value: v, interval: 1h, timeout: 1h}
  - {name: other, unit: count, team: t, source: free, sql: "SELECT v FROM other", value: v}
  - {name: local_ok, unit: count, team: t, source: local, sql: "SELECT 42 AS v", value: v}
`

// blockedKPIs are the KPIs of blockedCatalog whose queries block.
var blockedKPIs = []string{"blocked_a", "blocked_b", "blocked_c"}

// waitingOnLock counts a user's sessions that wait for a table lock.
func waitingOnLock(db *sql.DB, kind testdb.Engine, user string) (int, error) {
	q := "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'"
	if kind == testdb.MariaDB {
		q = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ? AND STATE LIKE 'Waiting for table%'"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, q, user).Scan(&n)
	return n, err
}

// TestBlockedQueries holds a table locked under three KPIs whose queries then
// block for as long as the lock is held. Nothing in it depends on how fast
// the machine is: the server's own view says when the queries are blocked,
// and the exporter's run counters say how much work happened meanwhile.
func TestBlockedQueries(t *testing.T) { onEachEngine(t, testBlockedQueries) }

func testBlockedQueries(t *testing.T, e engine) {
	srv := e.start(t)
	db := srv.CreateDatabase(t, "blocked")
	srv.Exec(t, db,
		"CREATE TABLE locked (v INT)", "INSERT INTO locked VALUES (1), (2), (3), (4), (5)",
		"CREATE TABLE other (v INT)", "INSERT INTO other VALUES (7)",
	)
	// One user per source: the server's count of a user's sessions is the
	// count of that source's connections.
	srv.CreateUser(t, "kpi_blocked", faultPassword, db, "SELECT")
	srv.CreateUser(t, "kpi_free", faultPassword, db, "SELECT")
	cat := parseCatalog(t, fmt.Sprintf(blockedCatalog, e.driver, sqliteFile(t, "CREATE TABLE x (v INT)")), map[string]string{
		"BLOCKED_DSN": srv.UserDSN("kpi_blocked", faultPassword, db),
		"FREE_DSN":    srv.UserDSN("kpi_free", faultPassword, db),
	})
	admin := srv.Open(t, db)
	release := lockTable(t, admin, e.kind, "locked")
	released := false
	defer func() {
		if !released {
			release()
		}
	}()

	exp := startExporter(t, cat)
	conns, stopCounting := countConnections(admin, e.kind, "kpi_blocked", 2)
	defer stopCounting()

	waitFor(t, "two queries of source blocked to wait for the lock", time.Minute, func() bool {
		n, err := waitingOnLock(admin, e.kind, "kpi_blocked")
		return err == nil && n == 2
	})

	t.Run("a scrape completes while queries are blocked, with the other KPIs' values and the blocked KPIs' state", func(t *testing.T) {
		// Let the free source run three more times while the queries stay
		// blocked: the exporter goes on working around them.
		before, _ := exp.scrape(t).value(catalog.SelfRuns, "kpi=other")
		waitFor(t, "other to run three more times", time.Minute, func() bool {
			v, _ := exp.scrape(t).value(catalog.SelfRuns, "kpi=other")
			return v >= before+3
		})
		s := exp.scrape(t)
		// The queries were blocked before this scrape and still are after
		// it: the scrape did not wait for them.
		if n, err := waitingOnLock(admin, e.kind, "kpi_blocked"); err != nil || n != 2 {
			t.Fatalf("after the scrape, %d queries of source blocked wait for the lock (%v), want 2 still", n, err)
		}
		for kpi, want := range map[string]float64{"other": 7, "local_ok": 42} {
			if v, ok := s.value("kpi_" + kpi); !ok || v != want {
				t.Errorf("kpi_%s = %v (served %v), want %v", kpi, v, ok, want)
			}
			if !s.kpiUp(kpi) {
				t.Errorf("%s{kpi=%q} is not 1", catalog.SelfKPIUp, kpi)
			}
		}
		for _, kpi := range blockedKPIs {
			if v, ok := s.value("kpi_" + kpi); ok {
				t.Errorf("kpi_%s = %v is served, but its query has not finished", kpi, v)
			}
			if s.kpiUp(kpi) {
				t.Errorf("%s{kpi=%q} is 1, but its query has not finished", catalog.SelfKPIUp, kpi)
			}
			if v, ok := s.value(catalog.SelfRuns, "kpi="+kpi); !ok || v != 0 {
				t.Errorf("%s{kpi=%q} = %v (present %v), want 0: its first run is still blocked", catalog.SelfRuns, kpi, v, ok)
			}
			if v := s.lastSuccess(kpi); v != 0 {
				t.Errorf("%s{kpi=%q} = %v, want 0", catalog.SelfLastSuccess, kpi, v)
			}
		}
		if up, ok := s.sourceUp("free"); !ok || !up {
			t.Errorf("%s{source=\"free\"} = %v (present %v), want 1", catalog.SelfSourceUp, up, ok)
		}
	})

	t.Run("the blocked queries complete once the lock is released", func(t *testing.T) {
		release()
		released = true
		// An interval of an hour: the only runs that can have finished are
		// the ones that were blocked.
		waitFor(t, "the blocked KPIs to succeed", time.Minute, func() bool {
			s := exp.scrape(t)
			for _, kpi := range blockedKPIs {
				if v, ok := s.value("kpi_" + kpi); !ok || v != 5 {
					return false
				}
			}
			return true
		})
		s := exp.scrape(t)
		for _, kpi := range blockedKPIs {
			if v, _ := s.value(catalog.SelfRuns, "kpi="+kpi); v != 1 {
				t.Errorf("%s{kpi=%q} = %v, want 1", catalog.SelfRuns, kpi, v)
			}
		}
	})

	t.Run("the server never counts more connections of the source than its max_open_conns", func(t *testing.T) {
		// No connection of the source is closed in this test (no query times
		// out), so every session the server counted is one the pool held.
		stopCounting()
		peak, samples, over := conns.result()
		if samples == 0 {
			t.Fatal("no sample of the server's connection count")
		}
		if peak > 2 {
			t.Errorf("the server counted up to %d sessions of source blocked's user in %d samples, want at most max_open_conns 2:\n%s", peak, samples, strings.Join(over, "\n"))
		}
		if peak < 2 {
			t.Errorf("the server counted at most %d sessions of source blocked's user, want 2: the test did not fill the pool", peak)
		}
		t.Logf("the server counted at most %d sessions of source blocked's user (max_open_conns 2) in %d samples", peak, samples)
	})
}

// lockTable locks table from its own session of db so that readers block,
// and returns the function that releases the lock.
func lockTable(t testing.TB, db *sql.DB, kind testdb.Engine, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if kind == testdb.MariaDB {
		if _, err := conn.ExecContext(ctx, "LOCK TABLES "+table+" WRITE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := conn.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
				t.Error(err)
			}
			conn.Close()
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := tx.Rollback(); err != nil {
			t.Error(err)
		}
		conn.Close()
	}
}
