package sqltext

import (
	"errors"
	"strings"
	"testing"
)

func TestReadOnlyAcceptsReadingQueries(t *testing.T) {
	for _, c := range []struct {
		name  string
		d     Dialect
		query string
	}{
		{"plain select", Generic, "SELECT region, SUM(amount) AS v FROM orders GROUP BY region"},
		{"trailing semicolon", MySQL, "SELECT 1 AS v;"},
		{"common table expression", PostgreSQL, "WITH t AS (SELECT 1 AS v) SELECT v FROM t"},
		{"values", PostgreSQL, "VALUES (1)"},
		{"parenthesised select", SQLite, "(SELECT 1 AS v)"},
		{"leading comment", MySQL, "-- revenue\n/* by region */ SELECT 1 AS v"},
		{"write words inside strings and comments", PostgreSQL, "SELECT 'DELETE FROM t; SET x' AS v -- INSERT INTO\n"},
		{"write words as quoted identifiers", MySQL, "SELECT `update`, `set` FROM t"},
		{"replace as a function", MySQL, "SELECT REPLACE(name, 'a', 'b') AS v FROM t"},
		{"dollar-quoted string on postgres", PostgreSQL, "SELECT $q$ DROP TABLE t; $q$ AS v"},
		{"bracket identifier on sql server", MSSQL, "SELECT [delete] AS v FROM t"},
		{"mysql optimizer hint", MySQL, "SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1 AS v"},
		{"array subscript on postgres", PostgreSQL, "SELECT (ARRAY[1,2])[1] AS v"},
		{"fetch first", PostgreSQL, "SELECT v FROM t ORDER BY v FETCH FIRST 1 ROWS ONLY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := ReadOnly(c.query, c.d); err != nil {
				t.Fatalf("ReadOnly(%q) = %v, want nil", c.query, err)
			}
		})
	}
}

