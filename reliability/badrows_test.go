package reliability

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// badRow is one kind of bad (or awkward) result. Each engine gives the SQL
// that produces it; the expectations hold on every engine.
type badRow struct {
	name string
	// sql per engine: "sqlite", "mariadb", "postgres". A missing engine
	// cannot produce the case (say why in skip).
	sql map[string]string
	// maxSeries overrides the KPI's max_series when set.
	maxSeries int
	// want is the exported series, region label to value.
	want map[string]float64
	// perRun is what each run counts under kpi_exporter_kpi_errors_total.
	perRun map[string]float64
	// fails is the reason a run fails with, when the whole run fails.
	fails string
}

const ts20260102 = 1767323045 // 2026-01-02T03:04:05Z

var badRows = []badRow{
	{name: "null_value", want: map[string]float64{"b": 1}, perRun: map[string]float64{catalog.ReasonNull: 1},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, NULL AS v UNION ALL SELECT 'b', 1",
			"mariadb":  "SELECT 'a' AS region, NULL AS v UNION ALL SELECT 'b', 1",
			"postgres": "SELECT 'a' AS region, NULL::int AS v UNION ALL SELECT 'b', 1",
		}},
	{name: "null_label", want: map[string]float64{"": 5, "b": 6},
		sql: map[string]string{
			"sqlite":   "SELECT NULL AS region, 5 AS v UNION ALL SELECT 'b', 6",
			"mariadb":  "SELECT NULL AS region, 5 AS v UNION ALL SELECT 'b', 6",
			"postgres": "SELECT NULL::text AS region, 5 AS v UNION ALL SELECT 'b', 6",
		}},
	{name: "text_value", want: map[string]float64{"b": 2}, perRun: map[string]float64{catalog.ReasonType: 1},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 'lots' AS v UNION ALL SELECT 'b', '2'",
			"mariadb":  "SELECT 'a' AS region, 'lots' AS v UNION ALL SELECT 'b', '2'",
			"postgres": "SELECT 'a' AS region, 'lots' AS v UNION ALL SELECT 'b', '2'",
		}},
	{name: "nan_inf_strings", want: map[string]float64{}, perRun: map[string]float64{catalog.ReasonType: 3},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 'NaN' AS v UNION ALL SELECT 'b', '+Inf' UNION ALL SELECT 'c', '-Inf'",
			"mariadb":  "SELECT 'a' AS region, 'NaN' AS v UNION ALL SELECT 'b', '+Inf' UNION ALL SELECT 'c', '-Inf'",
			"postgres": "SELECT 'a' AS region, 'NaN' AS v UNION ALL SELECT 'b', '+Inf' UNION ALL SELECT 'c', '-Inf'",
		}},
	{name: "nan_inf_floats", want: map[string]float64{"c": 1}, perRun: map[string]float64{catalog.ReasonType: 2},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 9e999 AS v UNION ALL SELECT 'b', -9e999 UNION ALL SELECT 'c', 1.0",
			"postgres": "SELECT 'a' AS region, 'NaN'::float8 AS v UNION ALL SELECT 'b', '-Infinity'::float8 UNION ALL SELECT 'c', 1.0",
			// MariaDB has no NaN or infinite DOUBLE values.
		}},
	{name: "decimals", want: map[string]float64{"a": 1234.56, "b": -0.125, "c": 7.5},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, '1234.5600' AS v UNION ALL SELECT 'b', -0.125 UNION ALL SELECT 'c', ' 7.50 '",
			"mariadb":  "SELECT 'a' AS region, CAST(1234.56 AS DECIMAL(10,4)) AS v UNION ALL SELECT 'b', -0.125 UNION ALL SELECT 'c', 7.5",
			"postgres": "SELECT 'a' AS region, 1234.5600::numeric(10,4) AS v UNION ALL SELECT 'b', -0.125 UNION ALL SELECT 'c', 7.50",
		}},
	{name: "booleans", want: map[string]float64{"a": 1, "b": 0},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, TRUE AS v UNION ALL SELECT 'b', FALSE",
			"mariadb":  "SELECT 'a' AS region, TRUE AS v UNION ALL SELECT 'b', FALSE",
			"postgres": "SELECT 'a' AS region, true AS v UNION ALL SELECT 'b', false",
		}},
	{name: "timestamps", want: map[string]float64{"a": ts20260102},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, d AS v FROM stamps",
			"mariadb":  "SELECT 'a' AS region, TIMESTAMP '2026-01-02 03:04:05' AS v",
			"postgres": "SELECT 'a' AS region, TIMESTAMPTZ '2026-01-02 03:04:05+00' AS v",
		}},
	{name: "duplicate_labels", want: map[string]float64{"a": 1, "b": 3}, perRun: map[string]float64{catalog.ReasonDuplicate: 1},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'a', 2 UNION ALL SELECT 'b', 3",
			"mariadb":  "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'a', 2 UNION ALL SELECT 'b', 3",
			"postgres": "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'a', 2 UNION ALL SELECT 'b', 3",
		}},
	{name: "over_max_series", maxSeries: 3, want: map[string]float64{"a": 1, "b": 2, "c": 3}, perRun: map[string]float64{catalog.ReasonCardinality: 2},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 3 UNION ALL SELECT 'd', 4 UNION ALL SELECT 'e', 5",
			"mariadb":  "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 3 UNION ALL SELECT 'd', 4 UNION ALL SELECT 'e', 5",
			"postgres": "SELECT 'a' AS region, 1 AS v UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 3 UNION ALL SELECT 'd', 4 UNION ALL SELECT 'e', 5",
		}},
	{name: "invalid_utf8_label", want: map[string]float64{"ok": 2}, perRun: map[string]float64{catalog.ReasonInvalidLabel: 1},
		sql: map[string]string{
			"sqlite":   "SELECT CAST(X'FF' AS TEXT) AS region, 1 AS v UNION ALL SELECT 'ok', 2",
			"mariadb":  "SELECT CAST(X'FF' AS BINARY) AS region, 1 AS v UNION ALL SELECT 'ok', 2",
			"postgres": "SELECT '\\xff'::bytea AS region, 1 AS v UNION ALL SELECT 'ok'::bytea, 2",
		}},
	{name: "empty_result", want: map[string]float64{},
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 1 AS v WHERE 0",
			"mariadb":  "SELECT 'a' AS region, 1 AS v FROM DUAL WHERE 1 = 0",
			"postgres": "SELECT 'a' AS region, 1 AS v WHERE false",
		}},
	{name: "missing_column", fails: catalog.ReasonQuery,
		sql: map[string]string{
			"sqlite":   "SELECT 'a' AS region, 1 AS value",
			"mariadb":  "SELECT 'a' AS region, 1 AS value",
			"postgres": "SELECT 'a' AS region, 1 AS value",
		}},
}

