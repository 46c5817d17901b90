package e2e

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the warehouse source, as the exporter reads it

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// The business data the catalog's KPIs read, and the numbers a person would
// work out from it. Every expectation of the suite is computed here, from
// these rows, not read back from the exporter.

const (
	dbPasswordEnv = "E2E_DB_PASSWORD"
	// dbPassword is kpi_reader's on both MariaDB servers. It has the
	// characters that break naive DSN handling, and must never show in a log
	// or on /metrics.
	dbPassword = "e2e#Pa55:w0rd"
)

// order is one row of shop.orders.
type order struct {
	region    string
	cents     int64
	filled    bool
	thisMonth bool
}

// shopOrders: north ships everything (fill rate 1); south ships 24 of 25
// (0.96); five of south's orders are from an earlier month, so revenue
// month-to-date leaves them out.
func shopOrders() []order {
	var out []order
	for range 20 {
		out = append(out, order{"north", 15025, true, true})
	}
	for i := range 20 {
		out = append(out, order{"south", 9950, i != 7, true})
	}
	for range 5 {
		out = append(out, order{"south", 40000, true, false})
	}
	return out
}

// budgets are the monthly revenue targets in shop.budgets, in cents.
var budgets = map[string]int64{"north": 1000000, "south": 800000}

// tickets are shop.tickets: priority → open and closed counts.
var tickets = map[string][2]int{"high": {4, 2}, "low": {7, 10}}

// customers are crm.customers: segment → active and inactive counts.
var customers = map[string][2]int{"smb": {120, 30}, "enterprise": {90, 5}}

// stockCounts are warehouse stock_counts: site → counted, matched.
var stockCounts = map[string][2]int{"berlin": {200, 199}, "lyon": {100, 100}}

// breachNorth is how many of north's orders the breach marks unfilled:
// 10 of 20 takes its fill rate to 0.5, below critical (0.8).
const breachNorth = 10

// expectedFillRate is fill_rate by region after unfilledNorth north orders
// were marked unfilled.
func expectedFillRate(unfilledNorth int) map[string]float64 {
	total, filled := map[string]int{}, map[string]int{}
	n := 0
	for _, o := range shopOrders() {
		total[o.region]++
		f := o.filled
		if o.region == "north" {
			if n < unfilledNorth {
				f = false
			}
			n++
		}
		if f {
			filled[o.region]++
		}
	}
	out := map[string]float64{}
	for r, t := range total {
		out[r] = float64(filled[r]) / float64(t)
	}
	return out
}

func expectedRevenueMTD() map[string]float64 {
	cents := map[string]int64{}
	for _, o := range shopOrders() {
		if o.thisMonth {
			cents[o.region] += o.cents
		}
	}
	out := map[string]float64{}
	for r, c := range cents {
		out[r] = float64(c) / 100
	}
	return out
}

func expectedBudgets() map[string]float64 {
	out := map[string]float64{}
	for r, c := range budgets {
		out[r] = float64(c) / 100
	}
	return out
}

func expectedOpenTickets() map[string]float64 {
	out := map[string]float64{}
	for p, n := range tickets {
		out[p] = float64(n[0])
	}
	return out
}

func expectedActiveCustomers() map[string]float64 {
	out := map[string]float64{}
	for s, n := range customers {
		out[s] = float64(n[0])
	}
	return out
}

func expectedStockAccuracy() map[string]float64 {
	out := map[string]float64{}
	for s, n := range stockCounts {
		out[s] = float64(n[1]) / float64(n[0])
	}
	return out
}

