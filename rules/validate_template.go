package rules

import (
	"fmt"
	"text/template/parse"

	promtemplate "github.com/prometheus/prometheus/template"
	"github.com/prometheus/prometheus/util/features"
)

// templateDefs are the variables Prometheus defines before an alert's label
// or annotation text (rulefmt's testTemplateParsing, template.Expander).
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// templateBuiltins are text/template's predefined functions (funcs.go,
// builtins); TestTemplateBuiltinsAreTextTemplates checks each.
var templateBuiltins = []string{
	"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
	"eq", "ge", "gt", "le", "lt", "ne",
}

// templateParser parses alert label and annotation texts as rulefmt's
// Rule.Validate does when Prometheus loads a rule: Go's template parser
// (text/template/parse, which text/template's Parse calls), the variables
// Prometheus defines, and the functions its template package registers
// besides text/template's own, under the name "__alert_" + the alert.
// rulefmt builds Prometheus' function map and installs it in a new
// text/template for every text, which costs more than the parse; a
// templateParser collects the function names once. Parsing depends on a
// function's name only, so each text parses or fails exactly as in rulefmt,
// with the same error (TestTemplateParserAgreesWithRulefmt).
type templateParser struct {
	funcs map[string]any
}

func newTemplateParser() templateParser {
	reg := features.NewRegistry()
	promtemplate.RegisterFeatures(reg)
	// The parser looks a function up by name and needs a non-nil value.
	funcs := map[string]any{}
	for n := range reg.Get()[features.TemplatingFunctions] {
		funcs[n] = true
	}
	for _, n := range templateBuiltins {
		funcs[n] = true
	}
	return templateParser{funcs: funcs}
}

// parse parses one label or annotation text of an alert.
func (p templateParser) parse(alert, text string) error {
	_, err := parse.Parse("__alert_"+alert, templateDefs+text, "", "", p.funcs)
	return err
}

// check parses an alert's templated label and annotation texts, naming each
// that fails as rulefmt does. A text made only of the actions this package
// writes (knownTemplate) is known to parse and is not parsed again.
func (p templateParser) check(alert string, labels, annotations map[string]string) []error {
	var errs []error
	for _, m := range []struct {
		kind string
		m    map[string]string
	}{{"label", labels}, {"annotation", annotations}} {
		for k, text := range m.m {
			if knownTemplate(text) {
				continue
			}
			if err := p.parse(alert, text); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", m.kind, k, err))
			}
		}
	}
	return errs
}
