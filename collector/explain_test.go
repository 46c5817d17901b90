package collector

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Explain reports, row by row, what the conversion did: the reasons agree
// with the run's counts, the rows are the database's own values, and only
// the first rows are kept while every row is counted.
func TestExplainReportsWhatTheConversionDid(t *testing.T) {
	path := sqliteFile(t,
		"CREATE TABLE f (id INTEGER, region TEXT, amount)",
		"INSERT INTO f VALUES (1, 'emea', 10), (2, 'amer', NULL), (3, 'emea', 3), (4, 'apac', 'n/a'), "+
			"(5, CAST(x'ff' AS TEXT), 1), (6, 'latam', '7.5'), (7, 'nordics', 2), (8, 'emea', 4)")
	cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - {name: f, unit: count, team: t, source: db, sql: "SELECT region, amount FROM f WHERE id > 0 OR :now_unix = 0 ORDER BY id", labels: [region], value: amount, max_series: 2}
`, path))
	k := cat.KPI("f")
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ex, err := Explain(context.Background(), cat, k, openAll(t, cat), at, 7)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range ex.Rows {
		reasons = append(reasons, r.Skipped)
	}
	want := []string{"", catalog.ReasonNull, catalog.ReasonDuplicate, catalog.ReasonType, catalog.ReasonInvalidLabel, "", catalog.ReasonCardinality}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("reasons = %q, want %q", reasons, want)
	}
	st := ex.Result.Stats
	if st.Rows != 8 || st.Exported != 2 || st.Nulls != 1 || st.Duplicates != 2 || st.NonNumeric != 1 || st.InvalidLabels != 1 || st.OverLimit != 1 {
		t.Errorf("stats = %+v", st)
	}
	if got := ex.Rows[2].First; got != 1 {
		t.Errorf("the duplicate repeats row %d, want 1", got)
	}
	if got := ex.Rows[3].Values; !reflect.DeepEqual(got, []any{"apac", "n/a"}) {
		t.Errorf("row 4 values = %#v", got)
	}
	if got := ex.Rows[1].Values[1]; got != nil {
		t.Errorf("a NULL is %#v", got)
	}
	if got := ex.Rows[5]; got.Value != 7.5 || !reflect.DeepEqual(got.Labels, []string{"latam"}) {
		t.Errorf("row 6 = %+v", got)
	}
	if p := ex.Query.Params; len(p) != 1 || p[0].Name != catalog.ParamNowUnix || p[0].Value != at.Unix() {
		t.Errorf("params = %+v", p)
	}
	if !reflect.DeepEqual(ex.Query.Columns, []string{"region", "amount"}) {
		t.Errorf("columns = %q", ex.Query.Columns)
	}
}