// badRowsCatalog builds one KPI per bad-row case on the engine's source, plus
// one healthy KPI that must not notice any of them. The timeout is far longer
// than any of these queries takes even on a busy machine: a run that timed out
// would be counted under timeout, and this test is about the rows.
func badRowsCatalog(engine string, driver catalog.Driver) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {interval: 10s, timeout: 10s}\nsources:\n  db: {driver: %s, dsn: \"${DB_DSN}\"}\nkpis:\n", driver)
	b.WriteString("  - {name: healthy, unit: count, team: t, source: db, sql: \"SELECT 'x' AS region, 42 AS v\", labels: [region], value: v}\n")
	for _, c := range badRows {
		q, ok := c.sql[engine]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  - {name: %s, unit: count, team: t, source: db, sql: %q, labels: [region], value: v", c.name, q)
		if c.maxSeries > 0 {
			fmt.Fprintf(&b, ", max_series: %d", c.maxSeries)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestBadRowsOnEveryEngine runs the bad-row corpus against SQLite, MariaDB and
// PostgreSQL: each case is converted correctly or counted by reason and
// logged, nothing panics, and the healthy KPI beside them is untouched.
func TestBadRowsOnEveryEngine(t *testing.T) {
	type eng struct {
		name   string
		driver catalog.Driver
		dsn    func(t *testing.T) string
	}
	engs := []eng{
		{"sqlite", catalog.DriverSQLite, func(t *testing.T) string {
			return sqliteFile(t, "CREATE TABLE stamps (d DATETIME)", "INSERT INTO stamps VALUES ('2026-01-02 03:04:05')")
		}},
		{"mariadb", catalog.DriverMySQL, func(t *testing.T) string {
			srv := testdb.StartMariaDB(t)
			return srv.DSN(srv.CreateDatabase(t, "badrows"))
		}},
		{"postgres", catalog.DriverPostgres, func(t *testing.T) string {
			srv := testdb.StartPostgres(t)
			return srv.DSN(srv.CreateDatabase(t, "badrows"))
		}},
	}
	for _, e := range engs {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			cat := parseCatalog(t, badRowsCatalog(e.name, e.driver), map[string]string{"DB_DSN": e.dsn(t)})
			exp := startExporter(t, cat)
			s := exp.waitRuns(t, cat, 2)
			if v, ok := s.value("kpi_healthy", "region=x"); !ok || v != 42 || !s.kpiUp("healthy") {
				t.Errorf("the healthy KPI is disturbed: %v %v", v, ok)
			}
			for _, reason := range catalog.Reasons {
				if n := s.kpiErrors("healthy", reason); n != 0 {
					t.Errorf("the healthy KPI counts %v errors of reason %s", n, reason)
				}
			}
			logs := exp.logs.String()
			for _, c := range badRows {
				if _, ok := c.sql[e.name]; !ok {
					continue
				}
				t.Run(c.name, func(t *testing.T) { checkBadRow(t, s, c, logs) })
			}
			if strings.Contains(logs, "panic") {
				t.Errorf("the logs mention a panic:\n%s", logs)
			}
		})
	}
}

func checkBadRow(t *testing.T, s *scrape, c badRow, logs string) {
	runs, _ := s.value(catalog.SelfRuns, "kpi="+c.name)
	if c.fails != "" {
		if s.kpiUp(c.name) {
			t.Errorf("kpi_up = 1, want the run to fail")
		}
		if n := s.kpiErrors(c.name, c.fails); n != runs {
			t.Errorf("errors{reason=%s} = %v after %v runs, want one per run", c.fails, n, runs)
		}
		if !strings.Contains(lastLines(logs, c.name, 3), "reason="+c.fails) {
			t.Errorf("no log line gives the reason %s:\n%s", c.fails, lastLines(logs, c.name, 3))
		}
		return
	}
	if !s.kpiUp(c.name) {
		t.Errorf("kpi_up = 0; logs:\n%s", lastLines(logs, c.name, 3))
	}
	got := map[string]float64{}
	for _, m := range s.mfs["kpi_"+c.name].GetMetric() {
		region := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "region" {
				region = lp.GetValue()
			}
		}
		got[region] = m.GetGauge().GetValue()
	}
	if fmt.Sprint(got) != fmt.Sprint(c.want) {
		t.Errorf("exported %v, want %v", got, c.want)
	}
	if n, _ := s.value(catalog.SelfSeries, "kpi="+c.name); int(n) != len(c.want) {
		t.Errorf("%s = %v, want %d", catalog.SelfSeries, n, len(c.want))
	}
	for _, reason := range catalog.Reasons {
		want := c.perRun[reason] * runs
		if n := s.kpiErrors(c.name, reason); n != want {
			t.Errorf("errors{reason=%s} = %v after %v runs, want %v", reason, n, runs, want)
		}
	}
	if len(c.perRun) > 0 && !strings.Contains(lastLines(logs, c.name, 3), "rows skipped") {
		t.Errorf("the skipped rows are not logged:\n%s", lastLines(logs, c.name, 3))
	}
}