// loadShop creates the shop database on a MariaDB server, fills it, and
// creates kpi_reader, who may only SELECT.
func loadShop(t testing.TB, srv *testdb.Server) {
	t.Helper()
	srv.Exec(t, "", "CREATE DATABASE shop")
	stmts := []string{
		`CREATE TABLE orders (
			id INT PRIMARY KEY AUTO_INCREMENT,
			region VARCHAR(16) NOT NULL,
			amount DECIMAL(10,2) NOT NULL,
			filled TINYINT NOT NULL,
			created_at DATETIME NOT NULL)`,
		`CREATE TABLE budgets (region VARCHAR(16) PRIMARY KEY, monthly_budget DECIMAL(12,2) NOT NULL)`,
		`CREATE TABLE tickets (id INT PRIMARY KEY AUTO_INCREMENT, priority VARCHAR(8) NOT NULL, status VARCHAR(8) NOT NULL)`,
	}
	for _, o := range shopOrders() {
		when := "UTC_TIMESTAMP()"
		if !o.thisMonth {
			when = "UTC_TIMESTAMP() - INTERVAL 45 DAY"
		}
		stmts = append(stmts, fmt.Sprintf("INSERT INTO orders (region, amount, filled, created_at) VALUES ('%s', %d.%02d, %d, %s)",
			o.region, o.cents/100, o.cents%100, b2i(o.filled), when))
	}
	for r, c := range budgets {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO budgets VALUES ('%s', %d.%02d)", r, c/100, c%100))
	}
	for p, n := range tickets {
		for range n[0] {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO tickets (priority, status) VALUES ('%s', 'open')", p))
		}
		for range n[1] {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO tickets (priority, status) VALUES ('%s', 'closed')", p))
		}
	}
	srv.Exec(t, "shop", stmts...)
	srv.CreateUser(t, "kpi_reader", dbPassword, "shop", "SELECT")
}

// loadCRM creates the crm database on a second MariaDB server, fills it,
// and creates kpi_reader, who may only SELECT.
func loadCRM(t testing.TB, srv *testdb.Server) {
	t.Helper()
	srv.Exec(t, "", "CREATE DATABASE crm")
	stmts := []string{`CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, segment VARCHAR(16) NOT NULL, active TINYINT NOT NULL)`}
	for seg, n := range customers {
		for i := range n[0] + n[1] {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO customers (segment, active) VALUES ('%s', %d)", seg, b2i(i < n[0])))
		}
	}
	srv.Exec(t, "crm", stmts...)
	srv.CreateUser(t, "kpi_reader", dbPassword, "crm", "SELECT")
}

// setNorthUnfilled marks the first n north orders unfilled and the rest
// filled, in one statement, and returns when the change is committed. North's
// orders are inserted first, so they hold ids 1 to 20.
func setNorthUnfilled(t testing.TB, srv *testdb.Server, n int) {
	t.Helper()
	srv.Exec(t, "shop", fmt.Sprintf("UPDATE orders SET filled = IF(id <= %d, 0, 1) WHERE region = 'north'", n))
}

// createWarehouse writes the SQLite warehouse database and returns its path.
func createWarehouse(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "warehouse.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE stock_counts (site TEXT NOT NULL, counted INTEGER NOT NULL, matched INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for s, n := range stockCounts {
		if _, err := db.Exec(`INSERT INTO stock_counts VALUES (?, ?, ?)`, s, n[0], n[1]); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// The stock_accuracy SQL before and after the reload: the same numbers, a
// different definition.
const (
	stockSQL        = "SELECT site, CAST(SUM(matched) AS REAL) / SUM(counted) AS accuracy FROM stock_counts GROUP BY site"
	stockSQLChanged = "SELECT site, CAST(SUM(matched) AS REAL) / SUM(counted) AS accuracy FROM stock_counts WHERE counted > 0 GROUP BY site"
)

// writeCatalog renders testdata/catalog.yml to path.
func writeCatalog(t testing.TB, path, shopAddr, crmAddr, warehouseDB, stock string) {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "catalog.yml"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.NewReplacer("@SHOP_ADDR@", shopAddr, "@CRM_ADDR@", crmAddr, "@WAREHOUSE_DB@", warehouseDB, "@STOCK_SQL@", stock).Replace(string(tmpl))
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
