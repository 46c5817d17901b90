package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	commontemplates "github.com/prometheus/common/helpers/templates"
	"github.com/prometheus/common/model"
)

// expandFast expands an alert annotation the way Prometheus' template
// Expander does, for the few template actions this package writes (kpi.go
// title and queryValue, catalog.KPI.HumanizeTemplate, staleness.go):
//
//	{{ $labels.NAME }}
//	{{ $value | FUNC }}   {{ printf "FMT" $value }}
//	{{ with printf `SELECTOR` $labels.A ... | query }}...{{ else }}...{{ end }}
//	{{ (. | first | value) | FUNC }}   {{ printf "FMT" (. | first | value) }}
//
// where FUNC is one of Prometheus' humanize functions. The tests expect an
// alert's annotations for every firing they predict, and Prometheus parses
// each text anew for every expansion, which was most of what generating the
// tests of 10,000 KPIs cost. Any other action, a label the alert does not
// carry, or a query it cannot answer for certain, makes ok false and render
// asks the real Expander; TestExpandFastIsExpander holds both to the same
// output.
//
// With lbls nil it only checks the text's syntax (see knownTemplate).
func expandFast(text string, lbls map[string]string, value float64, values map[string]float64) (_ string, ok bool) {
	var b strings.Builder
	b.Grow(len(text))
	// In a with block: whether its query found a sample, and its value.
	inWith, found, dot := false, false, 0.0
	// skipping is true in the branch of a with block that is not taken.
	skipping := false
	for text != "" {
		i := strings.Index(text, "{{")
		if i < 0 {
			if !skipping {
				b.WriteString(text)
			}
			break
		}
		if !skipping {
			b.WriteString(text[:i])
		}
		end := actionEnd(text, i+2)
		if end < 0 {
			return "", false
		}
		action := text[i+2 : end]
		text = text[end+2:]
		if len(action) < 2 || action[0] != ' ' || action[len(action)-1] != ' ' {
			return "", false
		}
		action = action[1 : len(action)-1]
		switch {
		case action == "else":
			if !inWith {
				return "", false
			}
			skipping = found
		case action == "end":
			if !inWith {
				return "", false
			}
			inWith, skipping = false, false
		case strings.HasPrefix(action, "with "):
			if inWith {
				return "", false
			}
			v, has, ok := queryAction(action[len("with "):], lbls, values)
			if !ok {
				return "", false
			}
			inWith, found, dot, skipping = true, has, v, !has
		case skipping:
			// The branch not taken: its actions are never run, but they
			// must still be ones this function knows.
			if _, ok := valueAction(action, lbls, 0, inWith); !ok {
				return "", false
			}
		default:
			v := value
			if inWith {
				v = dot
			}
			s, ok := valueAction(action, lbls, v, inWith)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
	}
	if inWith {
		return "", false
	}
	return b.String(), true
}

// knownTemplate reports whether text uses only the actions expandFast
// knows, correctly nested. Each of them is a pipeline Go's template parser
// accepts, with variables Prometheus defines and functions it registers, so
// such a text parses as a Prometheus alert template: the validator need not
// run the parser on it (FuzzKnownTemplatesParse). Parsing was the larger
// part of validating 10,000 KPIs' rules.
func knownTemplate(text string) bool {
	_, ok := expandFast(text, nil, 0, nil)
	return ok
}

// actionEnd returns the index of the "}}" that closes the action starting at
// from, outside quoted and raw strings, or -1.
func actionEnd(text string, from int) int {
	var quote byte
	for i := from; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`':
			quote = c
		case c == '}' && i+1 < len(text) && text[i+1] == '}':
			return i
		}
	}
	return -1
}

// valueAction renders {{ $labels.NAME }}, or the value ($value, or the with
// block's sample in one) through a humanize function or printf.
func valueAction(action string, lbls map[string]string, v float64, inWith bool) (string, bool) {
	if name, ok := strings.CutPrefix(action, "$labels."); ok {
		if lbls == nil {
			return "", isIdent(name)
		}
		l, ok := lbls[name]
		return l, ok && isIdent(name)
	}
	arg := "$value"
	if inWith {
		arg = "(. | first | value)"
	}
	if f, ok := strings.CutPrefix(action, arg+" | "); ok {
		return humanizeFunc(f, v)
	}
	if rest, ok := strings.CutPrefix(action, "printf "); ok {
		format, ok := strings.CutSuffix(rest, " "+arg)
		if !ok || len(format) < 2 || format[0] != '"' {
			return "", false
		}
		f, err := strconv.Unquote(format)
		if err != nil || strings.Count(f, "%")-2*strings.Count(f, "%%") != 1 {
			return "", false
		}
		return fmt.Sprintf(f, v), true
	}
	return "", false
}

// queryAction answers `printf `SELECTOR` $labels.A ... | query` from values,
// by the selector's metric name, as render's query function does. It takes
// only selectors whose label values %q leaves unescaped, so that the name it
// reads is the name PromQL would parse.
func queryAction(action string, lbls map[string]string, values map[string]float64) (v float64, found, ok bool) {
	pipe, ok := strings.CutSuffix(action, " | query")
	if !ok {
		return 0, false, false
	}
	rest, ok := strings.CutPrefix(pipe, "printf `")
	if !ok {
		return 0, false, false
	}
	j := strings.IndexByte(rest, '`')
	if j < 0 {
		return 0, false, false
	}
	sel, args := rest[:j], strings.Fields(rest[j+1:])
	if len(args) > 0 && rest[j+1:] != " "+strings.Join(args, " ") || len(args) == 0 && rest[j+1:] != "" {
		// Arguments are separated from the format and from each other
		// by one space, as this package writes them.
		return 0, false, false
	}
	if strings.Count(sel, "%") != len(args) || strings.Count(sel, "%q") != len(args) {
		return 0, false, false
	}
	for _, a := range args {
		name, ok := strings.CutPrefix(a, "$labels.")
		if !ok || !isIdent(name) {
			return 0, false, false
		}
		if lbls == nil {
			continue
		}
		l, ok := lbls[name]
		if !ok || !plainLabelValue(l) {
			return 0, false, false
		}
	}
	name, matchers, ok := strings.Cut(sel, "{")
	matchers, closed := strings.CutSuffix(matchers, "}")
	if !ok || !closed || !model.LegacyValidation.IsValidMetricName(name) {
		return 0, false, false
	}
	if matchers != "" {
		for _, m := range strings.Split(matchers, ",") {
			l, ok := strings.CutSuffix(m, "=%q")
			if !ok || !isIdent(l) {
				return 0, false, false
			}
		}
	}
	v, found = values[name]
	return v, found, true
}

// plainLabelValue reports whether %q quotes s as itself between quotes.
func plainLabelValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func isIdent(s string) bool {
	return s != "" && model.LegacyValidation.IsValidLabelName(s)
}

// humanizeFunc applies one of Prometheus' humanize template functions.
func humanizeFunc(name string, v float64) (string, bool) {
	switch name {
	case "humanize":
		return humanizeSI(v), true
	case "humanize1024":
		return humanizeBinary(v), true
	case "humanizePercentage":
		return fmt.Sprintf("%.4g%%", v*100), true
	case "humanizeDuration":
		s, err := commontemplates.HumanizeDuration(v)
		return s, err == nil
	}
	return "", false
}

// humanizeSI is Prometheus' humanize: four significant digits with an SI
// prefix, k to Y for large values and m to y for small ones.
func humanizeSI(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	prefix := ""
	if math.Abs(v) >= 1 {
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix, v = p, v/1000
		}
	} else {
		for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
			if math.Abs(v) >= 1 {
				break
			}
			prefix, v = p, v*1000
		}
	}
	return fmt.Sprintf("%.4g%s", v, prefix)
}

// humanizeBinary is Prometheus' humanize1024: four significant digits with
// a binary prefix, ki to Yi.
func humanizeBinary(v float64) string {
	if math.Abs(v) <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	prefix := ""
	for _, p := range []string{"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"} {
		if math.Abs(v) < 1024 {
			break
		}
		prefix, v = p, v/1024
	}
	return fmt.Sprintf("%.4g%s", v, prefix)
}
