package governance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

const checkCatalog = `
alerting: {smtp: {smarthost: smtp.example.com:587, from: kpi@example.com}}
sources:
  db: {driver: sqlite, dsn: shop.db}
teams:
  sales: {notify: {email: [{to: s@example.com}]}}
kpis:
  - name: revenue
    help: h
    unit: count
    owner: o@example.com
    team: sales
    source: db
    sql: SELECT region, SUM(x) AS v FROM t GROUP BY region
    labels: [region]
    value: v
    direction: higher
    target: 10
    thresholds: {warning: "90%", critical: "50%"}
    max_series: 5
`

func checkCat(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Options{}.Parse("cat.yml", []byte(checkCatalog))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkKPI(t *testing.T) *catalog.KPI { return checkCat(t).KPI("revenue") }

func series(n int, withTarget bool) []DrySeries {
	out := make([]DrySeries, n)
	for i := range out {
		out[i] = DrySeries{Labels: []string{fmt.Sprintf("r%d", i)}, Value: float64(i), Target: 10, HasTarget: withTarget}
	}
	return out
}

func TestCheckKPI(t *testing.T) {
	k := checkKPI(t)
	for _, tc := range []struct {
		name         string
		res          *DryRun
		err          error
		wantProblems []string
		wantWarnings []string
	}{
		{
			name: "a clean run has no problem",
			res:  &DryRun{Columns: []string{"region", "v"}, Series: series(2, true), Rows: 2, Exported: 2},
		},
		{
			name:         "a missing label column is named beside the result's columns",
			res:          &DryRun{Columns: []string{"store", "v"}},
			err:          errors.New(`query: missing column "region"`),
			wantProblems: []string{`label column "region" is not in the result (columns: store, v)`},
		},
		{
			name:         "column names match ignoring case, as PostgreSQL folds them",
			res:          &DryRun{Columns: []string{"REGION", "V"}, Series: series(1, true), Rows: 1, Exported: 1},
			wantProblems: nil,
		},
		{
			name:         "a failed query is a problem",
			err:          errors.New("connection refused"),
			wantProblems: []string{"query failed: connection refused"},
		},
		{
			name:         "rows over max_series fail",
			res:          &DryRun{Columns: []string{"region", "v"}, Series: series(5, true), Rows: 7, Exported: 5, OverLimit: 2},
			wantProblems: []string{"2 rows over max_series 5 were dropped: raise max_series or aggregate in the SQL"},
		},
		{
			name:         "rows close to max_series warn",
			res:          &DryRun{Columns: []string{"region", "v"}, Series: series(5, true), Rows: 5, Exported: 5},
			wantWarnings: []string{"5 series, close to max_series 5"},
		},
		{
			name: "duplicates, non-numeric values and invalid labels fail; NULLs warn",
			res: &DryRun{Columns: []string{"region", "v"}, Series: series(1, true),
				Rows: 5, Exported: 1, Duplicates: 1, NonNumeric: 1, InvalidLabels: 1, Nulls: 1},
			wantProblems: []string{
				"1 rows repeat an earlier label set and were dropped: group by every label column",
				"1 rows have a value that is not a number",
				"1 rows have a label value that is not valid UTF-8",
			},
			wantWarnings: []string{"1 rows have a NULL value and are skipped"},
		},
		{
			name:         "no rows warns",
			res:          &DryRun{Columns: []string{"region", "v"}},
			wantWarnings: []string{"the query returned no rows: the KPI exports nothing"},
		},
		{
			name:         "a failed target query fails",
			res:          &DryRun{Columns: []string{"region", "v"}, Series: series(1, false), Rows: 1, Exported: 1, TargetErr: errors.New("no table budgets")},
			wantProblems: []string{"target query failed: no table budgets"},
		},
		{
			name:         "series without a target row warn",
			res:          &DryRun{Columns: []string{"region", "v"}, Series: series(2, false), Rows: 2, Exported: 2},
			wantWarnings: []string{"2 of 2 series have no target row"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := CheckKPI(k, tc.res, tc.err)
			if got, want := strings.Join(c.Problems, "\n"), strings.Join(tc.wantProblems, "\n"); got != want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, want)
			}
			if got, want := strings.Join(c.Warnings, "\n"), strings.Join(tc.wantWarnings, "\n"); got != want {
				t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
			}
			if c.OK() != (len(tc.wantProblems) == 0) {
				t.Errorf("OK() = %v", c.OK())
			}
		})
	}
}

func TestCheckTableGolden(t *testing.T) {
	cat := checkCat(t)
	k := cat.KPI("revenue")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	// Against their targets, with warning at 90% and critical at 50%:
	// emea 82% is warning, amer 91% and apac 120% ok, latam 30% critical.
	res := &DryRun{Columns: []string{"region", "v"}, Series: []DrySeries{
		{Labels: []string{"emea"}, Value: 1234567.891, Target: 1500000, HasTarget: true},
		{Labels: []string{"amer"}, Value: 0.04567, Target: 0.05, HasTarget: true},
		{Labels: []string{"apac"}, Value: 12, Target: 10, HasTarget: true},
		{Labels: []string{"latam"}, Value: 3, Target: 10, HasTarget: true},
	}, Rows: 4, Exported: 4, Duration: 12345 * time.Microsecond}
	ok := CheckKPI(k, res, nil)
	ok.Score(cat, k, res, nil, now)
	runErr := errors.New(`x: missing column "store"`)
	failed := CheckKPI(k, &DryRun{Columns: []string{"store", "v"}}, runErr)
	failed.Score(cat, k, nil, runErr, now)
	failed.KPI = "revenue_by_store"
	r := CheckReport{
		Files: []string{"cat.yml"},
		Lint:  []Finding{{File: "cat.yml", Line: 7, Path: "kpis[0].owner", KPI: "revenue", Severity: SeverityError, Rule: RuleOwnerMissing, Message: "no owner"}},
		KPIs:  []KPICheck{ok, failed},
	}
	if len(ok.Samples) != SampleCount {
		t.Errorf("%d samples, want %d", len(ok.Samples), SampleCount)
	}
	golden(t, "check/table.txt", CheckTable(r))
	if ok.Status != scorecard.StatusCritical || ok.StatusCount != 1 || failed.Status != scorecard.StatusUnknown {
		t.Errorf("statuses %s (%d series) and %s, want critical (1) and unknown", ok.Status, ok.StatusCount, failed.Status)
	}
	var samples []scorecard.Status
	for _, s := range ok.Samples {
		samples = append(samples, s.Status)
	}
	if fmt.Sprint(samples) != "[warning ok ok]" {
		t.Errorf("sample statuses %v, want [warning ok ok]", samples)
	}
	if !r.LintFailed() || !r.QueriesFailed() {
		t.Error("the report does not fail")
	}
}
