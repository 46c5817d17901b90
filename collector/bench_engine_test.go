package collector

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// BenchmarkCollectMariaDB is BenchmarkCollect against a real MariaDB server:
// a 200,000-row KPI run from the start of the query to the served block,
// next to database/sql querying and scanning the same rows bare.
func BenchmarkCollectMariaDB(b *testing.B) {
	const rows = 200_000
	srv := testdb.StartMariaDB(b)
	dbName := srv.CreateDatabase(b, "bench")
	srv.Exec(b, dbName,
		"CREATE TABLE facts (store VARCHAR(20), product VARCHAR(20), region VARCHAR(20), amount DECIMAL(12,2))",
		fmt.Sprintf("INSERT INTO facts SELECT CONCAT('store', seq DIV 200), CONCAT('product', seq MOD 200), CONCAT('region', seq MOD 7), seq * 1.25 FROM seq_0_to_%d", rows-1))
	dsn := srv.DSN(dbName)
	b.Run("bare-database-sql", func(b *testing.B) {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		cpu := startCPU()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			bareScan(b, ctx, db, rows)
			cancel()
		}
		cpu.report(b)
	})
	cat := loadCatalog(b, fmt.Sprintf(`
sources:
  db: {driver: mysql, dsn: %q}
kpis:
  - {name: facts, unit: count, team: t, source: db, sql: %q, labels: [store, product, region], value: amount, max_series: 1000000, timeout: 1m, interval: 1m}
`, dsn, benchQuery))
	srcs := openAll(b, cat)
	k := cat.KPI("facts")
	r := newRunner(k, cat, srcs, "", realClock{}, discardLogger())
	b.Run("convert-only", func(b *testing.B) {
		cpu := startCPU()
		for b.Loop() {
			if res, err := RunOnce(context.Background(), cat, k, srcs); err != nil || len(res.Series) != rows {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	b.Run("query-to-served", func(b *testing.B) { benchQueryToServed(b, r, rows) })
}
