package e2e

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testValues: Prometheus holds the KPI values and targets the database
// holds, and the attainment and pacing recording rules equal what a person
// computes from the same rows.
func testValues(t *testing.T, x *suite) {
	cat := x.cat
	fill, rev, tix, cust, stock := cat.KPI("order_fill_rate"), cat.KPI("revenue_mtd"), cat.KPI("open_tickets"), cat.KPI("active_customers"), cat.KPI("stock_accuracy")
	fillRate, revenue, budget := expectedFillRate(0), expectedRevenueMTD(), expectedBudgets()
	open, active, accuracy := expectedOpenTickets(), expectedActiveCustomers(), expectedStockAccuracy()

	// First, the hand-computed numbers are the database's own: each KPI's
	// SQL, run directly, gives them.
	shop, crm := x.shop.Open(t, "shop"), x.crm.Open(t, "crm")
	wh, err := sql.Open("sqlite", x.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	for _, c := range []struct {
		db    *sql.DB
		query string
		label string
		value string
		want  map[string]float64
	}{
		{shop, fill.SQL, "region", fill.Value, fillRate},
		{shop, rev.SQL, "region", rev.Value, revenue},
		{shop, rev.Target.SQL, "region", rev.Target.Column, budget},
		{shop, tix.SQL, "priority", tix.Value, open},
		{crm, cust.SQL, "segment", cust.Value, active},
		{wh, stock.SQL, "site", stock.Value, accuracy},
	} {
		got, err := runSQL(c.db, c.query, c.label, c.value)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameValues(got, c.want, 1e-12); err != nil {
			t.Fatalf("the fixture's hand-computed numbers disagree with the database: %s: %v", c.query, err)
		}
	}

	checks := []struct {
		series string
		label  string
		want   map[string]float64
	}{
		{fill.MetricName(), "region", fillRate},
		{fill.TargetMetricName(), "region", constant(fillRate, 0.95)},
		{fill.KPIRecord(catalog.OpAttainment), "region", mapEach(fillRate, func(_ string, v float64) float64 { return v / 0.95 })},
		{rev.MetricName(), "region", revenue},
		{rev.TargetMetricName(), "region", budget},
		{rev.KPIRecord(catalog.OpAttainment), "region", mapEach(revenue, func(r string, v float64) float64 { return v / budget[r] })},
		{tix.MetricName(), "priority", open},
		{tix.TargetMetricName(), "priority", constant(open, 10)},
		// Lower is better: attainment is target over value, so above 1 is good.
		{tix.KPIRecord(catalog.OpAttainment), "priority", mapEach(open, func(_ string, v float64) float64 { return 10 / v })},
		{cust.MetricName(), "segment", active},
		{cust.TargetMetricName(), "segment", constant(active, 100)},
		{cust.KPIRecord(catalog.OpAttainment), "segment", mapEach(active, func(_ string, v float64) float64 { return v / 100 })},
		{stock.MetricName(), "site", accuracy},
		{stock.TargetMetricName(), "site", constant(accuracy, 0.98)},
		{stock.KPIRecord(catalog.OpAttainment), "site", mapEach(accuracy, func(_ string, v float64) float64 { return v / 0.98 })},
	}
	for _, c := range checks {
		eventually(t, 60*time.Second, "Prometheus has "+c.series+" equal to the database", func() error {
			v, err := x.prom.query(c.series)
			if err != nil {
				return err
			}
			got, err := byLabel(v, c.label)
			if err != nil {
				return err
			}
			return sameValues(got, c.want, 1e-9)
		})
	}

	// Pacing: month-to-date revenue against the share of the monthly budget
	// due at the moment the rule was evaluated. The rule computes the share
	// from the month's bounds the exporter serves and the evaluation time
	// itself, so it is exact at the rule's own timestamp: everything is read
	// at that one evaluation time.
	for _, op := range []string{catalog.OpExpectedToDate, catalog.OpPacing} {
		rec := rev.KPIRecord(op)
		eventually(t, 30*time.Second, "Prometheus has "+rec+" equal to the hand-computed pacing", func() error {
			ts, err := x.prom.query("timestamp(" + rec + ")")
			if err != nil {
				return err
			}
			if len(ts) == 0 {
				return fmt.Errorf("no %s yet", rec)
			}
			at := ts[0].Value
			v, err := x.prom.queryAt(rec, at)
			if err != nil {
				return err
			}
			got, err := byLabel(v, "region")
			if err != nil {
				return err
			}
			share := monthElapsed(time.UnixMilli(int64(math.Round(at * 1000))))
			want := map[string]float64{}
			for r, rv := range revenue {
				want[r] = budget[r] * share
				if op == catalog.OpPacing {
					want[r] = rv / want[r]
				}
			}
			return sameValues(got, want, 1e-9)
		})
	}
}

// monthElapsed is the share of the UTC calendar month elapsed at t.
func monthElapsed(t time.Time) float64 {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	return t.Sub(start).Seconds() / end.Sub(start).Seconds()
}

// runSQL runs query and returns the value column keyed by the label column.
func runSQL(db *sql.DB, query, label, value string) (map[string]float64, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var key string
		var v float64
		for i, c := range cols {
			switch c {
			case label:
				key = fmt.Sprint(asString(vals[i]))
			case value:
				if v, err = asFloat(vals[i]); err != nil {
					return nil, fmt.Errorf("%s: column %s: %w", query, c, err)
				}
			}
		}
		out[key] = v
	}
	return out, rows.Err()
}

func asString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

func asFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case []byte:
		return strconv.ParseFloat(string(x), 64)
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("unexpected %T %v", v, v)
}
