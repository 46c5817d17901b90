package collector

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSQLiteSourceCannotWrite sends hostile statements straight to a SQLite
// source's pool, past the catalog's gate and outside the read-only
// transaction a KPI runs in, and checks on disk afterwards that nothing
// changed: the rows, the schema, and the files in the folder.
func TestSQLiteSourceCannotWrite(t *testing.T) {
	path := sqliteFile(t,
		"CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)",
		"INSERT INTO orders (amount) VALUES (10), (20), (30)",
	)
	dir := filepath.Dir(path)
	other := filepath.Join(dir, "other.db")
	od, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CREATE TABLE t (v INTEGER)", "INSERT INTO t VALUES (1)"} {
		if _, err := od.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	od.Close()
	filesBefore := listDir(t, dir)

	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  shop: {driver: sqlite, dsn: %q, max_open_conns: 1}
teams:
  sales: {}
kpis:
  - {name: orders, help: Orders., unit: count, team: sales, source: shop, sql: SELECT COUNT(*) AS v FROM orders, value: v}
`, path))
	src := openAll(t, cat)["shop"]
	ctx := context.Background()

	for _, c := range []struct{ name, sql string }{
		{"the repro of issue 15", "PRAGMA query_only = 0; COMMIT; ATTACH DATABASE 'file:" + path + "?mode=rw' AS rw; DELETE FROM rw.orders; SELECT 1 AS v"},
		{"pragma query_only off", "PRAGMA query_only = 0"},
		{"attach the same file writable", "ATTACH DATABASE 'file:" + path + "?mode=rw' AS rw"},
		{"attach another file", "ATTACH DATABASE '" + other + "' AS o"},
		{"attach creates a file", "ATTACH DATABASE '" + filepath.Join(dir, "new.db") + "' AS n"},
		{"attach an in-memory database", "ATTACH DATABASE ':memory:' AS m"},
		{"delete", "DELETE FROM orders"},
		{"update", "UPDATE orders SET amount = 0"},
		{"insert", "INSERT INTO orders (amount) VALUES (1)"},
		{"drop", "DROP TABLE orders"},
		{"create a temporary table", "CREATE TEMP TABLE x (v INTEGER)"},
		{"vacuum into a new file", "VACUUM INTO '" + filepath.Join(dir, "copy.db") + "'"},
		{"writable schema", "PRAGMA writable_schema = ON"},
		{"load an extension", "SELECT load_extension('" + filepath.Join(dir, "x.so") + "')"},
		{"a savepoint", "SAVEPOINT s"},
		{"a table-valued pragma", "SELECT * FROM pragma_database_list"},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			rows, err := src.DB().QueryContext(ctx, c.sql)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err == nil {
				t.Fatalf("%q ran on a read-only source", c.sql)
			}
		})
	}

	t.Run("reading still works on the same connection", func(t *testing.T) {
		var n int
		if err := src.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("%d orders, want 3", n)
		}
	})
	t.Run("nothing stays attached to the pooled connection", func(t *testing.T) {
		for _, q := range []string{"SELECT COUNT(*) FROM rw.orders", "SELECT COUNT(*) FROM o.t", "SELECT COUNT(*) FROM m.sqlite_master"} {
			if err := src.DB().QueryRowContext(ctx, q).Scan(new(int)); err == nil {
				t.Errorf("%q found an attached database", q)
			}
		}
	})
	t.Run("the file and the folder are unchanged", func(t *testing.T) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		var sum float64
		if err := db.QueryRow("SELECT COUNT(*), SUM(amount) FROM orders").Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != 3 || sum != 60 {
			t.Errorf("orders: %d rows summing to %v, want 3 summing to 60", n, sum)
		}
		var tables int
		if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 1 {
			t.Errorf("%d schema objects, want 1", tables)
		}
		if after := listDir(t, dir); !slices.Equal(after, filesBefore) {
			t.Errorf("files in the folder: %v, before %v", after, filesBefore)
		}
	})
}

// TestSQLiteAuthorizerStaysOffOtherConnections: the authorizer belongs to the
// source's own driver, so another SQLite pool in the same process still writes.
func TestSQLiteAuthorizerStaysOffOtherConnections(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE t (v INTEGER)")
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  shop: {driver: sqlite, dsn: %q}
teams:
  sales: {}
kpis:
  - {name: t, help: T., unit: count, team: sales, source: shop, sql: SELECT COUNT(*) AS v FROM t, value: v}
`, path))
	openAll(t, cat)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("a writable pool of the process was refused: %v", err)
	}
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
