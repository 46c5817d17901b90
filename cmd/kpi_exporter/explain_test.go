package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/governance"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// figuresKPI reads one row per booking, without grouping, so that its rows
// repeat label sets; max_series 3 cuts the last rows.
const figuresKPI = `  - name: bookings
    help: Bookings this month by region.
    unit: count
    owner: anna@example.com
    team: sales
    source: shop
    sql: |
      SELECT region, amount FROM figures
      WHERE booked_on >= :period_start_date AND booked_on < :period_end_date
      ORDER BY id
    labels: [region]
    value: amount
    period: month
    target: 100
    max_series: 3
`

// Issue 20: explain against real MariaDB and PostgreSQL servers shows the
// SQL as sent with its bound period parameters, each row as the database
// returned it, and what the conversion made of it: a series, or the reason
// it was skipped. The password of the DSN appears nowhere, not even where
// the data holds it.
func TestExplainLiveEngines(t *testing.T) {
	const password = "Pw-5d2e8a91-never-print"
	for _, tc := range []struct {
		name   string
		start  func(testing.TB) *testdb.Server
		driver string
		params string
	}{
		{"mariadb", testdb.StartMariaDB, "mysql", "booked_on >= ? AND booked_on < ?"},
		{"postgres", testdb.StartPostgres, "postgres", "booked_on >= $1 AND booked_on < $2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			db := srv.CreateDatabase(t, "shop")
			srv.Exec(t, db,
				"CREATE TABLE figures (id INT PRIMARY KEY, region VARCHAR(64), amount VARCHAR(20), booked_on DATE)",
				"INSERT INTO figures VALUES "+
					"(1, 'emea', '10.50', '2026-11-05'), (2, 'amer', NULL, '2026-11-05'), (3, 'emea', '3', '2026-11-06'), "+
					"(4, 'apac', 'n/a', '2026-11-07'), (5, 'latam', '7', '2026-11-08'), (6, 'nordics', '1', '2026-11-09'), "+
					"(7, '"+password+"', '2', '2026-11-10'), (8, 'emea', '99', '2026-10-31'), (9, 'amer', '4', '2026-11-30')")
			srv.CreateUser(t, "kpi", password, db, "SELECT")
			t.Setenv("KPI_EXPLAIN_TEST_PASSWORD", password)
			dsn := strings.Replace(srv.UserDSN("kpi", password, db), password, "${KPI_EXPLAIN_TEST_PASSWORD}", 1)
			cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog(tc.driver, dsn, figuresKPI))

			code, out, errOut := execCLI(t, "explain", "--config.file="+cat, "bookings", "--at=2026-11-20T12:00:00Z", "--rows=7")
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				tc.params,
				"1. :period_start_date = 2026-11-01",
				"2. :period_end_date = 2026-12-01",
				`series {region="emea"} = 10.5`,
				"skipped (null): the value is NULL",
				"skipped (duplicate): same labels as row 1",
				"skipped (type): the value is not a finite number",
				`series {region="latam"} = 7`,
				`series {region="nordics"} = 1`,
				"skipped (cardinality): beyond max_series 3",
				"... and 1 more rows",
				"8 rows: 3 exported as series; skipped: 1 NULL value, 1 not a number, 0 invalid label, 1 duplicate label set, 2 over max_series.",
				"Target: the constant 100 for every series.",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			// Each row is shown as the database returned it.
			for _, row := range []string{`(?m)^  1 +emea +10\.50 `, `(?m)^  2 +amer +NULL `, `(?m)^  4 +apac +n/a `, `(?m)^  7 +<redacted> +2 `} {
				if !regexp.MustCompile(row).MatchString(out) {
					t.Errorf("no row matches %s:\n%s", row, out)
				}
			}

			_, js, _ := execCLI(t, "explain", "--config.file="+cat, "bookings", "--at=2026-11-20T12:00:00Z", "--output=json")
			var e governance.Explanation
			if err := json.Unmarshal([]byte(js), &e); err != nil {
				t.Fatalf("%v\n%s", err, js)
			}
			var skipped []string
			for _, r := range e.Query.Rows {
				skipped = append(skipped, r.Skipped)
			}
			if got := strings.Join(skipped, ","); got != ",null,duplicate,type,,,cardinality,cardinality" {
				t.Errorf("json skipped reasons = %q", got)
			}
			if e.Nulls != 1 || e.Duplicates != 1 || e.NonNumeric != 1 || e.OverLimit != 2 || e.Exported != 3 {
				t.Errorf("json counts: %+v", e)
			}

			// A database the user cannot reach fails, and the error does
			// not name the password.
			missing := strings.Replace(dsn, "/"+db, "/"+db+"_missing", 1)
			bad := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog(tc.driver, missing, figuresKPI))
			code, badOut, badErr := execCLI(t, "explain", "--config.file="+bad, "bookings")
			if code != exitFailure || !strings.Contains(badOut, "The query failed") {
				t.Errorf("unreachable database: exit %d\n%s%s", code, badOut, badErr)
			}
			for _, s := range []string{out, errOut, js, badOut, badErr} {
				if strings.Contains(s, password) {
					t.Fatalf("output shows the password:\n%s", s)
				}
			}
		})
	}
}

// Target rows say which series they belong to, and a target row no series
// has is pointed out.
func TestExplainTargetRows(t *testing.T) {
	shop := sqliteShop(t)
	kpi := strings.Replace(revenueKPI, "    target: 12\n", "    target:\n      sql: SELECT 'emea' AS region, 20 AS target UNION ALL SELECT 'mars', 1 UNION ALL SELECT 'emea', 30\n", 1)
	cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", shop, kpi))
	code, out, errOut := execCLI(t, "explain", "--config.file="+cat, "revenue")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"skipped (null): the value is NULL", // apac's SUM of NULL
		`target 20 of series {region="emea"}`,
		"target 1, but no series has these labels",
		"skipped (duplicate): an earlier target row has the same labels",
		"3 target rows, 1 skipped.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainUsageErrors(t *testing.T) {
	cat := writeFile(t, t.TempDir(), "catalog.yml", shopCatalog("sqlite", sqliteShop(t), revenueKPI))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `the catalog has no KPI "nosuch" (KPIs: revenue)`},
		{[]string{"revenue", "--rows=0"}, "--rows must be between 1 and 1000"},
		{[]string{"revenue", "--at=yesterday"}, `--at: "yesterday" is not an RFC 3339 time`},
	} {
		code, _, errOut := execCLI(t, append([]string{"explain", "--config.file=" + cat}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, code, errOut)
		}
	}
}
