package rules

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
)

// TestElapsedExpressionsMatchTheCalendar evaluates each period's PromQL with
// the real engine on dates that matter (leap days, month, quarter and year
// ends, week starts) and compares it with the calendar computed in Go.
func TestElapsedExpressionsMatchTheCalendar(t *testing.T) {
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1000, Timeout: time.Minute})
	empty := storage.QueryableFunc(func(_, _ int64) (storage.Querier, error) { return storage.NoopQuerier(), nil })
	dates := []string{
		"1970-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z",
		"2024-03-31T23:59:59Z", "2024-04-01T06:00:00Z", "2024-06-30T18:00:00Z", "2024-08-15T00:00:00Z",
		"2024-09-30T23:00:00Z", "2024-11-11T11:11:11Z", "2024-12-31T23:59:59Z", "2025-02-28T12:00:00Z",
		"2025-03-10T00:00:00Z", "2100-03-01T00:00:00Z", "2000-03-01T00:00:00Z", "2026-11-23T00:00:00Z",
	}
	for _, p := range periods {
		for _, d := range dates {
			ts, err := time.Parse(time.RFC3339, d)
			if err != nil {
				t.Fatal(err)
			}
			q, err := engine.NewInstantQuery(context.Background(), empty, nil, elapsedExpr(p), ts)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			res := q.Exec(context.Background())
			if res.Err != nil {
				t.Fatalf("%s at %s: %v", p, d, res.Err)
			}
			v, err := res.Vector()
			if err != nil || len(v) != 1 {
				t.Fatalf("%s at %s: want one sample, got %v (%v)", p, d, res.Value, err)
			}
			want := elapsedAt(p, ts)
			start := periodStart(p, ts)
			exact := float64(ts.Sub(start)) / float64(periodEnd(p, start).Sub(start))
			if v[0].F != want {
				t.Errorf("%s at %s: PromQL gives %v, the Go mirror %v", p, d, v[0].F, want)
			}
			if diff := want - exact; diff > 1e-12 || diff < -1e-12 {
				t.Errorf("%s at %s: elapsed %v, calendar says %v", p, d, want, exact)
			}
			q.Close()
		}
	}
}
