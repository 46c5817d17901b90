package demo

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/collector"
)

// simulatedNows are moments the demo is checked at, in increasing order: an
// ordinary afternoon, just after a week starts, just after a month starts,
// mid-month, and the last second of a month.
var simulatedNows = []time.Time{
	epoch,
	time.Date(2026, 11, 30, 0, 2, 30, 0, time.UTC), // Monday
	time.Date(2026, 12, 1, 0, 3, 10, 0, time.UTC),
	time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	time.Date(2026, 12, 16, 18, 31, 5, 0, time.UTC),
	time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
}

// atTime rewrites a KPI's SQL to run at now instead of the database's clock.
func atTime(query string, now time.Time) string {
	return strings.ReplaceAll(query, "'now'", fmt.Sprintf("%d, 'unixepoch'", now.Unix()))
}

// series is one row of a KPI's result: its label values and its value.
type series struct {
	labels string // label values joined by ","
	value  float64
}

// runKPI runs query and returns its rows, checking that it returns exactly
// the label columns and the value column, with no NULL.
func runKPI(t *testing.T, db *sql.DB, query string, args []any, labels []string, value string) []series {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, query)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(labels), value); !slices.Equal(cols, want) {
		t.Fatalf("columns = %v, want %v", cols, want)
	}
	var out []series
	for rows.Next() {
		vals := make([]sql.NullString, len(labels))
		var v sql.NullFloat64
		ptrs := make([]any, 0, len(cols))
		for i := range vals {
			ptrs = append(ptrs, &vals[i])
		}
		if err := rows.Scan(append(ptrs, &v)...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		var ls []string
		for i, l := range vals {
			if !l.Valid || l.String == "" {
				t.Fatalf("label %s is empty", labels[i])
			}
			ls = append(ls, l.String)
		}
		if !v.Valid {
			t.Fatalf("value of %v is NULL", ls)
		}
		out = append(out, series{labels: strings.Join(ls, ","), value: v.Float64})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// entities are the label values the demo fills, by label column.
func entities() map[string][]string {
	names := func(n int, name func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = name(i)
		}
		slices.Sort(out)
		return out
	}
	return map[string][]string{
		"region":   names(len(regions), func(i int) string { return regions[i].name }),
		"line":     names(len(lines), func(i int) string { return lines[i].name }),
		"plant":    names(len(plants), func(i int) string { return plants[i].name }),
		"priority": names(len(priorities), func(i int) string { return priorities[i].name }),
	}
}

// wantSeries are the label sets a KPI must report: every entity of its one
// label column. Channels are either sales or support channels.
func wantSeries(k *catalog.KPI) [][]string {
	if k.Labels[0] != "channel" {
		return [][]string{entities()[k.Labels[0]]}
	}
	var sales, support []string
	for _, c := range salesChannels {
		sales = append(sales, c.name)
	}
	for _, c := range supportChannels {
		support = append(support, c.name)
	}
	return [][]string{sales, support}
}

func labelValues(ss []series) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.labels)
	}
	slices.Sort(out)
	return out
}

// periodBounds returns the UTC period that holds now.
func periodBounds(p catalog.Period, now time.Time) (time.Time, time.Time) {
	y, m, d := now.Date()
	switch p {
	case catalog.PeriodDay:
		start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	case catalog.PeriodWeek:
		start := time.Date(y, m, d-(int(now.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 7)
	case catalog.PeriodMonth:
		start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	case catalog.PeriodQuarter:
		start := time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 3, 0)
	}
	return time.Time{}, time.Time{}
}

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("load config.example.yaml: %v", err)
	}
	return cat
}