func TestReadOnlyRefusesWhatCouldWrite(t *testing.T) {
	for _, c := range []struct {
		name  string
		d     Dialect
		query string
		want  string
	}{
		{"the sqlite repro", SQLite, "PRAGMA query_only = 0; COMMIT; ATTACH DATABASE 'file:shop.db?mode=rw' AS rw; DELETE FROM rw.orders; SELECT 1 AS v", "more than one statement"},
		{"a second statement", SQLite, "SELECT 1 AS v; DELETE FROM orders", "more than one statement"},
		{"attach", SQLite, "SELECT 1 AS v FROM (SELECT 1) ATTACH", "ATTACH is not allowed"},
		{"vacuum into", SQLite, "VACUUM INTO '/tmp/copy.db'", "starts with VACUUM"},
		{"load_extension", SQLite, "SELECT load_extension('/tmp/evil.so') AS v", "function load_extension"},
		{"into outfile", MySQL, "SELECT 1 AS v INTO OUTFILE '/tmp/x'", "INTO is not allowed"},
		{"into dumpfile", MySQL, "SELECT 1 INTO DUMPFILE '/tmp/x'", "INTO is not allowed"},
		{"into a variable", MySQL, "SELECT 1 INTO @a", "INTO is not allowed"},
		{"set global", MySQL, "SET GLOBAL net_read_timeout = 31", "starts with SET"},
		{"executable comment", MySQL, "SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */", "/*! ... */"},
		{"mariadb executable comment", MySQL, "SELECT 1 /*M! INTO OUTFILE '/tmp/x' */", "/*! ... */"},
		{"dash without space is not a comment on mysql", MySQL, "SELECT 1 --1\n; DELETE FROM t", "more than one statement"},
		{"mysql hides code behind a dash", MySQL, "SELECT 1 AS v --1 INTO OUTFILE '/tmp/x'", "INTO is not allowed"},
		{"backslash read either way on mysql", MySQL, `SELECT '\' INTO OUTFILE '/tmp/x' -- '`, "INTO is not allowed"},
		{"escape string on postgres", PostgreSQL, `SELECT E'\'' ; DELETE FROM t; --'`, "more than one statement"},
		{"standard string on postgres", PostgreSQL, `SELECT '\', set_config('a', 'b', false) -- '`, "function set_config"},
		{"get_lock", MySQL, "SELECT GET_LOCK('x', 10) AS v", "function get_lock"},
		{"load_file", MySQL, "SELECT LOAD_FILE('/etc/passwd') AS v", "function load_file"},
		{"for update", MySQL, "SELECT v FROM t FOR UPDATE", "locking read"},
		{"for share", PostgreSQL, "SELECT v FROM t FOR SHARE", "locking read"},
		{"for key share", PostgreSQL, "SELECT v FROM t FOR KEY SHARE", "locking read"},
		{"for no key update", PostgreSQL, "SELECT v FROM t FOR NO KEY UPDATE", "locking read"},
		{"lock in share mode", MySQL, "SELECT v FROM t LOCK IN SHARE MODE", "LOCK is not allowed"},
		{"copy to a file", PostgreSQL, "COPY (SELECT 1) TO '/tmp/x'", "starts with COPY"},
		{"data-modifying cte", PostgreSQL, "WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d", "DELETE is not allowed"},
		{"set_config", PostgreSQL, "SELECT set_config('default_transaction_read_only', 'off', false)", "function set_config"},
		{"schema-qualified quoted function", PostgreSQL, `SELECT pg_catalog."set_config"('a', 'b', false)`, "function set_config"},
		{"function hidden in a subscript", PostgreSQL, "SELECT ARRAY[1][(SELECT set_config('a','b',false))::int]", "function set_config"},
		{"nextval", PostgreSQL, "SELECT nextval('orders_id_seq')", "function nextval"},
		{"lo_export", PostgreSQL, "SELECT lo_export(1, '/tmp/x')", "function lo_export"},
		{"dollar quotes are not strings on mysql", MySQL, "SELECT $a$; DELETE FROM t; SELECT $a$", "more than one statement"},
		{"brackets are not identifiers on postgres", PostgreSQL, "SELECT a[1; DELETE FROM t; ] FROM t", "more than one statement"},
		{"call", MySQL, "CALL refresh_stats()", "starts with CALL"},
		{"do", PostgreSQL, "DO $$ BEGIN DELETE FROM t; END $$", "starts with DO"},
		{"begin", PostgreSQL, "BEGIN", "starts with BEGIN"},
		{"select into a new table", MSSQL, "SELECT * INTO copy FROM t", "INTO is not allowed"},
		{"exec", MSSQL, "SELECT 1; EXEC xp_cmdshell 'dir'", "more than one statement"},
		{"openrowset", MSSQL, "SELECT * FROM OPENROWSET('SQLNCLI', 'x', 'SELECT 1')", "function openrowset"},
		{"waitfor", MSSQL, "SELECT 1 WAITFOR DELAY '00:10'", "WAITFOR is not allowed"},
		{"empty", Generic, "  -- nothing\n", "no SQL statement"},
		{"only a semicolon", Generic, ";", "no SQL statement"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ReadOnly(c.query, c.d)
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("ReadOnly(%q) = %v, want a *RefusedError", c.query, err)
			}
			if !strings.Contains(re.Reason, c.want) {
				t.Fatalf("ReadOnly(%q) = %q, want it to contain %q", c.query, re.Reason, c.want)
			}
			if re.Pos < 0 || re.Pos > len(c.query) {
				t.Fatalf("position %d outside the query of %d bytes", re.Pos, len(c.query))
			}
		})
	}
}

func FuzzReadOnlyNeverPanics(f *testing.F) {
	for _, s := range []string{"SELECT 1", "E'\\''", "/*! x */", "$a$ $a$", "[x", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for d := Generic; d <= MSSQL; d++ {
			if err := ReadOnly(q, d); err != nil {
				var re *RefusedError
				if !errors.As(err, &re) || re.Pos < 0 || re.Pos > len(q) {
					t.Fatalf("ReadOnly(%q, %d) = %v", q, d, err)
				}
			}
		}
	})
}
