package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// sqliteLedger makes a real SQLite ledger that books amer 2 more than the
// shop's orders and emea the same.
func sqliteLedger(t *testing.T) string {
	t.Helper()
	return testdb.SQLiteFile(t, filepath.Join(t.TempDir(), "ledger.db"),
		"CREATE TABLE ledger (area TEXT, booked REAL)",
		"INSERT INTO ledger VALUES ('emea', 15), ('amer', 9), ('apac', 4)")
}

func TestCheckShowsTheControlBesideTheKPI(t *testing.T) {
	shop, ledger := sqliteShop(t), sqliteLedger(t)
	withLedger := func(control string) string {
		return strings.Replace(shopCatalog("sqlite", shop, revenueKPI+control), "teams:", "  ledger:\n    driver: sqlite\n    dsn: \""+ledger+"\"\nteams:", 1)
	}
	for _, tc := range []struct {
		name     string
		control  string
		wantCode int
		want     []string
	}{
		{
			name: "a drift beyond the tolerance is flagged beside the values, as a warning",
			control: `    control:
      source: ledger
      sql: SELECT area AS region, SUM(booked) AS booked FROM ledger GROUP BY area
      value: booked
      tolerance: {absolute: 1}
`,
			wantCode: exitOK,
			want: []string{
				"Controls:\n",
				"KPI      CONTROL SOURCE  LABELS       VALUE  CONTROL  DIFFERENCE  TOLERANCE  RECONCILED\n",
				"revenue  ledger          region=amer  7      9        -2          ±1 EUR     OUT OF TOLERANCE\n",
				"revenue  ledger          region=emea  15     15       0           ±1 EUR     ok\n",
				"revenue  ledger          region=apac  -      4        -           ±1 EUR     only in control\n",
				"revenue: control: 1 of 2 label sets differ from the control by more than ±1 EUR (see Controls)",
				"revenue: control: 1 label sets are returned by only one of the KPI and its control",
				"check OK",
			},
		},
		{
			name: "within a relative tolerance the sources agree",
			control: `    control:
      source: ledger
      sql: SELECT area AS region, SUM(booked) AS booked FROM ledger WHERE area <> 'apac' GROUP BY area
      value: booked
      tolerance: {relative: 0.25}
`,
			wantCode: exitOK,
			want:     []string{"region=amer  7      9        -2          ±25% of the control  ok\n", "check OK"},
		},
		{
			name: "a control without the KPI's label column fails the check",
			control: `    control:
      source: ledger
      sql: SELECT area, SUM(booked) AS booked FROM ledger GROUP BY area
      value: booked
      tolerance: {absolute: 1}
`,
			wantCode: exitFailure,
			want:     []string{`revenue: control: label column "region" is not in the result (columns: area, booked)`, "check FAILED"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := writeFile(t, t.TempDir(), "catalog.yml", withLedger(tc.control))
			code, out, errOut := execCLI(t, "check", "--config.file="+cat)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}
