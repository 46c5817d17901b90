package collector

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// sqliteFile creates a SQLite database in a temp dir, runs setup on it with a
// writable connection, and returns its path.
func sqliteFile(t testing.TB, setup ...string) string {
	t.Helper()
	return testdb.SQLiteFile(t, filepath.Join(t.TempDir(), "test.db"), append([]string{"PRAGMA user_version = 1"}, setup...)...)
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

// pastTheGate gives a loaded KPI SQL that the catalog's read-only gate
// refuses at load, to prove that each engine's read-only session refuses it
// too.
func pastTheGate(cat *catalog.Catalog, kpi, sql string) {
	cat.KPI(kpi).SQL = sql
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

// prepareOnlyDriver is the real SQLite driver with connections that run
// queries only through prepared statements, as go-mssqldb's do: no
// QueryerContext, so database/sql prepares each query.
type prepareOnlyDriver struct{ driver.Driver }

func (d prepareOnlyDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return prepareOnlyConn{c}, nil
}

type prepareOnlyConn struct{ c driver.Conn }

func (c prepareOnlyConn) Prepare(q string) (driver.Stmt, error) { return c.c.Prepare(q) }
func (c prepareOnlyConn) Close() error                          { return c.c.Close() }

//nolint:staticcheck // driver.Conn requires Begin
func (c prepareOnlyConn) Begin() (driver.Tx, error) { return c.c.Begin() }

func (c prepareOnlyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.c.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c prepareOnlyConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.c.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

var registerPrepareOnly sync.Once

// openPrepareOnly is openAll with every SQLite source's pool on
// prepareOnlyDriver.
func openPrepareOnly(t testing.TB, cat *catalog.Catalog) map[string]*Source {
	t.Helper()
	registerPrepareOnly.Do(func() {
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		sql.Register("sqlite-prepare-only", prepareOnlyDriver{db.Driver()})
		db.Close()
	})
	srcs := openAll(t, cat)
	for _, src := range srcs {
		if src.cfg.Driver != catalog.DriverSQLite {
			continue
		}
		dsn, err := src.dialect.DSN(src.cfg.DSN())
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite-prepare-only", dsn)
		if err != nil {
			t.Fatal(err)
		}
		src.db.Close()
		src.db = db
	}
	return srcs
}
