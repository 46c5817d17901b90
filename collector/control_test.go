package collector

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// controlRunsOf is how often the control of a KPI ran.
func controlRunsOf(c *Collector, name string) uint64 {
	for _, r := range c.view.Load().controls {
		if r.k.Name == name {
			return r.snapshot().runs
		}
	}
	return 0
}

// sampleOf returns the value of the series of metric with the label
// region=region, and whether it is there.
func sampleOf(samples map[string]*model.Sample, metric, region string) (float64, bool) {
	for _, s := range samples {
		if string(s.Metric[model.MetricNameLabel]) == metric && string(s.Metric["region"]) == region {
			return float64(s.Value), true
		}
	}
	return 0, false
}

const controlCatalog = `
sources:
  shop: {driver: mysql, dsn: %q}
  ledger: {driver: postgres, dsn: %q}
kpis:
  - name: revenue
    help: Revenue by region.
    unit: currency
    currency: EUR
    team: sales
    owner: ana@example.com
    source: shop
    sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region
    labels: [region]
    value: revenue
    control:
      source: ledger
      sql: SELECT SUM(amount) AS booked, region FROM ledger GROUP BY region
      value: booked
      interval: 2m
      tolerance: {absolute: 1}
`

// TestControlAgainstRealEngines reconciles a KPI on MariaDB with its
// control on PostgreSQL: first the two agree, then a row changes in the
// ledger only and the difference shows the drift.
func TestControlAgainstRealEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts database servers")
	}
	shop, ledger := testdb.StartMariaDB(t), testdb.StartPostgres(t)
	shopDB, ledgerDB := shop.CreateDatabase(t, "shop"), ledger.CreateDatabase(t, "ledger")
	shop.Exec(t, shopDB, "CREATE TABLE orders (region VARCHAR(20), amount DECIMAL(12,2))",
		"INSERT INTO orders VALUES ('north', 100.50), ('north', 20), ('south', 300)")
	ledger.Exec(t, ledgerDB, "CREATE TABLE ledger (region TEXT, amount NUMERIC(12,2))",
		"INSERT INTO ledger VALUES ('north', 120.50), ('south', 300)")

	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(controlCatalog, shop.DSN(shopDB), ledger.DSN(ledgerDB)))
	k := c.Catalog().KPI("revenue")
	value, control, diff := k.MetricName(), k.ControlMetricName(), k.ControlDifferenceMetricName()
	waitFor(t, "the KPI's and the control's first runs", func() bool {
		return runsOf(c, "revenue") == 1 && controlRunsOf(c, "revenue") == 1
	})

	t.Run("sources that agree export the control value and a zero difference", func(t *testing.T) {
		body, _ := scrape(t, c.Handler())
		samples := parseText(t, []byte(body))
		for _, want := range []struct {
			metric, region string
			value          float64
		}{
			{value, "north", 120.5}, {control, "north", 120.5}, {diff, "north", 0},
			{value, "south", 300}, {control, "south", 300}, {diff, "south", 0},
			{catalog.SelfControlUp, "", 1},
		} {
			got, ok := sampleOf(samples, want.metric, want.region)
			if want.region == "" {
				got, ok = selfSample(samples, want.metric, "revenue")
			}
			if !ok || got != want.value {
				t.Errorf("%s{region=%q} = %v (exported: %v), want %v\n%s", want.metric, want.region, got, ok, want.value, body)
			}
		}
	})

	t.Run("a row changed in the ledger only shows as the difference", func(t *testing.T) {
		ledger.Exec(t, ledgerDB, "UPDATE ledger SET amount = 250 WHERE region = 'south'")
		clock.Advance(2*time.Minute + maxStartJitter)
		waitFor(t, "the control's second run", func() bool { return controlRunsOf(c, "revenue") >= 2 })
		body, _ := scrape(t, c.Handler())
		samples := parseText(t, []byte(body))
		if got, _ := sampleOf(samples, control, "south"); got != 250 {
			t.Errorf("control south = %v, want 250", got)
		}
		if got, _ := sampleOf(samples, diff, "south"); got != 50 {
			t.Errorf("difference south = %v, want 300 - 250 = 50", got)
		}
		if got, _ := sampleOf(samples, diff, "north"); got != 0 {
			t.Errorf("difference north = %v, want 0", got)
		}
		cmd := exec.Command(testdb.RequireBinary(t, "promtool", "prometheus"), "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
}

// selfSample returns the value of a self-metric of a KPI.
func selfSample(samples map[string]*model.Sample, metric, kpi string) (float64, bool) {
	key := model.Metric{model.MetricNameLabel: model.LabelValue(metric), catalog.LabelKPI: model.LabelValue(kpi)}.String()
	s, ok := samples[key]
	if !ok {
		return 0, false
	}
	return float64(s.Value), true
}

func TestControlFailures(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10), ('south', 20)",
		"CREATE TABLE ledger (area TEXT, amount REAL)", "INSERT INTO ledger VALUES ('north', 10), ('south', 20)")
	yaml := fmt.Sprintf(strings.Replace(schedCatalog, "    target: 100\n", `    target: 100
    control:
      sql: SELECT area, SUM(amount) AS value FROM ledger GROUP BY area
      value: value
      tolerance: {relative: 0.01}
`, 1), path)
	clock := newFakeClock()
	c := startCollector(t, clock, yaml)
	waitFor(t, "the control's first run", func() bool { return controlRunsOf(c, "revenue") == 1 })
	body, _ := scrape(t, c.Handler())
	samples := parseText(t, []byte(body))

	t.Run("a control without the KPI's label column fails as a query error and exports nothing", func(t *testing.T) {
		if got, _ := selfSample(samples, catalog.SelfControlUp, "revenue"); got != 0 {
			t.Errorf("%s = %v, want 0", catalog.SelfControlUp, got)
		}
		key := model.Metric{model.MetricNameLabel: catalog.SelfControlErrors, catalog.LabelKPI: "revenue", catalog.LabelReason: catalog.ReasonQuery}.String()
		if s := samples[key]; s == nil || s.Value != 1 {
			t.Errorf("%s = %v, want 1", key, s)
		}
		if strings.Contains(body, "kpi_revenue_control") {
			t.Errorf("a failed control exported series:\n%s", body)
		}
	})
	t.Run("the KPI itself is unaffected", func(t *testing.T) {
		if got, _ := selfSample(samples, catalog.SelfKPIUp, "revenue"); got != 1 {
			t.Errorf("%s = %v, want 1", catalog.SelfKPIUp, got)
		}
		if got, _ := sampleOf(samples, "kpi_revenue_eur", "north"); got != 10 {
			t.Errorf("kpi_revenue_eur{region=north} = %v, want 10", got)
		}
	})
}

