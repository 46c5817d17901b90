package testdb

import (
	"database/sql"
	"testing"

	_ "modernc.org/sqlite" // the pure-Go driver the exporter reads SQLite with
)

// SQLiteFile creates the SQLite database file path, runs stmts on it in
// order, and returns path.
func SQLiteFile(t testing.TB, path string, stmts ...string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}
