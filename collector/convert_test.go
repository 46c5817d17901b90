package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestValueConversion(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)
	cases := []struct {
		name string
		src  any
		want float64
		kind valueKind
	}{
		{"integer is converted", int64(42), 42, valueOK},
		{"float is converted", 2.5, 2.5, valueOK},
		{"decimal text is converted", []byte("1234.5600"), 1234.56, valueOK},
		{"decimal string is converted", "-0.125", -0.125, valueOK},
		{"decimal text with padding is converted", []byte(" 7.50 "), 7.5, valueOK},
		{"exponent text is converted", "1e3", 1000, valueOK},
		{"true is one", true, 1, valueOK},
		{"false is zero", false, 0, valueOK},
		{"text true is one", "true", 1, valueOK},
		{"timestamp is unix seconds", ts, float64(ts.Unix()) + 0.5, valueOK},
		{"unsigned integer is converted", uint64(1 << 40), 1 << 40, valueOK},
		{"NULL is null", nil, 0, valueNull},
		{"text is not a number", "north", 0, valueNotNumber},
		{"empty text is not a number", []byte(""), 0, valueNotNumber},
		{"NaN text is not a number", "NaN", 0, valueNotNumber},
		{"+Inf text is not a number", "+Inf", 0, valueNotNumber},
		{"-Inf text is not a number", []byte("-Inf"), 0, valueNotNumber},
		{"NaN float is not a number", math.NaN(), 0, valueNotNumber},
		{"infinite float is not a number", math.Inf(1), 0, valueNotNumber},
		{"unknown type is not a number", struct{}{}, 0, valueNotNumber},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h valueHolder
			if err := h.Scan(c.src); err != nil {
				t.Fatal(err)
			}
			if h.kind != c.kind {
				t.Fatalf("kind = %d, want %d", h.kind, c.kind)
			}
			if c.kind == valueOK && h.v != c.want {
				t.Fatalf("value = %v, want %v", h.v, c.want)
			}
		})
	}
}

func TestLabelConversion(t *testing.T) {
	cases := []struct {
		name    string
		src     any
		want    string
		invalid bool
	}{
		{"text is kept", []byte("north"), "north", false},
		{"string is kept", "süd", "süd", false},
		{"NULL is the empty label", nil, "", false},
		{"integer is formatted", int64(7), "7", false},
		{"float is formatted", 1.5, "1.5", false},
		{"bool is formatted", true, "true", false},
		{"timestamp is RFC 3339", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z", false},
		{"invalid UTF-8 bytes are invalid", []byte{0xff, 0xfe}, "", true},
		{"invalid UTF-8 string is invalid", "a\xc3", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h labelHolder
			if err := h.Scan(c.src); err != nil {
				t.Fatal(err)
			}
			if h.invalid != c.invalid {
				t.Fatalf("invalid = %v, want %v", h.invalid, c.invalid)
			}
			if !c.invalid && h.s != c.want {
				t.Fatalf("label = %q, want %q", h.s, c.want)
			}
		})
	}
}

func TestLabelFromDriverBufferIsCopied(t *testing.T) {
	var h labelHolder
	buf := []byte("north")
	_ = h.Scan(buf)
	copy(buf, "SOUTH")
	if h.s != "north" {
		t.Fatalf("label changed with the driver's buffer: %q", h.s)
	}
}

const rowsCatalog = `
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - name: k
    unit: count
    team: t
    source: db
    sql: %q
    labels: [region]
    value: v
    max_series: 3
`

