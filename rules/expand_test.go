package rules

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// expandValues are values whose humanized forms take every branch of the
// humanize functions: zero, signs, prefixes at and around their limits,
// rounding at four digits, NaN and infinities.
var expandValues = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.5, 0.8, 1.5, 42, 99.95, 750, 999.95, 1000, 1023, 1024, 1025, 9999.5,
	123456, -123456, 1e6, 1.5e9, 1e24, 1e30, 0.001, 0.000999, 1.234e-9, 1e-27, -0.02,
	86399, 86400, 3600.5, 59.9999, 0.0001234,
	math.NaN(), math.Inf(1), math.Inf(-1),
}

var querySelector = regexp.MustCompile("printf `([a-zA-Z_:][a-zA-Z0-9_:]*)\\{")

// TestExpandFastIsExpander holds expandFast to Prometheus' template Expander
// on every templated annotation of every alert of the example and golden
// catalogs, with the query answered and unanswered, over values that take
// every branch of the humanize functions; and checks that expandFast
// expands all of them itself, so that the generated tests do not quietly
// fall back to the slow path.
func TestExpandFastIsExpander(t *testing.T) {
	paths := exampleAndGolden(t)
	texts := 0
	for _, p := range paths {
		c := load(t, p)
		for _, k := range c.KPIs {
			x := newKPICtx(c, k)
			for _, r := range x.rules() {
				if r.Alert == "" {
					continue
				}
				lbls := x.keptLabels()
				lbls["severity"] = "critical"
				lbls["source"] = "erp"
				lbls["reason"] = "query"
				for name, text := range r.Annotations {
					if !strings.Contains(text, "{{") {
						continue
					}
					texts++
					for _, answered := range []bool{true, false} {
						for i, v := range expandValues {
							values := map[string]float64{}
							if answered {
								for _, m := range querySelector.FindAllStringSubmatch(text, -1) {
									values[m[1]] = expandValues[(i+7)%len(expandValues)]
								}
							}
							want, err := expandTemplate(text, lbls, v, values, epoch)
							if err != nil {
								t.Fatalf("%s %s %s: %v", k.Name, r.Alert, name, err)
							}
							got, ok := expandFast(text, lbls, v, values)
							if !ok {
								t.Fatalf("%s %s %s: expandFast refused %q", k.Name, r.Alert, name, text)
							}
							if got != want {
								t.Errorf("%s %s %s, value %g:\nexpandFast %q\nExpander   %q", k.Name, r.Alert, name, v, got, want)
							}
						}
					}
				}
			}
		}
	}
	if texts < 50 {
		t.Fatalf("only %d templated annotations checked", texts)
	}
}

// TestExpandFastRefuses lists texts expandFast must leave to the Expander:
// actions it does not know, labels the alert lacks, and selectors whose
// label values %q would escape.
func TestExpandFastRefuses(t *testing.T) {
	lbls := map[string]string{"kpi": "k", "odd": `a"b`}
	for _, text := range []string{
		"{{ $value }}",
		"{{$labels.kpi}}",
		"{{- $labels.kpi }}",
		"{{ $labels.missing }}",
		"{{ $value | title }}",
		`{{ printf "%d %d" $value }}`,
		`{{ printf "%.2f" }}`,
		"{{ with printf `r{kpi=%q}` $labels.kpi | query }}x",
		"{{ with printf `r{kpi=%q}` $labels.odd | query }}x{{ end }}",
		"{{ with printf `r{kpi=%q}` $labels.kpi $labels.kpi | query }}x{{ end }}",
		"{{ with printf `r{kpi=~%q}` $labels.kpi | query }}x{{ end }}",
		"{{ with printf `1r{kpi=%q}` $labels.kpi | query }}x{{ end }}",
		"{{ with printf `r{kpi=%q}` $labels.kpi | query }}{{ with printf `r{}` | query }}{{ end }}{{ end }}",
		"{{ with printf `r{kpi=%q}` $labels.kpi | query }}{{ $labels.nope }}{{ end }}",
		"{{ else }}",
		"{{ end }}",
		"{{ $labels.kpi",
		"{{ \"}}\" }}",
	} {
		if got, ok := expandFast(text, lbls, 1, map[string]float64{"r": 2}); ok {
			t.Errorf("expandFast(%q) = %q, want it refused", text, got)
		}
	}
}

// FuzzExpandFastIsExpander compares both expansions on fuzzed values, label
// values and format strings, wherever expandFast accepts the text.
func FuzzExpandFastIsExpander(f *testing.F) {
	f.Add(1.5, 2.5, "store 1", `%.1f%%`, "humanize", true)
	f.Add(-1e9, 0.0, "", `%.2f`, "humanize1024", false)
	f.Add(0.0001, 7e20, "x\ty", `%g`, "humanizeDuration", true)
	f.Fuzz(func(t *testing.T, value, queried float64, label, format, fn string, answered bool) {
		lbls := map[string]string{"kpi": "k", "store": label}
		text := "v {{ $labels.store }}: {{ $value | " + fn + " }} / {{ printf " + quoteGo(format) + " $value }}, " +
			"{{ with printf `kpi:k:target{kpi=%q,store=%q}` $labels.kpi $labels.store | query }}{{ (. | first | value) | " + fn +
			" }} or {{ printf " + quoteGo(format) + " (. | first | value) }}{{ else }}unknown{{ end }}."
		values := map[string]float64{}
		if answered {
			values["kpi:k:target"] = queried
		}
		got, ok := expandFast(text, lbls, value, values)
		if !ok {
			return
		}
		want, err := expandTemplate(text, lbls, value, values, epoch.Add(time.Hour))
		if err != nil {
			t.Fatalf("expandFast accepted %q, which the Expander refuses: %v", text, err)
		}
		if got != want {
			t.Errorf("%q:\nexpandFast %q\nExpander   %q", text, got, want)
		}
	})
}

func quoteGo(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// FuzzKnownTemplatesParse: every text knownTemplate accepts parses as an
// alert template, with Prometheus' variables and functions, and expands.
func FuzzKnownTemplatesParse(f *testing.F) {
	for _, p := range append([]string{"../config.example.yaml"}, "testdata/retail.yml", "testdata/ops.yml") {
		c := load(f, p)
		for _, k := range c.KPIs {
			for _, r := range KPIAlerts(c, k) {
				for _, text := range r.Annotations {
					f.Add(text)
				}
			}
		}
	}
	f.Add("{{ with printf `r{a=%q}` $labels.a | query }}{{ printf \"%d\" (. | first | value) }}{{ end }}")
	tp := newTemplateParser()
	f.Fuzz(func(t *testing.T, text string) {
		if !knownTemplate(text) {
			return
		}
		if err := tp.parse("A", text); err != nil {
			t.Fatalf("knownTemplate accepts %q, which does not parse: %v", text, err)
		}
	})
}

// TestKnownTemplates: the generated annotations are known, so validation
// skips the parser for them; others are not.
func TestKnownTemplates(t *testing.T) {
	c := load(t, "../config.example.yaml")
	n := 0
	for _, k := range c.KPIs {
		for _, r := range KPIAlerts(c, k) {
			for _, text := range r.Annotations {
				if strings.Contains(text, "{{") {
					n++
					if !knownTemplate(text) {
						t.Errorf("%s %s: not known: %q", k.Name, r.Alert, text)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no templated annotation in the example catalog")
	}
	for _, text := range []string{"{{ $value }}", "{{ $labels.a", "{{ with printf `r{}` | query }}", "{{ $externalURL }}", "{{/* x */}}"} {
		if knownTemplate(text) {
			t.Errorf("%q is known", text)
		}
	}
}
