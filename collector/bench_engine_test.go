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
// a 200,000-row KPI run from the start of the query to the served page,
// next to database/sql querying and scanning the same rows bare. "decimal"
// reads DECIMAL(12,2) amounts; "timestamp" is the query of make bench's
// overhead step, whose every value is the statement's start as a 16-digit
// decimal.
func BenchmarkCollectMariaDB(b *testing.B) {
	const rows = 200_000
	srv := testdb.StartMariaDB(b)
	dbName := srv.CreateDatabase(b, "bench")
	srv.Exec(b, dbName,
		"CREATE TABLE facts (store VARCHAR(20), product VARCHAR(20), region VARCHAR(20), amount DECIMAL(12,2))",
		fmt.Sprintf("INSERT INTO facts SELECT CONCAT('store', seq DIV 200), CONCAT('product', seq MOD 200), CONCAT('region', seq MOD 7), seq * 1.25 FROM seq_0_to_%d", rows-1))
	dsn := srv.DSN(dbName)
	for _, q := range []struct{ name, sql string }{
		{"decimal", benchQuery},
		{"timestamp", "SELECT store, product, region, UNIX_TIMESTAMP(NOW(6)) AS amount FROM facts"},
	} {
		b.Run(q.name+"/bare-database-sql", func(b *testing.B) {
			db, err := sql.Open("mysql", dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			cpu := startCPU()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				bareScanQuery(b, ctx, db, q.sql, rows)
				cancel()
			}
			cpu.report(b)
		})
		cat := loadCatalog(b, fmt.Sprintf(`
sources:
  db: {driver: mysql, dsn: %q}
kpis:
  - {name: facts, unit: count, team: t, source: db, sql: %q, labels: [store, product, region], value: amount, max_series: 1000000, timeout: 1m, interval: 1m}
`, dsn, q.sql))
		srcs := openAll(b, cat)
		k := cat.KPI("facts")
		r := newRunner(k, cat, srcs, "", realClock{}, discardLogger())
		b.Run(q.name, func(b *testing.B) { benchQueryToServed(b, r, rows) })
	}
}