// TestRowConversionThroughSQLite runs bad and good rows through the real
// SQLite driver and checks what is exported and what is counted.
func TestRowConversionThroughSQLite(t *testing.T) {
	path := sqliteFile(t)
	cases := []struct {
		name   string
		sql    string
		want   string // region=value pairs, in row order
		stats  Stats
		errSub string
	}{
		{name: "integers and floats are exported", sql: "SELECT 'n' AS region, 1 AS v UNION ALL SELECT 's', 2.5",
			want: "n=1 s=2.5", stats: Stats{Rows: 2, Exported: 2}},
		{name: "decimal strings are exported", sql: "SELECT 'n' AS region, '12.50' AS v",
			want: "n=12.5", stats: Stats{Rows: 1, Exported: 1}},
		{name: "NULL value is skipped and counted", sql: "SELECT 'n' AS region, NULL AS v UNION ALL SELECT 's', 1",
			want: "s=1", stats: Stats{Rows: 2, Exported: 1, Nulls: 1}},
		{name: "NULL label is the empty label", sql: "SELECT NULL AS region, 3 AS v",
			want: "=3", stats: Stats{Rows: 1, Exported: 1}},
		{name: "text value is skipped and counted", sql: "SELECT 'n' AS region, 'lots' AS v",
			want: "", stats: Stats{Rows: 1, NonNumeric: 1}},
		{name: "NaN and Inf strings are skipped and counted", sql: "SELECT 'n' AS region, 'NaN' AS v UNION ALL SELECT 's', '+Inf' UNION ALL SELECT 'e', '-Inf'",
			want: "", stats: Stats{Rows: 3, NonNumeric: 3}},
		{name: "duplicate label set keeps the first row", sql: "SELECT 'n' AS region, 1 AS v UNION ALL SELECT 'n', 2",
			want: "n=1", stats: Stats{Rows: 2, Exported: 1, Duplicates: 1}},
		{name: "rows over max_series are cut and counted", sql: "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 3 UNION ALL SELECT 'd', 4 UNION ALL SELECT 'e', 5",
			want: "a=1 b=2 c=3", stats: Stats{Rows: 5, Exported: 3, OverLimit: 2}},
		{name: "invalid UTF-8 label is skipped and counted", sql: "SELECT CAST(X'FF' AS TEXT) AS region, 1 AS v UNION ALL SELECT 'ok', 2",
			want: "ok=2", stats: Stats{Rows: 2, Exported: 1, InvalidLabels: 1}},
		{name: "empty result exports nothing", sql: "SELECT 'n' AS region, 1 AS v WHERE 0",
			want: "", stats: Stats{}},
		{name: "column names match ignoring case", sql: "SELECT 'n' AS REGION, 1 AS V",
			want: "n=1", stats: Stats{Rows: 1, Exported: 1}},
		{name: "missing value column is a query error", sql: "SELECT 'n' AS region, 1 AS value",
			errSub: `result has no column "v"`},
		{name: "missing label column is a query error", sql: "SELECT 1 AS v",
			errSub: `result has no column "region"`},
		{name: "SQL error is a query error", sql: "SELECT nope FROM nowhere",
			errSub: "no such table"},
	}
	for _, c := range cases {
		for _, via := range []string{"sqlite driver", "prepare-only driver"} {
			t.Run(c.name+"/"+via, func(t *testing.T) {
				cat := loadCatalog(t, fmt.Sprintf(rowsCatalog, path, c.sql))
				open := openAll
				if via == "prepare-only driver" {
					open = openPrepareOnly
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res, err := RunOnce(ctx, cat, cat.KPI("k"), open(t, cat))
				if c.errSub != "" {
					var re *RunError
					if err == nil || !strings.Contains(err.Error(), c.errSub) || !errors.As(err, &re) || re.Reason != catalog.ReasonQuery {
						t.Fatalf("err = %v, want a query error containing %q", err, c.errSub)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, s := range res.Series {
					got = append(got, fmt.Sprintf("%s=%v", s.Labels[0], s.Value))
				}
				if g := strings.Join(got, " "); g != c.want {
					t.Errorf("series = %q, want %q", g, c.want)
				}
				res.Stats.Duration = 0
				if res.Stats != c.stats {
					t.Errorf("stats = %+v, want %+v", res.Stats, c.stats)
				}
			})
		}
	}
}

func TestTargets(t *testing.T) {
	path := sqliteFile(t,
		"CREATE TABLE sales (region TEXT, amount REAL)",
		"INSERT INTO sales VALUES ('north', 10), ('south', 20), ('east', 5)",
		"CREATE TABLE budgets (region TEXT, budget REAL)",
		"INSERT INTO budgets VALUES ('north', 100), ('south', NULL), ('west', 7)",
	)
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - name: sql_target
    unit: count
    team: t
    source: db
    sql: SELECT region, amount FROM sales ORDER BY region
    labels: [region]
    value: amount
    target: {sql: "SELECT region, budget FROM budgets", value_column: budget}
  - name: const_target
    unit: count
    team: t
    source: db
    sql: SELECT region, amount FROM sales ORDER BY region
    labels: [region]
    value: amount
    target: 50
  - name: broken_target
    unit: count
    team: t
    source: db
    sql: SELECT region, amount FROM sales ORDER BY region
    labels: [region]
    value: amount
    target: {sql: "SELECT region FROM budgets"}
`, path))
	t.Run("target SQL is joined by label set", func(t *testing.T) {
		res, err := runKPI(t, cat, "sql_target")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range res.Series {
			got[s.Labels[0]] = fmt.Sprintf("%v/%v/%v", s.Value, s.Target, s.HasTarget)
		}
		want := map[string]string{"east": "5/0/false", "north": "10/100/true", "south": "20/0/false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if res.Stats.TargetRows != 3 || res.Stats.TargetSkipped != 1 {
			t.Fatalf("target stats %+v", res.Stats)
		}
	})
	t.Run("constant target is set on every series", func(t *testing.T) {
		res, err := runKPI(t, cat, "const_target")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Series {
			if !s.HasTarget || s.Target != 50 {
				t.Fatalf("series %v has target %v/%v", s.Labels, s.Target, s.HasTarget)
			}
		}
	})
	t.Run("failing target SQL keeps the values and reports the target error", func(t *testing.T) {
		res, err := runKPI(t, cat, "broken_target")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != 3 || res.TargetErr == nil || !strings.Contains(res.TargetErr.Error(), `no column "target"`) {
			t.Fatalf("series %d, target error %v", len(res.Series), res.TargetErr)
		}
	})
}