// TestCatalogKPIsOnDemoData runs every KPI of config.example.yaml against
// the demo database at several simulated moments, and checks that each
// returns one series per entity and that at least one KPI is past its
// critical threshold at every moment. The database is topped up from moment
// to moment and must end equal to one created from scratch at full retention.
func TestCatalogKPIsOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a full-size demo database")
	}
	cat := loadCatalog(t)
	if len(cat.KPIs) < 8 {
		t.Fatalf("config.example.yaml has %d KPIs, want at least 8", len(cat.KPIs))
	}
	path := filepath.Join(t.TempDir(), "demo.db")
	for _, now := range simulatedNows {
		// Topping up equals creating from scratch (TestTopUpEqualsFromScratch).
		if err := Prepare(context.Background(), path, now); err != nil {
			t.Fatalf("Prepare at %s: %v", now, err)
		}
		db := openRead(t, path)
		t.Run(now.Format(time.RFC3339), func(t *testing.T) {
			var critical []string
			for _, k := range cat.KPIs {
				if k.Source != "demo" {
					t.Fatalf("kpi %s: source %q, want the demo", k.Name, k.Source)
				}
				w := collector.WindowOf(cat, k, now, "")
				q, args := collector.Bind(atTime(k.SQL, now), catalog.DriverSQLite, w)
				got := runKPI(t, db, q, args, k.Labels, k.Value)
				start, end := periodBounds(k.Period, now)
				if k.Period == catalog.PeriodNone || now.Sub(start) > time.Hour {
					if lv := labelValues(got); !slices.ContainsFunc(wantSeries(k), func(w []string) bool { return slices.Equal(w, lv) }) {
						t.Errorf("kpi %s: series %v, want one of %v", k.Name, lv, wantSeries(k))
					}
				}
				targets := map[string]float64{}
				if k.Target != nil && !k.Target.IsConstant() {
					q, args := collector.Bind(k.Target.SQL, catalog.DriverSQLite, w)
					for _, s := range runKPI(t, db, q, args, k.Labels, k.Target.Column) {
						targets[s.labels] = s.value
					}
					if lv := slices.Sorted(mapsKeys(targets)); !slices.Equal(lv, wantSeries(k)[0]) {
						t.Errorf("kpi %s: target series %v, want %v", k.Name, lv, wantSeries(k)[0])
					}
				}
				for _, s := range got {
					status := evaluate(k, s, targets, now, start, end)
					t.Logf("%-24s %-8s %14.4f %s", k.Name, s.labels, s.value, status)
					if status == "critical" {
						critical = append(critical, k.Name+"{"+s.labels+"}")
					}
				}
			}
			if len(critical) == 0 {
				t.Error("no KPI is past its critical threshold: the alerts have nothing to fire")
			}
		})
	}
	last := simulatedNows[len(simulatedNows)-1]
	if got, want := dump(t, path), dump(t, preparedWith(t, last, defaultRetention())); got != want {
		t.Errorf("database topped up from %s to %s differs from one created from scratch", simulatedNows[0], last)
	}
}

func mapsKeys(m map[string]float64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// evaluate returns "critical", "warning" or "ok" for one series. Thresholds
// given as a percentage apply to the target; the target of a period KPI is
// prorated to the elapsed part of the period, as a pacing alert would.
func evaluate(k *catalog.KPI, s series, targets map[string]float64, now, start, end time.Time) string {
	if k.Thresholds == nil {
		return "ok"
	}
	target, hasTarget := 0.0, k.Target != nil
	if hasTarget {
		target = k.Target.Value
		if !k.Target.IsConstant() {
			target, hasTarget = targets[s.labels]
		}
	}
	if hasTarget && k.Period != catalog.PeriodNone {
		target *= now.Sub(start).Seconds() / end.Sub(start).Seconds()
	}
	breached := func(th *catalog.Threshold) bool {
		if th == nil || (th.OfTarget && !hasTarget) {
			return false
		}
		level := th.Value
		if th.OfTarget {
			level = th.Ratio() * target
		}
		if k.Direction == catalog.LowerIsBetter {
			return s.value > level
		}
		return s.value < level
	}
	switch {
	case breached(k.Thresholds.Critical):
		return "critical"
	case breached(k.Thresholds.Warning):
		return "warning"
	}
	return "ok"
}
