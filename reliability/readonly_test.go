package reliability

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// writeAttempts are KPIs whose SQL tries to change data, most of them in a
// form that returns rows, so that only the read-only guard can stop them.
var writeAttempts = map[string]map[string]string{
	"sqlite": {
		"delete_returning": "DELETE FROM t RETURNING v",
		"update_returning": "UPDATE t SET v = 0 RETURNING v",
		"insert_returning": "INSERT INTO t VALUES (9) RETURNING v",
		"multi_statement":  "SELECT 1 AS v; DELETE FROM t",
		"create_table":     "CREATE TABLE evil AS SELECT 1 AS v",
		"drop_table":       "DROP TABLE t",
	},
	"mariadb": {
		"delete_returning": "DELETE FROM t RETURNING v",
		"insert_returning": "INSERT INTO t VALUES (9) RETURNING v",
		"update":           "UPDATE t SET v = 0",
		"multi_statement":  "SELECT 1 AS v; DELETE FROM t",
		"create_table":     "CREATE TABLE evil AS SELECT 1 AS v",
		"drop_table":       "DROP TABLE t",
	},
	"postgres": {
		"delete_cte":       "WITH d AS (DELETE FROM t RETURNING v) SELECT v FROM d",
		"update_returning": "UPDATE t SET v = 0 RETURNING v",
		"insert_returning": "INSERT INTO t VALUES (9) RETURNING v",
		"multi_statement":  "SELECT 1 AS v; DELETE FROM t",
		"create_table":     "CREATE TABLE evil AS SELECT 1 AS v",
		"drop_table":       "DROP TABLE t",
		"nextval":          "SELECT nextval('s') AS v",
	},
}

// TestWritesFailAndChangeNothing runs write attempts as KPIs, with an
// administrator's DSN so that only the exporter's read-only session stands in
// the way, on SQLite, MariaDB (also with multiStatements=true in the DSN) and
// PostgreSQL. Every attempt fails, and the data is the same afterwards.
func TestWritesFailAndChangeNothing(t *testing.T) {
	type eng struct {
		name   string
		driver catalog.Driver
		// setup returns the DSN and a connection that reads the data back.
		setup func(t *testing.T) (string, *sql.DB)
	}
	const table = "CREATE TABLE t (v INT)"
	const rows = "INSERT INTO t VALUES (1), (2), (3)"
	engs := []eng{
		{"sqlite", catalog.DriverSQLite, func(t *testing.T) (string, *sql.DB) {
			path := sqliteFile(t, table, rows)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return path, db
		}},
		{"mariadb", catalog.DriverMySQL, func(t *testing.T) (string, *sql.DB) {
			srv := testdb.StartMariaDB(t)
			name := srv.CreateDatabase(t, "readonly")
			srv.Exec(t, name, table, rows)
			return srv.DSN(name), srv.Open(t, name)
		}},
		{"postgres", catalog.DriverPostgres, func(t *testing.T) (string, *sql.DB) {
			srv := testdb.StartPostgres(t)
			name := srv.CreateDatabase(t, "readonly")
			srv.Exec(t, name, table, rows, "CREATE SEQUENCE s")
			return srv.DSN(name), srv.Open(t, name)
		}},
	}
	for _, e := range engs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dsn, check := e.setup(t)
			var b strings.Builder
			fmt.Fprintf(&b, "global: {interval: 1s, timeout: 900ms}\nsources:\n  db: {driver: %s, dsn: \"${DSN}\"}\n", e.driver)
			if e.driver == catalog.DriverMySQL {
				b.WriteString("  db_multi: {driver: mysql, dsn: \"${DSN}?multiStatements=true\"}\n")
			}
			b.WriteString("kpis:\n  - {name: reads, unit: count, team: t, source: db, sql: \"SELECT SUM(v) AS v FROM t\", value: v}\n")
			names := []string{}
			for name, q := range writeAttempts[e.name] {
				fmt.Fprintf(&b, "  - {name: %s, unit: count, team: t, source: db, sql: %q, value: v}\n", name, q)
				names = append(names, name)
			}
			if e.driver == catalog.DriverMySQL {
				b.WriteString("  - {name: multi_statement_dsn, unit: count, team: t, source: db_multi, sql: \"SELECT 1 AS v; DELETE FROM t\", value: v}\n")
				names = append(names, "multi_statement_dsn")
			}
			cat := parseCatalog(t, b.String(), map[string]string{"DSN": dsn})
			exp := startExporter(t, cat)
			s := exp.waitRuns(t, cat, 2)
			exp.close()
			if v, ok := s.value("kpi_reads"); !ok || v != 6 {
				t.Errorf("the reading KPI = %v (served %v), want 6", v, ok)
			}
			for _, name := range names {
				if s.kpiUp(name) {
					t.Errorf("%s succeeded", name)
				}
				if _, ok := s.value("kpi_" + name); ok {
					t.Errorf("%s exports a value", name)
				}
				t.Logf("%s: %s", name, firstLine(lastLines(exp.logs.String(), name, 1)))
			}
			var n, sum int
			if err := check.QueryRow("SELECT COUNT(*), SUM(v) FROM t").Scan(&n, &sum); err != nil {
				t.Fatalf("read the data back: %v", err)
			}
			if n != 3 || sum != 6 {
				t.Errorf("table t has %d rows summing to %d after the write attempts, want 3 rows summing to 6", n, sum)
			}
			var evil int
			if err := check.QueryRow("SELECT COUNT(*) FROM evil").Scan(&evil); err == nil {
				t.Errorf("table evil was created")
			}
			if e.driver == catalog.DriverPostgres {
				var called bool
				if err := check.QueryRow("SELECT is_called FROM s").Scan(&called); err != nil || called {
					t.Errorf("sequence s advanced (is_called %v, %v)", called, err)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if i := strings.Index(line, "err="); i >= 0 {
		return line[i:]
	}
	return line
}
