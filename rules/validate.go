package rules

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
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

// validate encodes a rule file as package output writes it and loads the
// bytes with rulefmt.Parse, strictly, as Prometheus does (rule names,
// expressions, labels, annotations and their templates). On the rules it
// loaded it checks what a careful reviewer would add: alerts end in a
// comparison, only functions that Prometheus 2.42 knows, counter functions
// only on counters, no $value in labels. Each error names the KPI of its
// rule. It returns the bytes it loaded.
func validate(f RuleFile) ([]byte, []error) {
	data, err := output.Encode(f.ruleFile())
	if err != nil {
		return nil, []error{err}
	}
	p := &recordingParser{Parser: parser.NewParser(parser.Options{}), exprs: map[string]parser.Expr{}}
	groups, errs := rulefmt.Parse(data, false, model.LegacyValidation, p, slog.New(slog.DiscardHandler))
	for i, err := range errs {
		var re *rulefmt.Error
		if errors.As(err, &re) {
			if kpi := f.kpiOf(re.Group, re.Rule); kpi != "" {
				err = fmt.Errorf("kpi %s: %w", kpi, err)
			}
		}
		errs[i] = fmt.Errorf("%s: %w", f.Path, err)
	}
	if groups == nil {
		return data, errs
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			for _, err := range review(r, p.exprs[r.Expr]) {
				if kpi := r.Labels[catalog.LabelKPI]; kpi != "" {
					err = fmt.Errorf("kpi %s: %w", kpi, err)
				}
				errs = append(errs, fmt.Errorf("%s: %w", f.Path, err))
			}
		}
	}
	return data, errs
}

// recordingParser is the PromQL parser, keeping each expression it parsed
// without error so that review reads the tree rulefmt had parsed.
type recordingParser struct {
	parser.Parser
	exprs map[string]parser.Expr
}

func (p *recordingParser) ParseExpr(input string) (parser.Expr, error) {
	e, err := p.Parser.ParseExpr(input)
	if err == nil {
		p.exprs[input] = e
	}
	return e, err
}

// review checks a rule that rulefmt loaded, whose expression parsed to expr
// (nil if it did not parse: rulefmt reported that).
func review(r rulefmt.Rule, expr parser.Expr) []error {
	var errs []error
	name := r.Record + r.Alert
	for k, val := range r.Labels {
		if strings.Contains(val, "$value") || strings.Contains(val, ".Value") {
			errs = append(errs, fmt.Errorf("rule %s: label %s uses the value", name, k))
		}
	}
	if expr == nil {
		return errs
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

// recordID identifies a recorded series: its name and the labels that tell
// one KPI's and one period's records apart.
type recordID struct{ record, kpi, period string }

// unique checks that group names and recorded series are unique across files.
func unique(files []RuleFile) []error {
	var errs []error
	groups := map[string]string{}
	series := map[recordID]bool{}
	for _, f := range files {
		for _, g := range f.Groups {
			if prev, ok := groups[g.Name]; ok {
				errs = append(errs, fmt.Errorf("group %s is generated in both %s and %s", g.Name, prev, f.Path))
			}
			groups[g.Name] = f.Path
			for _, r := range g.Rules {
				if r.Record == "" {
					continue
				}
				id := recordID{r.Record, r.Labels[catalog.LabelKPI], r.Labels["period"]}
				if series[id] {
					errs = append(errs, fmt.Errorf("record %s {kpi=%q, period=%q} is generated twice", id.record, id.kpi, id.period))
				}
				series[id] = true
			}
		}
	}
	return errs
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

// validationErrors collects every problem.
type validationErrors []error

func (v validationErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidRule, errors.Join(v...))
}
