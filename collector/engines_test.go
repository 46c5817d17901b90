package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// engine describes one real database server and the same KPIs written in its
// dialect of SQL over the Chinook data set.
type engine struct {
	name       string
	driver     catalog.Driver
	start      func(testing.TB) *testdb.Server
	revenue    string // country, revenue
	agents     string // agent, invoices
	writes     []string
	slow       string // runs far longer than a second
	statements string // a server counter of SELECT statements, for the load check
}

var engines = []engine{
	{
		name: "mariadb", driver: catalog.DriverMySQL, start: testdb.StartMariaDB,
		revenue: "SELECT BillingCountry AS country, SUM(Total) AS revenue FROM Invoice GROUP BY BillingCountry",
		agents: "SELECT CONCAT(e.FirstName, ' ', e.LastName) AS agent, COUNT(*) AS invoices FROM Invoice i " +
			"JOIN Customer c ON c.CustomerId = i.CustomerId JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId, e.FirstName, e.LastName",
		writes: []string{
			"DELETE FROM Invoice",
			"UPDATE Invoice SET Total = 0",
			"SELECT 1 AS v; DELETE FROM Invoice",
			"CREATE TABLE Intruder (v INT)",
			"DROP TABLE InvoiceLine",
		},
		slow:       "SELECT COUNT(*) AS v FROM InvoiceLine a, InvoiceLine b, InvoiceLine c",
		statements: "SHOW GLOBAL STATUS LIKE 'Com_select'",
	},
	{
		name: "postgres", driver: catalog.DriverPostgres, start: testdb.StartPostgres,
		revenue: "SELECT billing_country AS country, SUM(total) AS revenue FROM invoice GROUP BY billing_country",
		agents: "SELECT e.first_name || ' ' || e.last_name AS agent, COUNT(*) AS invoices FROM invoice i " +
			"JOIN customer c ON c.customer_id = i.customer_id JOIN employee e ON e.employee_id = c.support_rep_id GROUP BY e.employee_id, e.first_name, e.last_name",
		writes: []string{
			"DELETE FROM invoice",
			"UPDATE invoice SET total = 0",
			"SELECT 1 AS v; DELETE FROM invoice",
			"CREATE TABLE intruder (v INT)",
			"DROP TABLE invoice_line",
			"WITH d AS (DELETE FROM invoice RETURNING total) SELECT SUM(total) AS v FROM d",
		},
		slow: "SELECT pg_sleep(30) IS NULL AS v",
	},
}

// testPassword has the characters that break naive DSN handling.
const testPassword = "p@ss#w:rd/x"

func TestRealEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts database servers")
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			srv := e.start(t)
			dbName := srv.LoadChinook(t)
			// The exporter's user may write: only its read-only session stops it.
			srv.CreateUser(t, "kpi", testPassword, dbName, "ALL")
			dsn := srv.UserDSN("kpi", testPassword, dbName)
			admin := srv.Open(t, dbName)

			t.Run("exported Chinook values equal the same SQL run directly", func(t *testing.T) { testChinook(t, e, dsn, admin) })
			t.Run("write attempts are refused and the data stays", func(t *testing.T) { testWritesRefused(t, e, dsn, admin) })
			t.Run("slow query times out", func(t *testing.T) { testTimeout(t, e, dsn) })
			t.Run("the server enforces the timeout by itself", func(t *testing.T) { testServerSideLimit(t, e, dsn) })
			t.Run("the password never appears in errors", func(t *testing.T) { testPasswordRedacted(t, e, srv, dbName) })
			if e.statements != "" {
				t.Run("scrapes cause no statements", func(t *testing.T) { testOneQueryPerInterval(t, e, dsn, admin) })
			}
		})
	}
}

func engineCatalog(t testing.TB, e engine, dsn string, kpis string) *catalog.Catalog {
	return loadCatalog(t, fmt.Sprintf("sources:\n  db: {driver: %s, dsn: %q, max_open_conns: 2}\nkpis:\n%s", e.driver, dsn, kpis))
}

func testChinook(t *testing.T, e engine, dsn string, admin *sql.DB) {
	cat := engineCatalog(t, e, dsn, fmt.Sprintf(`
  - {name: revenue_by_country, unit: currency, currency: USD, team: sales, source: db, sql: %q, labels: [country], value: revenue}
  - {name: invoices_per_agent, unit: count, team: sales, source: db, sql: %q, labels: [agent], value: invoices}
`, e.revenue, e.agents))
	clock := newFakeClock()
	c := New(Options{Clock: clock})
	defer c.Close()
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "runs scheduled", func() bool { return clock.pending() == 2 })
	clock.Advance(maxStartJitter)
	waitFor(t, "both runs", func() bool { return runsOf(c, "revenue_by_country") == 1 && runsOf(c, "invoices_per_agent") == 1 })
	body, _ := scrape(t, c.Handler())
	samples := parseText(t, []byte(body))

	for _, q := range []struct {
		sql, metric, label string
	}{
		{e.revenue, "kpi_revenue_by_country_usd", "country"},
		{e.agents, "kpi_invoices_per_agent", "agent"},
	} {
		rows, err := admin.Query(q.sql)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var label, value string
			if err := rows.Scan(&label, &value); err != nil {
				t.Fatal(err)
			}
			want, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatal(err)
			}
			key := model.Metric{model.MetricNameLabel: model.LabelValue(q.metric), model.LabelName(q.label): model.LabelValue(label)}.String()
			got, ok := samples[key]
			if !ok {
				t.Fatalf("%s is not exported", key)
			}
			if float64(got.Value) != want {
				t.Errorf("%s = %v, direct SQL gives %v", key, got.Value, want)
			}
			n++
		}
		rows.Close()
		if n < 3 {
			t.Fatalf("only %d rows from %s", n, q.sql)
		}
		if got := exportedCount(samples, q.metric); got != n {
			t.Errorf("%s has %d series, direct SQL %d rows", q.metric, got, n)
		}
	}
}

