package rules

import (
	"fmt"
	"text/template"

	promtemplate "github.com/prometheus/prometheus/template"
	"github.com/prometheus/prometheus/util/features"
)

// templateDefs are the variables Prometheus defines before an alert's label
// or annotation text (rulefmt's testTemplateParsing, template.Expander).
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// templateParser parses alert label and annotation texts as rulefmt's
// Rule.Validate does when Prometheus loads a rule: text/template, the
// variables Prometheus defines and the functions its template package
// registers, under the name "__alert_" + the alert. rulefmt builds
// Prometheus' function map and installs it in a new text/template for every
// text, which costs more than the parse; a templateParser installs the
// function names once and parses every text in that set. Parsing depends on
// a function's name only, and text/template allows a later Parse to redefine
// what an earlier one defined, so each text parses or fails exactly as in
// rulefmt, with the same error.
type templateParser struct {
	base   *template.Template
	byName map[string]*template.Template
}

func newTemplateParser() templateParser {
	reg := features.NewRegistry()
	promtemplate.RegisterFeatures(reg)
	fm := template.FuncMap{}
	for n := range reg.Get()[features.TemplatingFunctions] {
		fm[n] = func() any { return nil }
	}
	return templateParser{
		base:   template.New("").Funcs(fm).Option("missingkey=zero"),
		byName: map[string]*template.Template{},
	}
}

// parse parses one label or annotation text of an alert.
func (p templateParser) parse(alert, text string) error {
	name := "__alert_" + alert
	t, ok := p.byName[name]
	if !ok {
		t = p.base.New(name)
		p.byName[name] = t
	}
	_, err := t.Parse(templateDefs + text)
	return err
}

// check parses an alert's templated label and annotation texts, naming each
// that fails as rulefmt does.
func (p templateParser) check(alert string, labels, annotations map[string]string) []error {
	var errs []error
	for _, m := range []struct {
		kind string
		m    map[string]string
	}{{"label", labels}, {"annotation", annotations}} {
		for k, text := range m.m {
			if err := p.parse(alert, text); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", m.kind, k, err))
			}
		}
	}
	return errs
}
