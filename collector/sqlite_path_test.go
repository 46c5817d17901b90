package collector

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// TestSQLiteOpenFailureNamesTheFileBesideTheCatalog: a relative SQLite dsn
// is the file beside the catalog, and failing to open it names that file (a
// SQLite path holds no secret).
func TestSQLiteOpenFailureNamesTheFileBesideTheCatalog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.yml")
	if err := os.WriteFile(path, []byte(`
sources:
  shop: {driver: sqlite, dsn: no_such_dir/shop.db}
teams:
  sales: {}
kpis:
  - {name: orders, help: Orders., unit: count, team: sales, source: shop, sql: SELECT 1 AS v, value: v}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	src := openAll(t, cat)["shop"]
	err = src.query(context.Background(), "SELECT 1 AS v", nil, time.Second, func(*sql.Rows) error { return nil })
	want := "open sqlite file " + filepath.Join(dir, "no_such_dir", "shop.db") + ": unable to open database file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}