func exportedCount(samples map[string]*model.Sample, metric string) int {
	n := 0
	for _, s := range samples {
		if string(s.Metric[model.MetricNameLabel]) == metric {
			n++
		}
	}
	return n
}

func tableFingerprint(t *testing.T, e engine, admin *sql.DB) string {
	t.Helper()
	q := "SELECT COUNT(*), SUM(Total) FROM Invoice"
	if e.driver == catalog.DriverPostgres {
		q = "SELECT COUNT(*), SUM(total)::text FROM invoice"
	}
	var n int
	var sum string
	if err := admin.QueryRow(q).Scan(&n, &sum); err != nil {
		t.Fatalf("read invoices: %v", err)
	}
	tables := "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
	if e.driver == catalog.DriverPostgres {
		tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
	}
	var nt int
	if err := admin.QueryRow(tables).Scan(&nt); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d invoices, total %s, %d tables", n, sum, nt)
}

func testWritesRefused(t *testing.T, e engine, dsn string, admin *sql.DB) {
	before := tableFingerprint(t, e, admin)
	for _, w := range e.writes {
		cat := engineCatalog(t, e, dsn, "  - {name: w, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}\n")
		pastTheGate(cat, "w", w)
		_, err := runKPI(t, cat, "w")
		if err == nil {
			t.Errorf("%s: accepted", w)
		}
		if after := tableFingerprint(t, e, admin); after != before {
			t.Fatalf("%s changed the data: %s, was %s", w, after, before)
		}
	}
}

func testTimeout(t *testing.T, e engine, dsn string) {
	cat := engineCatalog(t, e, dsn, fmt.Sprintf("  - {name: slow, unit: count, team: t, source: db, sql: %q, value: v, timeout: 1s}\n", e.slow))
	start := time.Now()
	_, err := runKPI(t, cat, "slow")
	var re *RunError
	if !errors.As(err, &re) || re.Reason != catalog.ReasonTimeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("the timeout of 1s took %v", d)
	}
}

func testPasswordRedacted(t *testing.T, e engine, srv *testdb.Server, dbName string) {
	// A wrong password, and a database that does not exist: drivers quote
	// parts of the DSN in such errors.
	secret := "Wr0ng@#:/Secret"
	dsn := srv.UserDSN("kpi", secret, dbName+"_missing")
	cat := engineCatalog(t, e, dsn, "  - {name: x, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}\n")
	_, err := runKPI(t, cat, "x")
	var re *RunError
	if !errors.As(err, &re) || re.Reason != catalog.ReasonConnection {
		t.Fatalf("err = %v, want a connection error", err)
	}
	if strings.Contains(err.Error(), "Wr0ng") || strings.Contains(err.Error(), "Secret") {
		t.Fatalf("password in error: %v", err)
	}
}

func testOneQueryPerInterval(t *testing.T, e engine, dsn string, admin *sql.DB) {
	cat := engineCatalog(t, e, dsn, fmt.Sprintf("  - {name: revenue_by_country, unit: count, team: t, source: db, interval: 30s, sql: %q, labels: [country], value: revenue}\n", e.revenue))
	counter := func() int {
		var name string
		var v int
		if err := admin.QueryRow(e.statements).Scan(&name, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	clock := newFakeClock()
	c := New(Options{Clock: clock})
	defer c.Close()
	if err := c.Apply(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	// The first run starts at once: count from its end, or its SELECT may
	// land either side of the first reading.
	waitFor(t, "first run", func() bool { return runsOf(c, "revenue_by_country") == 1 })
	before := counter()
	clock.Advance(maxStartJitter) // past the phase: each 30 s step is then one run
	for i := 2; i <= 4; i++ {
		waitFor(t, "run scheduled", func() bool { return clock.pending() == 1 })
		for range 30 {
			scrape(t, c.Handler())
		}
		clock.Advance(30 * time.Second)
		waitFor(t, "run", func() bool { return runsOf(c, "revenue_by_country") == uint64(i) })
	}
	// Each run is one SELECT (SHOW STATUS is not counted as one).
	if got := counter() - before; got != 3 {
		t.Fatalf("Com_select grew by %d over 3 runs and 90 scrapes, want 3", got)
	}
}

// testServerSideLimit gives the client no deadline of its own: only the
// server-side limit the dialect sets can stop the query.
func testServerSideLimit(t *testing.T, e engine, dsn string) {
	cat := engineCatalog(t, e, dsn, "  - {name: x, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}\n")
	src := openAll(t, cat)["db"]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := src.dialect.Begin(ctx, src.db, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Now()
	rows, err := tx.QueryContext(ctx, e.slow)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil || !src.dialect.IsTimeout(err) {
		t.Fatalf("err = %v, want the server's timeout", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("the server stopped the query after %v", d)
	}
}
