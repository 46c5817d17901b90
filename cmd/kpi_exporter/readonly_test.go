package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// TestHostileSQLNeverReachesARealDatabase gives serve and check, one at a
// time, catalogs whose SQL would write rows, files, sequences or server
// settings, on MariaDB and PostgreSQL accounts with every privilege (root and
// postgres). Both commands refuse each catalog at load, and afterwards the
// database, its server settings and the folder are as they were.
func TestHostileSQLNeverReachesARealDatabase(t *testing.T) {
	dir := t.TempDir()
	for _, e := range []struct {
		name    string
		start   func(testing.TB) *testdb.Server
		driver  string
		setup   []string
		hostile []string
		state   []string // queries whose answers must not change
	}{
		{
			name: "mariadb", start: testdb.StartMariaDB, driver: "mysql",
			setup: []string{
				"CREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10,2))",
				"INSERT INTO orders VALUES (1, 10), (2, 20)",
				"CREATE SEQUENCE s",
			},
			hostile: []string{
				"SELECT 1 AS v INTO OUTFILE '" + filepath.Join(dir, "outfile.txt") + "'",
				"SELECT 1 AS v INTO DUMPFILE '" + filepath.Join(dir, "dumpfile.bin") + "'",
				"SELECT 1 AS v /*!50000 INTO OUTFILE '" + filepath.Join(dir, "comment.txt") + "' */",
				"SELECT 1 AS v /*M! INTO OUTFILE '" + filepath.Join(dir, "mcomment.txt") + "' */",
				"SET GLOBAL net_read_timeout = 31",
				"SET SESSION sql_mode = ''",
				"SELECT 1 AS v; DELETE FROM orders",
				"DELETE FROM orders",
				"REPLACE INTO orders VALUES (1, 0)",
				"SELECT NEXTVAL(s) AS v",
				"SELECT SETVAL(s, 100) AS v",
				"SELECT GET_LOCK('kpi', 1) AS v",
				"SELECT LOAD_FILE('/etc/hostname') AS v",
				"LOAD DATA INFILE '/etc/hostname' INTO TABLE orders",
				"CREATE TABLE evil (v INT)",
				"SELECT amount AS v FROM orders FOR UPDATE",
				"SELECT amount AS v FROM orders LOCK IN SHARE MODE",
				"DO RELEASE_ALL_LOCKS()",
				"CALL mysql.rds_kill(1)",
				`SELECT '\' INTO OUTFILE '` + filepath.Join(dir, "backslash.txt") + `' -- ' AS v`,
				"SELECT 1 AS v --1\n INTO OUTFILE '" + filepath.Join(dir, "dash.txt") + "'",
				"HANDLER orders OPEN",
				"START TRANSACTION",
			},
			state: []string{
				"SELECT CONCAT(COUNT(*), '/', SUM(amount)) FROM orders",
				"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
				"SELECT @@GLOBAL.net_read_timeout",
				"SELECT CAST(next_not_cached_value AS CHAR) FROM s",
			},
		},
		{
			name: "postgres", start: testdb.StartPostgres, driver: "postgres",
			setup: []string{
				"CREATE TABLE orders (id INT PRIMARY KEY, amount NUMERIC(10,2))",
				"INSERT INTO orders VALUES (1, 10), (2, 20)",
				"CREATE SEQUENCE s",
			},
			hostile: []string{
				"COPY (SELECT 1) TO '" + filepath.Join(dir, "copy.csv") + "'",
				"COPY orders FROM '/etc/hostname'",
				"SELECT set_config('work_mem', '64kB', false) AS v",
				`SELECT pg_catalog."set_config"('work_mem', '64kB', false) AS v`,
				"SELECT nextval('s') AS v",
				"SELECT setval('s', 100) AS v",
				"WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) AS v FROM d",
				"SELECT lo_export(lo_from_bytea(0, 'x'), '" + filepath.Join(dir, "lo.bin") + "') AS v",
				"SELECT pg_advisory_lock(1) AS v",
				"SELECT pg_read_file('/etc/hostname') AS v",
				"DO $$ BEGIN DELETE FROM orders; END $$",
				`SELECT E'\'' ; DELETE FROM orders; --' AS v`,
				"ALTER SYSTEM SET work_mem = '1MB'",
				"SELECT 1 AS v; DROP TABLE orders",
				"VACUUM orders",
				"CREATE TABLE evil AS SELECT 1 AS v",
				"SELECT amount AS v FROM orders FOR SHARE",
				"SET default_transaction_read_only = off",
				"BEGIN",
				"SELECT pg_terminate_backend(pg_backend_pid()) AS v",
			},
			state: []string{
				"SELECT COUNT(*)::text || '/' || SUM(amount)::text FROM orders",
				"SELECT COUNT(*)::text FROM information_schema.tables WHERE table_schema = 'public'",
				"SELECT last_value::text || is_called::text FROM s",
				"SELECT setting FROM pg_file_settings WHERE name = 'work_mem' UNION ALL SELECT 'none' LIMIT 1",
				"SELECT COUNT(*)::text FROM pg_largeobject_metadata",
			},
		},
	} {
		t.Run(e.name, func(t *testing.T) {
			srv := e.start(t)
			db := srv.CreateDatabase(t, "shop")
			srv.Exec(t, db, e.setup...)
			admin := srv.Open(t, db)
			before := readState(t, admin, e.state)
			filesBefore := dirNames(t, dir)

			for i, q := range e.hostile {
				cat := writeFile(t, t.TempDir(), "hostile.yml", shopCatalog(e.driver, srv.DSN(db), fmt.Sprintf(
					"  - {name: hostile, help: h, unit: count, owner: a@example.com, team: sales, source: shop, sql: %q, value: v}\n", q)))
				for _, args := range [][]string{
					{"check", "--config.file=" + cat},
					{"serve", "--config.file=" + cat, "--web.listen-address=127.0.0.1:0"},
				} {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					var stdout, stderr bytes.Buffer
					code := run(ctx, args, &stdout, &stderr)
					cancel()
					if code == exitOK || !strings.Contains(stdout.String()+stderr.String(), "kpis[0].sql: line ") {
						t.Errorf("statement %d %q: %s exit %d, want a load error naming kpis[0].sql\n%s%s", i, q, args[0], code, stdout.String(), stderr.String())
					}
				}
			}

			if after := readState(t, admin, e.state); after != before {
				t.Errorf("the database changed:\n%s\nwas\n%s", after, before)
			}
			if after := dirNames(t, dir); after != filesBefore {
				t.Errorf("files appeared: %s, before %s", after, filesBefore)
			}
		})
	}
}

func readState(t *testing.T, db *sql.DB, queries []string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range queries {
		var v string
		if err := db.QueryRow(q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "%s => %s\n", q, v)
	}
	return b.String()
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, ",")
}
