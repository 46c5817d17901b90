package rules

import (
	"errors"
	"fmt"
	"testing"
	"text/template"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// TestTemplateParserAgreesWithRulefmt holds templateParser to what rulefmt's
// Rule.Validate says of the same alert annotation, error text included, and
// checks that one parser gives each text the same answer whatever it parsed
// before.
func TestTemplateParserAgreesWithRulefmt(t *testing.T) {
	texts := []string{
		"plain {{ $value }}",
		"{{ $value | humanizePercentage }} of {{ with printf `a{kpi=%q}` $labels.kpi | query }}{{ . | first | value | humanize }}{{ else }}unknown{{ end }}",
		"{{ $labels.source }} {{ $externalLabels.x }} {{ $externalURL }}",
		"Churn {{ broken",
		"{{ nosuchfunction 1 }}",
		"{{ $undefined }}",
		"{{ if }}",
		"{{ end }}",
		"{{ with 1 }}x",
		`{{ "unterminated }}`,
		"{{ `}}` }}",
		"{{/* comment */}} {{- $value -}}",
		"{{/* unclosed }}",
		`{{define "a"}}x{{end}}{{define "a"}}y{{end}}`,
		`{{define "a"}}x{{end}}`,
		`{{define "__alert_A"}}x{{end}}`,
		`{{ template "a" }}`,
		"{{ 'x' }} {{ '' }}",
		"{{ (1 }}",
		"{{ 1) }}",
		"{{ $value := 1 }}{{ $value }}",
		"{{ range $i, $x := . }}{{ break }}{{ end }}",
		"{{ break }}",
		"{{ humanizeDuration 1 | title | toUpper | safeHtml }}",
		"{{ tableLink \"x\" }} {{ graphLink \"x\" }} {{ args 1 }} {{ reReplaceAll \"a\" \"b\" \"c\" }}",
	}
	p := newTemplateParser()
	for round := range 2 {
		for _, text := range texts {
			t.Run(fmt.Sprintf("%d %s", round, text), func(t *testing.T) {
				r := rulefmt.Rule{Alert: "A", Expr: "up > 0", Annotations: map[string]string{"summary": text}}
				var want error
				for _, we := range r.Validate(rulefmt.RuleNode{}, model.LegacyValidation, parser.NewParser(parser.Options{})) {
					want = errors.Join(want, errors.Unwrap(&we))
				}
				got := errors.Join(p.check("A", nil, map[string]string{"summary": text})...)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("templateParser says %v, rulefmt says %v", got, want)
				}
			})
		}
	}
}

// TestTemplateBuiltinsAreTextTemplates checks that every name the template
// parser takes for a text/template builtin is one: a name too many would
// let a text pass that Prometheus refuses (one too few only refuses more).
func TestTemplateBuiltinsAreTextTemplates(t *testing.T) {
	for _, n := range templateBuiltins {
		if _, err := template.New("").Parse("{{ " + n + " }}"); err != nil {
			t.Errorf("%s is not a text/template builtin: %v", n, err)
		}
	}
	if _, err := template.New("").Parse("{{ humanize }}"); err == nil {
		t.Error("text/template knows humanize: the check above proves nothing")
	}
}
