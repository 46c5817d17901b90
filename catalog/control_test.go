package catalog

import (
	"slices"
	"testing"
	"time"
)

func TestControlDefaults(t *testing.T) {
	c, err := parse(t, `
alerting: {scrape_interval: 30s}
sources:
  shop: {driver: mysql, dsn: "u@tcp(db:3306)/shop"}
  ledger: {driver: postgres, dsn: "postgres://u@db/ledger"}
kpis:
  - name: revenue
    unit: currency
    currency: EUR
    team: sales
    source: shop
    interval: 2m
    timeout: 30s
    sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region
    labels: [region]
    value: revenue
    control:
      sql: SELECT region, SUM(amount) AS revenue FROM order_log GROUP BY region
      tolerance: {relative: 0.01}
  - name: refunds
    unit: count
    team: sales
    source: shop
    sql: SELECT COUNT(*) AS n FROM refunds
    value: n
    control:
      source: ledger
      sql: SELECT COUNT(*) AS n FROM ledger WHERE kind = 'refund'
      interval: 10m
      tolerance: {absolute: 0}
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a control inherits the KPI's source, labels, value column, interval and timeout", func(t *testing.T) {
		k := c.KPI("revenue")
		ct := k.Control
		if ct.Source != "shop" || !slices.Equal(ct.Labels, k.Labels) || ct.Value != "revenue" || ct.Interval != k.Interval || ct.Timeout != k.Timeout {
			t.Errorf("control = %+v", *ct)
		}
		if q := k.ControlQuery(); q.Source != "shop" || q.SQL != ct.SQL || q.Target != nil || q.Control != nil || q.Name != k.Name {
			t.Errorf("control query = %+v", q)
		}
	})
	t.Run("for defaults to the slower interval and a scrape", func(t *testing.T) {
		if got, want := c.KPI("revenue").Control.For.D(), 2*time.Minute+30*time.Second; got != want {
			t.Errorf("for = %s, want %s", got, want)
		}
		if got, want := c.KPI("refunds").Control.For.D(), 10*time.Minute+30*time.Second; got != want {
			t.Errorf("for = %s, want %s", got, want)
		}
	})
	t.Run("a zero tolerance is allowed and read as exact", func(t *testing.T) {
		k := c.KPI("refunds")
		if k.ToleranceText() != "±0" || k.Control.Timeout != 10*Duration(time.Second) {
			t.Errorf("tolerance %q, timeout %s", k.ToleranceText(), k.Control.Timeout)
		}
	})
	t.Run("the control's series cannot collide with another KPI's", func(t *testing.T) {
		if names := c.KPI("revenue").controlMetricNames(); !slices.Equal(names, []string{"kpi_revenue_control_eur", "kpi_revenue_control_difference_eur"}) {
			t.Errorf("names = %v", names)
		}
	})
}
