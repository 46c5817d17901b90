package collector

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// sqliteFile creates a SQLite database in a temp dir, runs setup on it with a
// writable connection, and returns its path.
func sqliteFile(t testing.TB, setup ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"PRAGMA user_version = 1"}, setup...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("setup %q: %v", s, err)
		}
	}
	return path
}

// loadCatalog parses a catalog held in a string.
func loadCatalog(t testing.TB, yaml string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "", false }}.Parse("test.yml", []byte(yaml))
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	return cat
}

// openAll opens every source of a catalog and closes them at the end of the test.
func openAll(t testing.TB, cat *catalog.Catalog) map[string]*Source {
	t.Helper()
	srcs := map[string]*Source{}
	for _, s := range cat.Sources {
		src, err := Open(context.Background(), s, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		srcs[s.Name] = src
	}
	return srcs
}

// runKPI runs one KPI of a catalog once.
func runKPI(t testing.TB, cat *catalog.Catalog, name string) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return RunOnce(ctx, cat, cat.KPI(name), openAll(t, cat))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
