package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kpi-exporter/kpi_exporter/governance"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// execCLI runs kpi_exporter with args and returns its exit code and output.
func execCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sqliteShop makes a real SQLite database with one table of orders.
func sqliteShop(t *testing.T) string {
	t.Helper()
	return testdb.SQLiteFile(t, filepath.Join(t.TempDir(), "shop.db"),
		"CREATE TABLE orders (region TEXT, amount REAL)",
		"INSERT INTO orders VALUES ('emea', 10), ('emea', 5), ('amer', 7), ('apac', NULL)")
}

func countOrders(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// shopCatalog is a catalog on source "shop" with the given KPI lines.
func shopCatalog(driver, dsn, kpis string) string {
	return "sources:\n  shop:\n    driver: " + driver + "\n    dsn: \"" + dsn + "\"\n" +
		"teams:\n  sales:\n    notify:\n      email:\n        - to: sales@example.com\n" +
		"alerting: {smtp: {smarthost: smtp.example.com:587, from: kpi@example.com}}\n" +
		"kpis:\n" + kpis
}

const revenueKPI = `  - name: revenue
    help: Revenue by region.
    unit: currency
    currency: EUR
    owner: anna@example.com
    team: sales
    source: shop
    sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region
    labels: [region]
    value: revenue
    direction: higher
    target: 12
`

// exampleCopy copies config.example.yaml into a directory of its own, where
// its demo database is created (beside the catalog file), and returns it.
func exampleCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "config.example.yaml", string(data))
}

func TestCheckPassesOnTheExample(t *testing.T) {
	example := exampleCopy(t)
	code, out, errOut := execCLI(t, "check", "--config.file="+example)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "check OK: 11 KPIs") {
		t.Errorf("no OK verdict:\n%s", out)
	}
	for _, k := range []string{"revenue_mtd", "churn_rate", "open_tickets"} {
		if !strings.Contains(out, "\n"+k+" ") {
			t.Errorf("table has no row for %s", k)
		}
	}
}

