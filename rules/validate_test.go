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

// validateRules validates one group of rules as a rule file.
func validateRules(rs ...rulefmt.Rule) []error {
	_, errs := validate(RuleFile{Path: "rules/test.yml", Groups: []rulefmt.RuleGroup{{Name: "test", Rules: rs}}})
	return errs
}

func TestValidateRefuses(t *testing.T) {
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
		{"an annotation template that does not parse", rulefmt.Rule{Alert: "A", Expr: "kpi_x > 1", Annotations: map[string]string{"summary": "{{ broken"}}, `annotation "summary"`},
		{"an invalid recording rule name", rulefmt.Rule{Record: "a-b", Expr: "kpi_x"}, "invalid recording rule name"},
		{"a label value that is not UTF-8", rulefmt.Rule{Record: "a:b:c", Expr: "kpi_x", Labels: map[string]string{"kpi": "k\xff"}}, "invalid label value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []string
			for _, e := range validateRules(tc.rule) {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q do not contain %q", msgs, tc.want)
			}
		})
	}
	if errs := validateRules(rulefmt.Rule{Alert: "A", Expr: "increase(kpi_exporter_kpi_errors_total[5m]) > 0"}); len(errs) != 0 {
		t.Errorf("increase of a counter refused: %v", errs)
	}
}

func TestValidateNamesTheKPIOfARefusedRule(t *testing.T) {
	errs := validateRules(
		rulefmt.Rule{Record: "a:b:c", Expr: "kpi_x", Labels: map[string]string{"kpi": "good"}},
		rulefmt.Rule{Record: "a:b:d", Expr: "sum(", Labels: map[string]string{"kpi": "bad"}},
	)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "rules/test.yml: kpi bad: ") {
		t.Errorf("errors %v, want one naming the file and KPI bad", errs)
	}
}
