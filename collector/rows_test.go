package collector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// TestQueryPaths checks which way each pool reads rows: SQLite's driver
// directly, the prepare-only driver (standing for go-mssqldb) through
// database/sql. TestRowConversionThroughSQLite runs every case both ways.
func TestQueryPaths(t *testing.T) {
	path := sqliteFile(t)
	cat := loadCatalog(t, fmt.Sprintf(rowsCatalog, path, "SELECT 'n' AS region, 1 AS v"))
	for _, c := range []struct {
		name   string
		open   func(testing.TB, *catalog.Catalog) map[string]*Source
		direct bool
	}{
		{"sqlite driver", openAll, true},
		{"prepare-only driver", openViaDatabaseSQL, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			src := c.open(t, cat)["db"]
			conn, err := src.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			rows := 0
			direct, err := queryDirect(ctx, conn, "SELECT 1", func(r resultRows) error {
				rows++
				return nil
			})
			if err != nil || direct != c.direct || rows != map[bool]int{true: 1}[c.direct] {
				t.Fatalf("direct = %v (want %v), scanned %d times, err %v", direct, c.direct, rows, err)
			}
		})
	}
}