func TestCheckFailsWithAClearReason(t *testing.T) {
	shop := sqliteShop(t)
	for _, tc := range []struct {
		name     string
		kpis     string
		wantCode int
		want     []string // in stdout or stderr
	}{
		{
			name:     "a write statement is refused at load and never run",
			kpis:     strings.Replace(revenueKPI, "sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region", "sql: DELETE FROM orders", 1),
			wantCode: exitLint,
			want:     []string{"kpis[0].sql: line 1 of the SQL: the statement starts with DELETE"},
		},
		{
			name:     "a missing owner is a lint error",
			kpis:     strings.Replace(revenueKPI, "    owner: anna@example.com\n", "", 1),
			wantCode: exitLint,
			want:     []string{"kpis[0].owner: owner is required", "[owner-missing]"},
		},
		{
			name:     "inverted thresholds are the loader's error, with file and line",
			kpis:     revenueKPI + "    thresholds:\n      warning: 5\n      critical: 8\n",
			wantCode: exitLint,
			want:     []string{"catalog.yml:26: kpis[0].thresholds.critical: critical 8 must be below warning 5 when higher is better"},
		},
		{
			name:     "a label column the query does not return",
			kpis:     strings.Replace(revenueKPI, "labels: [region]", "labels: [store]", 1),
			wantCode: exitFailure,
			want:     []string{`revenue: label column "store" is not in the result (columns: region, revenue)`, "FAIL"},
		},
		{
			name:     "a value column the query does not return",
			kpis:     strings.Replace(revenueKPI, "value: revenue", "value: amount", 1),
			wantCode: exitFailure,
			want:     []string{`revenue: value column "amount" is not in the result (columns: region, revenue)`},
		},
		{
			name:     "a query the database rejects",
			kpis:     strings.Replace(revenueKPI, "FROM orders", "FROM no_such_table", 1),
			wantCode: exitFailure,
			want:     []string{"revenue: query failed:", "no_such_table"},
		},
		{
			name:     "duplicate label sets are counted and fail",
			kpis:     strings.Replace(revenueKPI, "SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region", "SELECT region, amount AS revenue FROM orders WHERE amount IS NOT NULL", 1),
			wantCode: exitFailure,
			want:     []string{"1 rows repeat an earlier label set"},
		},
		{
			name:     "rows over max_series fail",
			kpis:     revenueKPI + "    max_series: 1\n",
			wantCode: exitFailure,
			want:     []string{"1 rows over max_series 1 were dropped"},
		},
		{
			name:     "NULL values only warn",
			kpis:     revenueKPI,
			wantCode: exitOK,
			want:     []string{"revenue: 1 rows have a NULL value and are skipped", "region=amer 7 / 12; region=emea 15 / 12", "check OK"},
		},
		{
			name:     "values are judged against their thresholds as on the landing page, without failing the check",
			kpis:     revenueKPI + "    thresholds:\n      warning: 10\n      critical: 8\n",
			wantCode: exitOK,
			want:     []string{" STATUS\n", " critical (1 of 2)\n", "check OK"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", shop, tc.kpis))
			code, out, errOut := execCLI(t, "check", "--config.file="+cat)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			all := out + errOut
			for _, w := range tc.want {
				if !strings.Contains(all, strings.ReplaceAll(w, "catalog.yml", cat)) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
		})
	}
	if n := countOrders(t, shop); n != 4 {
		t.Fatalf("orders has %d rows after the checks, want 4: a check wrote", n)
	}
}

func TestCheckJSON(t *testing.T) {
	shop := sqliteShop(t)
	cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", shop, revenueKPI))
	code, out, errOut := execCLI(t, "check", "--config.file="+cat, "--output=json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r governance.CheckReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(r.KPIs) != 1 {
		t.Fatalf("%d KPIs in the report", len(r.KPIs))
	}
	k := r.KPIs[0]
	if k.KPI != "revenue" || k.Source != "shop" || k.Rows != 3 || k.Exported != 2 || k.Nulls != 1 || k.MaxSeries != 10000 {
		t.Errorf("report = %+v", k)
	}
	if len(k.Samples) != 2 || k.Samples[0].Labels["region"] == "" || k.Samples[0].Target == nil || *k.Samples[0].Target != 12 {
		t.Errorf("samples = %+v", k.Samples)
	}
}

func TestCheckWithoutQueriesOnlyLints(t *testing.T) {
	cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", filepath.Join(t.TempDir(), "absent.db"), revenueKPI))
	code, out, errOut := execCLI(t, "check", "--config.file="+cat, "--no-queries")
	if code != exitOK || !strings.Contains(out, "check OK: 1 KPIs") || !regexp.MustCompile(`(?m)^revenue +shop .* not run +-$`).MatchString(out) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = execCLI(t, "check", "--config.file="+cat, "--no-queries", "--output=json")
	if code != exitOK || !strings.Contains(out, `"kpi": "revenue"`) || !strings.Contains(out, `"not_run": true`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
}

// The same live checks against real MariaDB and PostgreSQL servers, logging
// in with a password the output must never show.
func TestCheckLiveEngines(t *testing.T) {
	const password = "Pw-7f3c9e1a-never-print"
	for _, tc := range []struct {
		name   string
		start  func(testing.TB) *testdb.Server
		driver string
	}{
		{"mariadb", testdb.StartMariaDB, "mysql"},
		{"postgres", testdb.StartPostgres, "postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			db := srv.CreateDatabase(t, "shop")
			srv.Exec(t, db,
				"CREATE TABLE orders (region VARCHAR(10), amount DECIMAL(10,2))",
				"INSERT INTO orders VALUES ('emea', 10), ('emea', 5.5), ('amer', 7)")
			srv.CreateUser(t, "kpi", password, db, "SELECT")
			t.Setenv("KPI_CHECK_TEST_PASSWORD", password)
			dsn := strings.Replace(srv.UserDSN("kpi", password, db), password, "${KPI_CHECK_TEST_PASSWORD}", 1)

			dir := t.TempDir()
			good := writeFile(t, dir, "good.yml", shopCatalog(tc.driver, dsn, revenueKPI))
			code, out, errOut := execCLI(t, "check", "--config.file="+good)
			if code != exitOK || !strings.Contains(out, "region=emea 15.5 / 12") {
				t.Errorf("good catalog: exit %d\n%s%s", code, out, errOut)
			}
			badLabel := writeFile(t, dir, "bad.yml", shopCatalog(tc.driver, dsn, strings.Replace(revenueKPI, "labels: [region]", "labels: [store]", 1)))
			code, out, errOut = execCLI(t, "check", "--config.file="+badLabel)
			if code != exitFailure || !strings.Contains(out, `label column "store" is not in the result`) {
				t.Errorf("missing label column: exit %d\n%s%s", code, out, errOut)
			}
			for _, s := range []string{out, errOut} {
				if strings.Contains(s, password) {
					t.Fatalf("output shows the password:\n%s", s)
				}
			}
		})
	}
}

// A password written into a DSN is a lint error, and neither that finding nor
// the connection error shows it.
func TestCheckNeverPrintsALiteralPassword(t *testing.T) {
	const password = "Lit-2b8d4f6e-secret"
	for _, dsn := range []string{
		"postgres://kpi:" + password + "@127.0.0.1:1/shop?sslmode=disable&connect_timeout=2",
		"kpi:" + password + "@tcp(127.0.0.1:1)/shop?timeout=2s",
	} {
		driver := "postgres"
		if !strings.HasPrefix(dsn, "postgres") {
			driver = "mysql"
		}
		cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog(driver, dsn, revenueKPI))
		for _, output := range []string{"table", "json"} {
			code, out, errOut := execCLI(t, "check", "--config.file="+cat, "--output="+output)
			if code != exitLint || !strings.Contains(out, "dsn-literal-password") {
				t.Errorf("%s: exit %d, want %d with a dsn-literal-password finding\n%s", driver, code, exitLint, out)
			}
			if !strings.Contains(out, "query failed") {
				t.Errorf("%s: the unreachable source was not reported:\n%s", driver, out)
			}
			if strings.Contains(out+errOut, password) {
				t.Fatalf("%s %s output shows the password:\n%s%s", driver, output, out, errOut)
			}
		}
	}
}

// openPTY opens a pseudo-terminal pair, so the progress line can be tested
// against a real terminal device.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestCheckShowsProgressOnlyOnATerminal(t *testing.T) {
	shop := sqliteShop(t)
	cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", shop, revenueKPI))

	master, tty := openPTY(t)
	read := make(chan string)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the terminal side closes
		read <- string(b)
	}()
	var stdout bytes.Buffer
	code := run(context.Background(), []string{"check", "--config.file=" + cat}, &stdout, tty)
	tty.Close()
	progress := <-read
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stdout.String())
	}
	if !strings.Contains(progress, "[1/1] running revenue on shop") || !strings.HasSuffix(progress, "\r\033[K") {
		t.Errorf("terminal got %q, want the progress line, then the line cleared", progress)
	}

	_, _, errOut := execCLI(t, "check", "--config.file="+cat)
	if errOut != "" {
		t.Errorf("progress written to a non-terminal: %q", errOut)
	}
}
