package reliability

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// writeAttempts are KPIs whose SQL tries to change data, most of them in a
// form that returns rows. The read-only gate refuses every one when the
// catalog loads.
var writeAttempts = map[string]map[string]string{
	"sqlite": {
		"delete_returning": "DELETE FROM t RETURNING v",
		"update_returning": "UPDATE t SET v = 0 RETURNING v",
		"insert_returning": "INSERT INTO t VALUES (9) RETURNING v",
		"multi_statement":  "SELECT 1 AS v; DELETE FROM t",
		"create_table":     "CREATE TABLE evil AS SELECT 1 AS v",
		"drop_table":       "DROP TABLE t",
	},
	"mysql": {
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

// TestWriteAttemptsAreRefusedAtLoad loads each write attempt as a KPI: the
// catalog is refused, and the error names the KPI's SQL.
func TestWriteAttemptsAreRefusedAtLoad(t *testing.T) {
	for driver, attempts := range writeAttempts {
		for name, q := range attempts {
			t.Run(driver+"/"+name, func(t *testing.T) {
				yml := fmt.Sprintf("sources:\n  db: {driver: %s, dsn: \"x\"}\nkpis:\n  - {name: %s, unit: count, team: t, source: db, sql: %q, value: v}\n", driver, name, q)
				_, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "", false }}.Parse("reliability.yml", []byte(yml))
				if err == nil || !strings.Contains(err.Error(), "kpis[0].sql: ") {
					t.Fatalf("%s loaded (error %v), want it refused at kpis[0].sql", q, err)
				}
			})
		}
	}
}

// hiddenWrites are KPIs that pass the read-only gate, because the write is
// inside a stored function the gate cannot see into: only the exporter's
// read-only session stands in the way.
var hiddenWrites = map[testdb.Engine]struct {
	setup []string
	kpis  map[string]string
}{
	testdb.MariaDB: {
		setup: []string{
			"CREATE FUNCTION wipe() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM t; RETURN 1; END",
			"CREATE FUNCTION mk() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO t VALUES (9); RETURN 1; END",
		},
		kpis: map[string]string{"delete_in_function": "SELECT wipe() AS v", "insert_in_function": "SELECT mk() AS v"},
	},
	testdb.Postgres: {
		setup: []string{
			"CREATE SEQUENCE s",
			"CREATE FUNCTION wipe() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; RETURN 1; END $$",
			"CREATE FUNCTION mk() RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CREATE TABLE evil AS SELECT 1 AS v'; RETURN 1; END $$",
			"CREATE FUNCTION adv() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('s') $$",
		},
		kpis: map[string]string{"delete_in_function": "SELECT wipe() AS v", "create_in_function": "SELECT mk() AS v", "nextval_in_function": "SELECT adv() AS v"},
	},
}

// TestWritesTheGateCannotSeeFailAndChangeNothing runs writes hidden in stored
// functions as KPIs, with an administrator's DSN so that only the exporter's
// read-only session stands in the way, on MariaDB and PostgreSQL. Every
// attempt fails, and the data is the same afterwards.
func TestWritesTheGateCannotSeeFailAndChangeNothing(t *testing.T) {
	onEachEngine(t, func(t *testing.T, e engine) {
		const table = "CREATE TABLE t (v INT)"
		const rows = "INSERT INTO t VALUES (1), (2), (3)"
		srv := e.start(t)
		db := srv.CreateDatabase(t, "readonly")
		w := hiddenWrites[e.kind]
		srv.Exec(t, db, append([]string{table, rows}, w.setup...)...)
		check := srv.Open(t, db)
		var b strings.Builder
		fmt.Fprintf(&b, "global: {interval: 5s, timeout: 5s}\nsources:\n  db: {driver: %s, dsn: \"${DSN}\"}\n", e.driver)
		b.WriteString("kpis:\n  - {name: reads, unit: count, team: t, source: db, sql: \"SELECT SUM(v) AS v FROM t\", value: v}\n")
		for name, q := range w.kpis {
			fmt.Fprintf(&b, "  - {name: %s, unit: count, team: t, source: db, sql: %q, value: v}\n", name, q)
		}
		cat := parseCatalog(t, b.String(), map[string]string{"DSN": srv.DSN(db)})
		exp := startExporter(t, cat)
		s := exp.waitRuns(t, cat, 2)
		exp.close()
		if v, ok := s.value("kpi_reads"); !ok || v != 6 {
			t.Errorf("the reading KPI = %v (served %v), want 6", v, ok)
		}
		for name := range w.kpis {
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
		if e.kind == testdb.Postgres {
			var called bool
			if err := check.QueryRow("SELECT is_called FROM s").Scan(&called); err != nil || called {
				t.Errorf("sequence s advanced (is_called %v, %v)", called, err)
			}
		}
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if i := strings.Index(line, "err="); i >= 0 {
		return line[i:]
	}
	return line
}
