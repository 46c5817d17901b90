package rules

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestEndsInComparison(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       bool
	}{
		{"a filter comparison", "x < y", true},
		{"a comparison in parentheses", "(x > 1)", true},
		{"a gate after a comparison", "(x < y) and on() (z >= 0.25)", true},
		{"both sides of or compare", "(x > 1) or (absent(x) == 1)", true},
		{"one side of or does not compare", "(x > 1) or absent(x)", false},
		{"a bool comparison always returns a series", "x > bool 1", false},
		{"a bare selector", "x", false},
		{"arithmetic", "x / y", false},
		{"and without a comparison on the left", "x and on() (y > 1)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := parser.NewParser(parser.Options{}).ParseExpr(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := endsInComparison(e); got != tc.want {
				t.Errorf("endsInComparison(%s) = %v, want %v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestValidatorRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule rulefmt.Rule
		want string
	}{
		{"an alert that does not end in a comparison", rulefmt.Rule{Alert: "A", Expr: "kpi_x"}, "does not end in a comparison"},
		{"rate of a gauge", rulefmt.Rule{Record: "a:b:c", Expr: "rate(kpi_x[5m])"}, "not a counter"},
		{"a function Prometheus 2.42 lacks", rulefmt.Rule{Record: "a:b:c", Expr: "day_of_year()"}, "not in Prometheus 2.42"},
		{"the value in a label", rulefmt.Rule{Alert: "A", Expr: "kpi_x > 1", Labels: map[string]string{"v": "{{ $value }}"}}, "uses the value"},
		{"an expression that does not parse", rulefmt.Rule{Record: "a:b:c", Expr: "sum("}, "could not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := newValidator().rules("", []rulefmt.Rule{tc.rule})
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q do not contain %q", msgs, tc.want)
			}
		})
	}
	if errs := newValidator().rules("", []rulefmt.Rule{{Alert: "A", Expr: "increase(kpi_exporter_kpi_errors_total[5m]) > 0"}}); len(errs) != 0 {
		t.Errorf("increase of a counter refused: %v", errs)
	}
}

// TestExprShapesSkipOnlyExpressionsThatPassed: an expression that differs
// from a passed one only in the KPI's name is not parsed again, and any
// other difference is still parsed and judged.
func TestExprShapesSkipOnlyExpressionsThatPassed(t *testing.T) {
	v := newValidator()
	rule := func(kpi, expr string) []rulefmt.Rule {
		return []rulefmt.Rule{{Record: "kpi:kpi_" + kpi + "_eur:value", Expr: expr, Labels: map[string]string{"kpi": kpi}}}
	}
	if errs := v.rules("a", rule("a", `max by (store) (kpi_a_eur{kpi="a"})`)); len(errs) != 0 {
		t.Fatal(errs)
	}
	if len(v.passed) != 1 {
		t.Fatalf("%d shapes passed, want 1", len(v.passed))
	}
	if errs := v.rules("bb", rule("bb", `max by (store) (kpi_bb_eur{kpi="bb"})`)); len(errs) != 0 {
		t.Fatal(errs)
	}
	if len(v.passed) != 1 {
		t.Errorf("the same shape for another KPI was judged again: %d shapes", len(v.passed))
	}
	for _, expr := range []string{
		`max by (store) (kpi_c_eur{kpi="c"}`,    // unbalanced
		`rate(kpi_c_eur[5m]) > 0`,               // a counter function on a gauge
		`max by (store) (kpi_c_eur{kpi="c"}) +`, // incomplete
	} {
		if errs := v.rules("c", rule("c", expr)); len(errs) == 0 {
			t.Errorf("%q passed", expr)
		}
	}
}

// TestExprShapesAgreeWithParsingEveryRule: on the example and golden
// catalogs, validating with shapes finds exactly what parsing every
// expression finds (nothing), and skips some expressions.
func TestExprShapesAgreeWithParsingEveryRule(t *testing.T) {
	paths := exampleAndGolden(t)
	skipped := 0
	for _, p := range paths {
		c := load(t, p)
		shapes := newValidator()
		for _, k := range c.KPIs {
			rs := newKPICtx(c, k).rules()
			parsed := len(shapes.passed)
			if errs := shapes.rules(k.Name, rs); len(errs) != 0 {
				t.Fatalf("%s: %v", k.Name, errs)
			}
			if errs := newValidator().rules("", rs); len(errs) != 0 {
				t.Fatalf("%s, every expression parsed: %v", k.Name, errs)
			}
			skipped += len(rs) - (len(shapes.passed) - parsed)
		}
	}
	if skipped == 0 {
		t.Error("no expression was recognised by its shape")
	}
}
