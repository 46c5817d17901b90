package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// productsPerStore fixes the shape of a data set: a size of n series is
// n/100 stores × 100 products, each series labelled region, store, product.
const productsPerStore = 100

// seriesTable names the table that holds one row per series of a size.
func seriesTable(n int) string { return fmt.Sprintf("series_%d", n) }

// seriesQuery is the one query both exporters run for a size.
func seriesQuery(n int) string {
	return "SELECT region, store, product, revenue FROM " + seriesTable(n)
}

// loadSeries creates and fills the table of a size unless it is already
// there. Values are deterministic, so runs compare.
func loadSeries(ctx context.Context, db *sql.DB, n int) error {
	table := seriesTable(n)
	var have int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", table).Scan(&have); err != nil {
		return fmt.Errorf("look for table %s: %w", table, err)
	}
	if have > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+
		" (id INT PRIMARY KEY, region VARCHAR(16) NOT NULL, store VARCHAR(16) NOT NULL, product VARCHAR(16) NOT NULL, revenue DOUBLE NOT NULL)"); err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	const batch = 2000
	var b strings.Builder
	for start := 0; start < n; start += batch {
		b.Reset()
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for i := start; i < min(start+batch, n); i++ {
			store, product := i/productsPerStore, i%productsPerStore
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'region_%02d','store_%05d','product_%03d',%d.%02d)",
				i, store%20, store, product, (store*7919+product*104729)%100000, (i*31)%100)
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("fill table %s: %w", table, err)
		}
	}
	return nil
}
