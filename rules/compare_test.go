package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPromtoolEvaluatesTheChangeRatios runs the generated recording rules of
// a KPI with comparisons under promtool: 120 against 100 the previous period
// is a change of +0.2, 90 against 120 the previous year -0.25, and an
// earlier value of 0 gives no ratio.
func TestPromtoolEvaluatesTheChangeRatios(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	dir := writeGenerated(t, "testdata/retail.yml", Options{})
	test := `rule_files: [../team-stores.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'kpi_daily_sales_usd{store="north",env="prod"}', values: '120x5'}
      - {series: 'kpi_daily_sales_previous_period_usd{store="north",env="prod"}', values: '100x5'}
      - {series: 'kpi_daily_sales_previous_year_usd{store="north",env="prod"}', values: '160x5'}
      - {series: 'kpi_daily_sales_usd{store="south",env="prod"}', values: '90x5'}
      - {series: 'kpi_daily_sales_previous_period_usd{store="south",env="prod"}', values: '0x5'}
      - {series: 'kpi_daily_sales_previous_year_usd{store="south",env="prod"}', values: '120x5'}
    promql_expr_test:
      - expr: kpi:kpi_daily_sales_usd:change_vs_previous_period_ratio
        eval_time: 2m
        exp_samples:
          - {labels: 'kpi:kpi_daily_sales_usd:change_vs_previous_period_ratio{kpi="daily_sales",team="stores",owner="ann@retail.example.com",store="north",env="prod"}', value: 0.2}
      - expr: kpi:kpi_daily_sales_usd:change_vs_previous_year_ratio
        eval_time: 2m
        exp_samples:
          - {labels: 'kpi:kpi_daily_sales_usd:change_vs_previous_year_ratio{kpi="daily_sales",team="stores",owner="ann@retail.example.com",store="north",env="prod"}', value: -0.25}
          - {labels: 'kpi:kpi_daily_sales_usd:change_vs_previous_year_ratio{kpi="daily_sales",team="stores",owner="ann@retail.example.com",store="south",env="prod"}', value: -0.25}
`
	testDir := filepath.Join(dir, "rules", "tests")
	if err := os.WriteFile(filepath.Join(testDir, "compare.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "compare.yml")
	cmd.Dir = testDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