func TestControlReload(t *testing.T) {
	path := sqliteFile(t, "CREATE TABLE sales (region TEXT, amount REAL)", "INSERT INTO sales VALUES ('north', 10), ('south', 20)",
		"CREATE TABLE ledger (region TEXT, amount REAL)", "INSERT INTO ledger VALUES ('north', 10), ('south', 25)")
	withControl := func(sql string) string {
		return fmt.Sprintf(strings.Replace(schedCatalog, "    target: 100\n", "    target: 100\n    control:\n      sql: "+sql+"\n      tolerance: {absolute: 1}\n", 1), path)
	}
	first := withControl("SELECT region, SUM(amount) AS revenue FROM ledger GROUP BY region")
	clock := newFakeClock()
	c := startCollector(t, clock, first)
	waitFor(t, "the control's first run", func() bool { return controlRunsOf(c, "revenue") == 1 })
	runner := func(name string) *runner {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.runners[name]
	}
	kpi, control := runner("revenue"), runner(controlKey(c.Catalog().KPI("revenue")))

	t.Run("a changed control restarts the control only, and its first page has differences", func(t *testing.T) {
		if err := c.Apply(context.Background(), loadCatalog(t, withControl("SELECT region, SUM(amount) - 5 AS revenue FROM ledger GROUP BY region"))); err != nil {
			t.Fatal(err)
		}
		if runner("revenue") != kpi {
			t.Error("the KPI restarted though only its control changed")
		}
		if runner(controlKey(c.Catalog().KPI("revenue"))) == control {
			t.Error("the control kept running its old SQL")
		}
		body, _ := scrape(t, c.Handler())
		samples := parseText(t, []byte(body))
		if got, _ := sampleOf(samples, "kpi_revenue_control_difference_eur", "south"); got != 0 {
			t.Errorf("difference south = %v, want 20 - (25 - 5) = 0\n%s", got, body)
		}
	})
	t.Run("a changed KPI restarts its control too", func(t *testing.T) {
		kpi, control = runner("revenue"), runner(controlKey(c.Catalog().KPI("revenue")))
		changed := strings.Replace(first, "SUM(amount) AS revenue FROM sales", "SUM(amount) + 0 AS revenue FROM sales", 1)
		if err := c.Apply(context.Background(), loadCatalog(t, changed)); err != nil {
			t.Fatal(err)
		}
		if runner("revenue") == kpi || runner(controlKey(c.Catalog().KPI("revenue"))) == control {
			t.Error("the KPI or its control kept its old runner")
		}
		body, _ := scrape(t, c.Handler())
		samples := parseText(t, []byte(body))
		if got, _ := sampleOf(samples, "kpi_revenue_control_difference_eur", "south"); got != -5 {
			t.Errorf("difference south = %v, want 20 - 25 = -5\n%s", got, body)
		}
	})
}
