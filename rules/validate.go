package rules

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// ErrInvalidRule is wrapped by every error that rejects a generated rule.
var ErrInvalidRule = errors.New("invalid generated rule")

// functions42 are the PromQL functions Prometheus 2.42 has; the generated
// rules must load there as well as in current Prometheus.
var functions42 = map[string]bool{
	"abs": true, "absent": true, "absent_over_time": true, "avg_over_time": true,
	"ceil": true, "changes": true, "clamp": true, "clamp_max": true, "clamp_min": true,
	"count_over_time": true, "day_of_month": true, "day_of_week": true, "days_in_month": true,
	"delta": true, "deriv": true, "exp": true, "floor": true, "histogram_quantile": true,
	"holt_winters": true, "hour": true, "idelta": true, "increase": true, "irate": true,
	"label_join": true, "label_replace": true, "last_over_time": true, "ln": true,
	"log10": true, "log2": true, "max_over_time": true, "min_over_time": true, "minute": true,
	"month": true, "predict_linear": true, "present_over_time": true, "quantile_over_time": true,
	"rate": true, "resets": true, "round": true, "scalar": true, "sgn": true, "sort": true,
	"sort_desc": true, "sqrt": true, "stddev_over_time": true, "stdvar_over_time": true,
	"sum_over_time": true, "time": true, "timestamp": true, "vector": true, "year": true,
}

// counterFunctions only make sense on counters.
var counterFunctions = map[string]bool{"rate": true, "increase": true, "irate": true, "resets": true}

type validator struct {
	p parser.Parser
	t templateParser
	// passed holds the shapes (exprShape) of expressions that passed every
	// check of their own; not safe for concurrent use.
	passed map[string]bool
}

func newValidator() validator {
	return validator{p: parser.NewParser(parser.Options{}), t: newTemplateParser(), passed: map[string]bool{}}
}

// exprShape is a rule's expression with its KPI's name taken out: each
// "kpi_NAME" (in metric and record names) becomes \x00 and each "NAME" in
// quotes (label values) \x01. It is "" for rules of no KPI.
//
// Two expressions of the same shape differ only in KPI names, and a KPI name
// is lower-case letters, digits and underscores (the catalog's rule), so
// they lex to the same tokens: identifiers that begin with "kpi", which no
// PromQL keyword or function does, and string literals. They parse to the
// same tree but for those names, and every expression check below reads
// the tree's shape, function names and metric-name suffixes, none of which
// the substitution changes. So an expression whose shape passed is known to
// pass: the rules of 10,000 KPIs have a few hundred shapes, and parsing each
// of their 171,000 expressions was the largest part of validating them.
// Every other check (names, labels, annotations, templates) still runs on
// every rule.
func exprShape(expr, kpi string) string {
	if kpi == "" {
		return ""
	}
	return strings.ReplaceAll(strings.ReplaceAll(expr, `"`+kpi+`"`, "\x01"), "kpi_"+kpi, "\x00")
}

// rules validates each rule as Prometheus does when it loads a rule file
// (rulefmt's Rule.Validate: names, expression, labels, annotations and their
// templates) and checks what a careful reviewer would add: alerts end in a
// comparison, only functions that Prometheus 2.42 knows, counter functions
// only on counters, label names and values valid, no $value in labels. It
// parses each expression once, for both, and an expression whose shape
// (exprShape) passed before for another of kpi's team not at all.
func (v validator) rules(kpi string, rs []rulefmt.Rule) []error {
	var errs []error
	for i := range rs {
		r := &rs[i]
		before := len(errs)
		name := r.Record + r.Alert
		for k, val := range r.Labels {
			if !model.LegacyValidation.IsValidLabelName(k) || k == model.MetricNameLabel || !model.LabelValue(val).IsValid() {
				errs = append(errs, fmt.Errorf("rule %s: invalid label %s=%q", name, k, val))
			}
		}
		if r.Record != "" && !model.LegacyValidation.IsValidMetricName(r.Record) {
			errs = append(errs, fmt.Errorf("rule %s: invalid recording rule name", name))
		}
		for k, val := range r.Labels {
			if strings.Contains(val, "$value") || strings.Contains(val, ".Value") {
				errs = append(errs, fmt.Errorf("rule %s: label %s uses the value", name, k))
			}
		}
		shape := exprShape(r.Expr, kpi)
		if shape != "" && v.passed[shape] {
			// rulefmt reads only whether the expression parses.
			errs = append(errs, v.rulefmt(r, nil, nil)...)
			continue
		}
		expr, err := v.p.ParseExpr(r.Expr)
		errs = append(errs, v.rulefmt(r, expr, err)...)
		if err != nil {
			continue
		}
		if r.Alert != "" && !endsInComparison(expr) {
			errs = append(errs, fmt.Errorf("alert %s: expression %q does not end in a comparison", name, r.Expr))
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			call, ok := n.(*parser.Call)
			if !ok {
				return nil
			}
			fn := call.Func.Name
			if !functions42[fn] {
				errs = append(errs, fmt.Errorf("rule %s: function %s is not in Prometheus 2.42", name, fn))
			}
			if counterFunctions[fn] {
				parser.Inspect(call, func(m parser.Node, _ []parser.Node) error {
					if vs, ok := m.(*parser.VectorSelector); ok && !strings.HasSuffix(vs.Name, "_total") {
						errs = append(errs, fmt.Errorf("rule %s: %s of %s, which is not a counter", name, fn, vs.Name))
					}
					return nil
				})
			}
			return nil
		})
		if shape != "" && len(errs) == before {
			v.passed[shape] = true
		}
	}
	return errs
}

