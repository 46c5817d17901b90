package catalog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validHead = `
sources:
  db:
    driver: postgres
    dsn: "postgres://kpi:${DB_PASSWORD}@localhost/erp"
teams:
  sales: {}
`

func env(m map[string]string) Options {
	return Options{LookupEnv: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func parse(t *testing.T, yml string) (*Catalog, error) {
	t.Helper()
	return env(map[string]string{"DB_PASSWORD": "s3cr%3At%40%23%2Fx"}).Parse("cat.yml", []byte(yml))
}

func TestLoadExample(t *testing.T) {
	c, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	teams := map[string]bool{}
	for _, k := range c.KPIs {
		teams[k.Team] = true
		if k.DefinitionHash() == "" {
			t.Errorf("%s has no definition hash", k.Name)
		}
	}
	if len(c.KPIs) < 8 || len(teams) < 3 {
		t.Fatalf("example has %d KPIs in %d teams, want at least 8 in 3", len(c.KPIs), len(teams))
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	c, err := parse(t, validHead+`
global:
  interval: 2m
  timeout: 20s
kpis:
  - name: revenue
    help: h
    unit: currency
    currency: EUR
    team: sales
    source: db
    sql: SELECT 1 AS v
    value: v
  - name: fast
    help: h
    unit: count
    team: sales
    source: db
    sql: SELECT 1 AS v
    value: v
    interval: 10s
`)
	if err != nil {
		t.Fatal(err)
	}
	r, f := c.KPI("revenue"), c.KPI("fast")
	if r.Interval.D().String() != "2m0s" || r.Timeout.D().String() != "20s" || r.MaxAge.D().String() != "6m0s" {
		t.Errorf("revenue inherits interval=%s timeout=%s max_age=%s", r.Interval, r.Timeout, r.MaxAge)
	}
	if f.Interval.D().String() != "10s" || f.Timeout.D().String() != "10s" {
		t.Errorf("fast: interval=%s timeout=%s; a default timeout must not exceed the interval", f.Interval, f.Timeout)
	}
	if got := c.Source("db").DSN(); got != "postgres://kpi:s3cr%3At%40%23%2Fx@localhost/erp" {
		t.Errorf("DSN not expanded: %q", got)
	}
	if r.MetricName() != "kpi_revenue_eur" || r.TargetMetricName() != "kpi_revenue_target_eur" {
		t.Errorf("names: %s %s", r.MetricName(), r.TargetMetricName())
	}
}

func TestDefinitionHashIgnoresLayoutAndMetadata(t *testing.T) {
	base := validHead + `
kpis:
  - name: k
    help: %HELP%
    unit: count
    owner: %OWNER%
    team: sales
    source: db
    sql: %SQL%
    value: v
`
	hash := func(help, owner, sql string) string {
		y := strings.NewReplacer("%HELP%", help, "%OWNER%", owner, "%SQL%", sql).Replace(base)
		c, err := parse(t, y)
		if err != nil {
			t.Fatal(err)
		}
		return c.KPI("k").DefinitionHash()
	}
	a := hash("a", "x@example.com", `"SELECT 1 AS v"`)
	if b := hash("b", "y@example.com", `"SELECT  1 AS v -- note"`); a != b {
		t.Errorf("layout, comments, help or owner changed the hash: %s vs %s", a, b)
	}
	if b := hash("a", "x@example.com", `"SELECT 2 AS v"`); a == b {
		t.Errorf("a changed query kept the hash %s", a)
	}
}

// TestLoadErrors pins the exact text of each error: file, line, key path and
// message.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yml  string
		want []string
	}{
		{
			name: "unknown key is named with a suggestion",
			yml: validHead + `kpis:
  - name: k
    help: h
    unit: count
    team: sales
    source: db
    sql: SELECT 1
    value: v
    intervall: 5m
`,
			want: []string{`cat.yml:16: kpis[0].intervall: unknown key "intervall" (did you mean "interval"?)`},
		},
		{
			name: "wrong type, bad duration and missing source are all reported",
			yml: validHead + `kpis:
  - name: k
    help: h
    unit: count
    team: sales
    source: nodb
    sql: SELECT 1
    value: v
    interval: soon
    max_series: many
`,
			want: []string{
				`cat.yml:13: kpis[0].source: unknown source "nodb" (did you mean "db"?)`,
				`cat.yml:16: kpis[0].interval: invalid duration "soon": use a number and a unit (ms, s, m, h, d, w), such as 30s or 5m`,
				`cat.yml:17: kpis[0].max_series: expected an integer, got "many"`,
			},
		},
		{
			name: "inverted thresholds for higher is better",
			yml: validHead + `kpis:
  - name: k
    help: h
    unit: ratio
    team: sales
    source: db
    sql: SELECT 1
    value: v
    direction: higher
    target: 0.9
    thresholds:
      warning: 0.5
      critical: 0.8
`,
			want: []string{`cat.yml:20: kpis[0].thresholds.critical: critical 0.8 must be below warning 0.5 when higher is better`},
		},
		{
			name: "percentage threshold without a target",
			yml: validHead + `kpis:
  - name: k
    help: h
    unit: ratio
    team: sales
    source: db
    sql: SELECT 1
    value: v
    direction: lower
    thresholds:
      warning: 110%
`,
			want: []string{`cat.yml:18: kpis[0].thresholds.warning: threshold 110% is a percentage of the target, but the KPI has no target`},
		},
		{
			name: "unset environment variable names the variable only",
			yml: `sources:
  db:
    driver: mysql
    dsn: "kpi:${NOPE}@tcp(db)/x"
`,
			want: []string{
				`cat.yml:1: the catalog defines no KPIs: add at least one under kpis`,
				`cat.yml:4: sources.db.dsn: environment variable NOPE is not set`,
			},
		},
		{
			name: "missing required keys",
			yml: validHead + `kpis:
  - help: h
    unit: parsecs
    team: sales
    source: db
`,
			want: []string{
				`cat.yml:9: kpis[0].name: name is required`,
				`cat.yml:9: kpis[0].sql: sql is required`,
				`cat.yml:9: kpis[0].value: value is required`,
				`cat.yml:10: kpis[0].unit: unknown unit "parsecs" (one of bytes, count, currency, percent, ratio, score, seconds)`,
			},
		},
		{
			name: "reserved label column",
			yml: validHead + `kpis:
  - name: k
    help: h
    unit: count
    team: sales
    source: db
    sql: SELECT 1
    value: v
    labels: [region, team]
`,
			want: []string{`cat.yml:16: kpis[0].labels[1]: label "team" is reserved for the exporter, the rules or Alertmanager; alias the column in the SQL`},
		},
		{
			name: "invalid YAML",
			yml:  "kpis:\n  - name: [\n",
			want: []string{`cat.yml:2: invalid YAML: did not find expected node content`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.yml)
			if err == nil {
				t.Fatal("loaded an invalid catalog")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateKPIAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) { writeFile(t, dir, name, s) }
	write("a.yml", "sources:\n  db: {driver: sqlite, dsn: x.db}\nkpis:\n  - {name: k, help: h, unit: count, team: t, source: db, sql: SELECT 1, value: v}\n")
	write("b.yaml", "kpis:\n  - {name: k, help: h, unit: count, team: t, source: db, sql: SELECT 1, value: v}\n")
	_, err := Load(dir)
	want := filepath.Join(dir, "b.yaml") + ":2: kpis[0].name: KPI \"k\" is already defined at " + filepath.Join(dir, "a.yml") + ":4"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestSourcesTeamsAndCalendarsAreDefinedOnce(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) { writeFile(t, dir, name, s) }
	write("a.yml", "calendars:\n  cn: {timezone: Asia/Shanghai}\nsources:\n  db: {driver: sqlite, dsn: x.db}\nteams:\n  t:\nkpis:\n  - {name: k, help: h, unit: count, team: t, source: db, sql: SELECT 1, value: v}\n")
	write("b.yml", "calendars:\n  cn:\nsources:\n  db: {driver: sqlite, dsn: y.db}\n  empty:\nteams:\n  t: {description: again}\n")
	_, err := Load(dir)
	a, b := filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yml")
	want := []string{
		b + ":2: calendars.cn: calendar \"cn\" is already defined at " + a + ":2",
		b + ":4: sources.db: source \"db\" is already defined at " + a + ":4",
		b + ":5: sources.empty: empty source",
		b + ":7: teams.t: team \"t\" is already defined at " + a + ":6",
	}
	if err == nil {
		t.Fatal("loaded a catalog that defines a source, a team and a calendar twice")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the errors lack %q:\n%v", w, err)
		}
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "dsn")
	if err := os.WriteFile(dsnFile, []byte("kpi:TopSecret@tcp(db)/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parse(t, "sources:\n  db:\n    driver: mysql\n    dsn_file: "+dsnFile+"\n    timeout: nope\n")
	if err == nil {
		t.Fatal("want an error for the bad timeout")
	}
	if strings.Contains(err.Error(), "TopSecret") {
		t.Fatalf("secret leaked: %v", err)
	}
	c, err = parse(t, "sources:\n  db:\n    driver: mysql\n    dsn_file: "+dsnFile+"\n"+
		"kpis:\n  - {name: k, help: h, unit: count, team: t, source: db, sql: SELECT 1, value: v}\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Source("db").DSN() != "kpi:TopSecret@tcp(db)/x" || strings.Contains(c.Source("db").String(), "TopSecret") {
		t.Fatalf("dsn_file not read, or String leaks it")
	}
}

func TestOwningTeamsIncludeUndefinedTeamsInNameOrder(t *testing.T) {
	c, err := parse(t, `
sources:
  db: {driver: sqlite, dsn: 'file:x.db'}
teams:
  ops: {description: Operations}
  idle: {description: Owns nothing}
kpis:
  - {name: b, help: h, unit: count, owner: o, team: sales, source: db, sql: 'SELECT 1 AS value', value: value}
  - {name: a, help: h, unit: count, owner: o, team: ops, source: db, sql: 'SELECT 1 AS value', value: value}
  - {name: c, help: h, unit: count, owner: o, team: sales, source: db, sql: 'SELECT 1 AS value', value: value}
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.OwningTeams(), ","); got != "ops,sales" {
		t.Errorf("OwningTeams = %s, want ops,sales", got)
	}
}

func TestEveryKPIIsHashedOnce(t *testing.T) {
	src := kpiList("sources:\n  db: {driver: mysql, dsn: 'u@tcp(h)/d'}\nteams:\n  t: {}\nkpis:\n", 2000, func(i int) string {
		return fmt.Sprintf("  - {name: kpi_%04d, help: h, unit: count, owner: o, team: t, source: db, sql: 'SELECT %d AS v # c', value: v}\n", i, i%7)
	}, "")
	c, err := Options{}.Parse("big.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.KPIs {
		if want := definitionHash(c, k); k.DefinitionHash() != want || k.MetricName() != "kpi_"+k.Name {
			t.Fatalf("%s: hash %q, want %q; metric %q", k.Name, k.DefinitionHash(), want, k.MetricName())
		}
	}
}

// kpiList is head, then n items, then tail.
func kpiList(head string, n int, item func(int) string, tail string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		b.WriteString(item(i))
	}
	b.WriteString(tail)
	return b.String()
}
