package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
)

// fuzzSecret is what ${DB_PASSWORD} expands to while fuzzing: no error may
// ever show it.
const fuzzSecret = "fuzz-s3cr%3At%40%23%2Fpw"

// FuzzParse feeds arbitrary bytes to the strict loader. Whatever the input,
// it must not panic, hang or leak the expanded secret; it must either reject
// the catalog with an Errors value that wraps ErrInvalid and names the file,
// or return a catalog whose invariants hold and whose parse is repeatable.
// The seed corpus lives in testdata/fuzz/FuzzParse and runs with go test.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validHead + `
kpis:
  - {name: revenue, help: h, unit: currency, currency: EUR, team: sales, source: db, sql: SELECT 1 AS v, value: v}
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A dsn_file may name any file, and reading /dev/zero never ends:
		// the file system is not what this target explores.
		if strings.Contains(string(data), "dsn_file") {
			t.Skip("file references are outside this target")
		}
		opts := Options{LookupEnv: func(k string) (string, bool) {
			if k == "DB_PASSWORD" {
				return fuzzSecret, true
			}
			return "", false
		}}
		c, err := opts.Parse("fuzz.yml", data)
		if err != nil {
			checkRejection(t, data, c, err)
			return
		}
		checkCatalog(t, c)
		again, err := opts.Parse("fuzz.yml", data)
		if err != nil {
			t.Fatalf("second parse of an accepted catalog fails: %v", err)
		}
		if len(again.KPIs) != len(c.KPIs) {
			t.Fatalf("second parse has %d KPIs, first %d", len(again.KPIs), len(c.KPIs))
		}
		for i, k := range c.KPIs {
			if h := again.KPIs[i].DefinitionHash(); h != k.DefinitionHash() {
				t.Fatalf("KPI %s: definition hash %s then %s", k.Name, k.DefinitionHash(), h)
			}
		}
	})
}

func checkRejection(t *testing.T, data []byte, c *Catalog, err error) {
	t.Helper()
	if c != nil {
		t.Fatalf("Parse returned a catalog and an error: %v", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error does not wrap ErrInvalid: %v", err)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) == 0 {
		t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
	}
	for _, e := range es {
		if e.Pos.File != "fuzz.yml" || e.Pos.Line < 0 {
			t.Fatalf("error without its file: %+v", e)
		}
	}
	if !strings.Contains(string(data), fuzzSecret) && strings.Contains(err.Error(), fuzzSecret) {
		t.Fatalf("error shows the expanded secret: %v", err)
	}
}

// checkCatalog asserts what every consumer of an accepted catalog relies on.
func checkCatalog(t *testing.T, c *Catalog) {
	t.Helper()
	if c.Global.Interval <= 0 || c.Global.Timeout <= 0 || c.Global.MaxSeries < 1 || c.Global.MaxAgeIntervals < 1 {
		t.Fatalf("global defaults not applied: %+v", c.Global)
	}
	for _, s := range c.Sources {
		if c.Source(s.Name) != s || s.MaxOpenConns < 1 || s.MaxConcurrentQueries < 1 ||
			s.MaxConcurrentQueries > s.MaxOpenConns || s.Timeout <= 0 {
			t.Fatalf("source %s: inconsistent %+v", s.Name, s)
		}
		if strings.Contains(s.String(), fuzzSecret) {
			t.Fatalf("source %s: String shows the secret", s.Name)
		}
	}
	names := map[string]bool{}
	for _, k := range c.KPIs {
		if names[k.Name] || c.KPI(k.Name) != k {
			t.Fatalf("KPI %q is defined twice or not indexed", k.Name)
		}
		names[k.Name] = true
		if c.Source(k.Source) == nil {
			t.Fatalf("KPI %s: unknown source %q accepted", k.Name, k.Source)
		}
		if k.Interval <= 0 || k.Timeout <= 0 || k.MaxAge < k.Interval || k.MaxSeries < 1 {
			t.Fatalf("KPI %s: interval %s timeout %s max_age %s max_series %d", k.Name, k.Interval, k.Timeout, k.MaxAge, k.MaxSeries)
		}
		if k.DefinitionHash() == "" {
			t.Fatalf("KPI %s has no definition hash", k.Name)
		}
		for _, n := range []string{k.MetricName(), k.TargetMetricName(), k.KPIRecord(OpAttainment), k.TeamRecord(OpSum)} {
			if !model.LegacyValidation.IsValidMetricName(n) {
				t.Fatalf("KPI %s: %q is not a valid metric name", k.Name, n)
			}
		}
		for _, l := range k.Labels {
			if !model.LegacyValidation.IsValidLabelName(l) {
				t.Fatalf("KPI %s: %q is not a valid label name", k.Name, l)
			}
		}
		if k.Target != nil && !k.Target.IsConstant() && c.Source(k.Target.Source) == nil {
			t.Fatalf("KPI %s: target source %q unknown", k.Name, k.Target.Source)
		}
	}
}

// aliasBomb nests aliases three lists deep: n teams, each with n opsgenie
// receivers, each with n responders, from about 40n bytes of YAML.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("r: &r {type: bogus, name: n}\nrl: &rl [")
	b.WriteString(strings.Repeat("*r,", n))
	b.WriteString("]\nog: &og {api_key_file: k, responders: *rl}\nol: &ol [")
	b.WriteString(strings.Repeat("*og,", n))
	b.WriteString("]\nteams:\n")
	for i := range n {
		b.WriteString("  t" + itoa(i) + ": {notify: {opsgenie: *ol}}\n")
	}
	return b.String()
}

// Found by reasoning about what the fuzzer explores: before aliases were
// bounded, 8 KB of this took four minutes and reported eight million errors.
func TestAliasExpansionIsBounded(t *testing.T) {
	_, err := Options{}.Parse("bomb.yml", []byte(aliasBomb(200)))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("alias bomb accepted: %v", err)
	}
	if len(es) > maxAliasNodes {
		t.Fatalf("alias bomb reported %d errors: expansion is not bounded", len(es))
	}
	if !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Fatalf("no error names the alias expansion:\n%.500s", err)
	}
}