// endsInComparison reports whether an alert expression's result is filtered
// by a comparison, so that it cannot fire merely because a series exists.
func endsInComparison(e parser.Expr) bool {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return endsInComparison(n.Expr)
	case *parser.BinaryExpr:
		switch {
		case n.Op.IsComparisonOperator():
			return !n.ReturnBool
		case n.Op == parser.LAND || n.Op == parser.LUNLESS:
			return endsInComparison(n.LHS)
		case n.Op == parser.LOR:
			return endsInComparison(n.LHS) && endsInComparison(n.RHS)
		}
	}
	return false
}

// fileIDs is what the uniqueness check needs of a rule file: its group
// names and the identity of each recorded series, which a streaming
// Generate keeps after the file itself is written and gone.
type fileIDs struct {
	path    string
	groups  []string
	records []recordID
}

// recordID identifies a recorded series: its name and the labels that tell
// one KPI's and one period's records apart.
type recordID struct{ record, kpi, period string }

func (f RuleFile) ids() fileIDs {
	id := fileIDs{path: f.Path}
	for _, g := range f.Groups {
		id.groups = append(id.groups, g.Name)
		for _, r := range g.Rules {
			if r.Record != "" {
				id.records = append(id.records, recordID{r.Record, r.Labels[catalog.LabelKPI], r.Labels["period"]})
			}
		}
	}
	return id
}

// unique checks that group names and recorded series are unique across files.
func unique(files []fileIDs) []error {
	var errs []error
	groups := map[string]string{}
	series := map[recordID]bool{}
	for _, f := range files {
		for _, g := range f.groups {
			if prev, ok := groups[g]; ok {
				errs = append(errs, fmt.Errorf("group %s is generated in both %s and %s", g, prev, f.path))
			}
			groups[g] = f.path
		}
		for _, r := range f.records {
			if series[r] {
				errs = append(errs, fmt.Errorf("record %s {kpi=%q, period=%q} is generated twice", r.record, r.kpi, r.period))
			}
			series[r] = true
		}
	}
	return errs
}

// parseFile loads rendered rule-file bytes with rulefmt, strictly, as
// Prometheus does (rule names, expressions, label and annotation templates),
// and names the KPI of each rule it rejects.
func parseFile(f RuleFile, data []byte) []error {
	_, errs := rulefmt.Parse(data, false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i, err := range errs {
		var re *rulefmt.Error
		if errors.As(err, &re) {
			if kpi := f.kpiOf(re.Group, re.Rule); kpi != "" {
				err = fmt.Errorf("kpi %s: %w", kpi, err)
			}
		}
		errs[i] = fmt.Errorf("%s: %w", f.Path, err)
	}
	return errs
}

// rulefmt validates r with rulefmt's Rule.Validate, as Prometheus does when
// it loads a rule file, answering its expression parse with the parse done
// by rules. An alert's label and annotation templates are parsed by a
// templateParser, which does what Validate does for them at a fraction of
// the cost. Values without a template action cannot fail to parse as
// templates; they are checked for valid names and values only (here and in
// rules). A recording rule keeps its annotations, which Validate refuses.
func (v validator) rulefmt(r *rulefmt.Rule, expr parser.Expr, err error) []error {
	name := r.Record + r.Alert
	var errs []error
	for k := range r.Annotations {
		if !model.LegacyValidation.IsValidLabelName(k) {
			errs = append(errs, fmt.Errorf("rule %s: invalid annotation name %s", name, k))
		}
	}
	rc := *r
	rc.Labels = nil
	if r.Alert != "" {
		rc.Annotations = nil
	}
	for _, we := range rc.Validate(rulefmt.RuleNode{}, model.LegacyValidation, parsedExpr{Parser: v.p, text: r.Expr, expr: expr, err: err}) {
		errs = append(errs, fmt.Errorf("rule %s: %w", name, errors.Unwrap(&we)))
	}
	if r.Alert != "" {
		for _, err := range v.t.check(r.Alert, templated(r.Labels), templated(r.Annotations)) {
			errs = append(errs, fmt.Errorf("rule %s: %w", name, err))
		}
	}
	return errs
}

// templated keeps the values that hold a template action.
func templated(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if strings.Contains(v, "{{") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// parsedExpr is a PromQL parser that answers ParseExpr for the one
// expression it was given with the result of parsing it; any other input
// goes to Parser.
type parsedExpr struct {
	parser.Parser
	text string
	expr parser.Expr
	err  error
}

func (p parsedExpr) ParseExpr(input string) (parser.Expr, error) {
	if input == p.text {
		return p.expr, p.err
	}
	return p.Parser.ParseExpr(input)
}

// kpiOf names the KPI of the n-th rule (from 1) of a group, by its kpi
// label, or "".
func (f RuleFile) kpiOf(group string, n int) string {
	for _, g := range f.Groups {
		if g.Name == group && n >= 1 && n <= len(g.Rules) {
			return g.Rules[n-1].Labels[catalog.LabelKPI]
		}
	}
	return ""
}

// validationErrors collects every problem, each naming its KPI.
type validationErrors []error

func (v *validationErrors) add(kpi string, errs []error) {
	for _, err := range errs {
		if err == nil {
			continue
		}
		if kpi != "" {
			err = fmt.Errorf("kpi %s: %w", kpi, err)
		}
		*v = append(*v, err)
	}
}

func (v validationErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidRule, errors.Join(v...))
}
