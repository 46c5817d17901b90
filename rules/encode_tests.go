package rules

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// AppendEncoded appends the test file, headed, to dst: the bytes yaml.v3's
// Encoder with indent 2 writes for it, without its reflection and emitter.
// A test group holding a scalar whose style it cannot tell for certain is
// rendered by yaml.v3, and the whole file when its head holds one.
// TestAppendTestsIsYAMLv3 holds the two paths to the same bytes.
func (f TestFile) AppendEncoded(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, Header...)
	dst, ok := appendTestFileHead(dst, &f)
	if !ok {
		data, err := encodeYAML(f)
		if err != nil {
			return nil, err
		}
		return append(dst[:start], data...), nil
	}
	if len(f.Tests) == 0 {
		return append(dst, "tests: []\n"...), nil
	}
	dst = append(dst, "tests:\n"...)
	for i := range f.Tests {
		g := &f.Tests[i]
		mark := len(dst)
		if dst, ok = appendTestGroup(dst, g); ok {
			continue
		}
		var err error
		if dst, err = appendTestGroupYAML(dst[:mark], g); err != nil {
			return nil, fmt.Errorf("test %q: %w", g.Name, err)
		}
	}
	return dst, nil
}

// appendTestFileHead appends the fields before the tests.
func appendTestFileHead(dst []byte, f *TestFile) (_ []byte, ok bool) {
	if len(f.RuleFiles) == 0 {
		dst = append(dst, "rule_files: []\n"...)
	} else {
		dst = append(dst, "rule_files:\n"...)
		for _, p := range f.RuleFiles {
			dst = append(dst, "  - "...)
			if dst, ok = appendTestScalar(dst, p); !ok {
				return dst, false
			}
			dst = append(dst, '\n')
		}
	}
	dst = append(dst, "evaluation_interval: "...)
	if dst, ok = appendDuration(dst, f.EvaluationInterval); !ok {
		return dst, false
	}
	dst = append(dst, '\n')
	if len(f.GroupEvalOrder) > 0 {
		dst = append(dst, "group_eval_order:\n"...)
		for _, g := range f.GroupEvalOrder {
			dst = append(dst, "  - "...)
			if dst, ok = appendTestScalar(dst, g); !ok {
				return dst, false
			}
			dst = append(dst, '\n')
		}
	}
	return dst, true
}

// appendTestGroupYAML renders one test group with yaml.v3, as an item of
// the file's tests: encoding it under the same key puts it at the depth
// it has in the file, so its block scalars are indented as they would be.
func appendTestGroupYAML(dst []byte, g *TestGroup) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Tests []TestGroup `yaml:"tests"`
	}{[]TestGroup{*g}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	item, ok := bytes.CutPrefix(buf.Bytes(), []byte("tests:\n"))
	if !ok {
		return nil, fmt.Errorf("yaml.v3 rendered a test group as %q", buf.Bytes())
	}
	return append(dst, item...), nil
}

// Where each level of a test group sits: an item's first line starts with
// "- " two columns left of its fields.
const (
	groupItem   = "  - "
	groupField  = "    "
	caseItem    = "      - "
	caseField   = "        "
	expectItem  = "          - "
	expectField = "            "
	expectEntry = "              "
)

// appendTestGroup appends one test group in TestGroup's field order; ok is
// false when a scalar is one it leaves to yaml.v3.
func appendTestGroup(dst []byte, g *TestGroup) (_ []byte, ok bool) {
	dst = append(dst, groupItem+"name: "...)
	if dst, ok = appendTestScalar(dst, g.Name); !ok {
		return dst, false
	}
	dst = append(dst, "\n"+groupField+"interval: "...)
	if dst, ok = appendDuration(dst, g.Interval); !ok {
		return dst, false
	}
	if len(g.InputSeries) == 0 {
		dst = append(dst, "\n"+groupField+"input_series: []\n"...)
	} else {
		dst = append(dst, "\n"+groupField+"input_series:\n"...)
	}
	for i := range g.InputSeries {
		in := &g.InputSeries[i]
		dst = append(dst, caseItem+"series: "...)
		if dst, ok = appendTestScalar(dst, in.Series); !ok {
			return dst, false
		}
		dst = append(dst, "\n"+caseField+"values: "...)
		if dst, ok = appendTestScalar(dst, in.Values); !ok {
			return dst, false
		}
		dst = append(dst, '\n')
	}
	if len(g.AlertRuleTests) > 0 {
		dst = append(dst, groupField+"alert_rule_test:\n"...)
	}
	for i := range g.AlertRuleTests {
		if dst, ok = appendAlertTest(dst, &g.AlertRuleTests[i]); !ok {
			return dst, false
		}
	}
	if len(g.PromqlExprTests) > 0 {
		dst = append(dst, groupField+"promql_expr_test:\n"...)
	}
	for i := range g.PromqlExprTests {
		if dst, ok = appendExprTest(dst, &g.PromqlExprTests[i]); !ok {
			return dst, false
		}
	}
	return dst, true
}

func appendAlertTest(dst []byte, t *AlertTest) (_ []byte, ok bool) {
	dst = append(dst, caseItem+"eval_time: "...)
	if dst, ok = appendDuration(dst, t.EvalTime); !ok {
		return dst, false
	}
	dst = append(dst, "\n"+caseField+"alertname: "...)
	if dst, ok = appendTestScalar(dst, t.Alertname); !ok {
		return dst, false
	}
	if len(t.ExpAlerts) == 0 {
		return append(dst, "\n"+caseField+"exp_alerts: []\n"...), true
	}
	dst = append(dst, "\n"+caseField+"exp_alerts:\n"...)
	for i := range t.ExpAlerts {
		a := &t.ExpAlerts[i]
		if dst, ok = appendTestMap(dst, expectItem+"exp_labels:", a.ExpLabels); !ok {
			return dst, false
		}
		if dst, ok = appendTestMap(dst, expectField+"exp_annotations:", a.ExpAnnotations); !ok {
			return dst, false
		}
	}
	return dst, true
}

// appendTestMap appends key and the string map m below it, or {} when m
// is empty, which yaml.v3 writes for a nil map as well.
func appendTestMap(dst []byte, key string, m map[string]string) (_ []byte, ok bool) {
	if len(m) == 0 {
		dst = append(dst, key...)
		return append(dst, " {}\n"...), true
	}
	dst = append(dst, key...)
	dst = append(dst, '\n')
	for _, k := range yamlSortedKeys(m) {
		if len(k) > 128 || hasLongDigitRun(k) {
			return dst, false
		}
		dst = append(dst, expectEntry...)
		if dst, ok = appendTestScalar(dst, k); !ok {
			return dst, false
		}
		dst = append(dst, ": "...)
		if dst, ok = appendTestScalar(dst, m[k]); !ok {
			return dst, false
		}
		dst = append(dst, '\n')
	}
	return dst, true
}

func appendExprTest(dst []byte, t *ExprTest) (_ []byte, ok bool) {
	dst = append(dst, caseItem+"expr: "...)
	if dst, ok = appendTestScalar(dst, t.Expr); !ok {
		return dst, false
	}
	dst = append(dst, "\n"+caseField+"eval_time: "...)
	if dst, ok = appendDuration(dst, t.EvalTime); !ok {
		return dst, false
	}
	if len(t.ExpSamples) == 0 {
		return append(dst, "\n"+caseField+"exp_samples: []\n"...), true
	}
	dst = append(dst, "\n"+caseField+"exp_samples:\n"...)
	for i := range t.ExpSamples {
		s := &t.ExpSamples[i]
		dst = append(dst, expectItem+"labels: "...)
		if dst, ok = appendTestScalar(dst, s.Labels); !ok {
			return dst, false
		}
		dst = append(dst, "\n"+expectField+"value: "...)
		dst = appendYAMLFloat(dst, s.Value)
		dst = append(dst, '\n')
	}
	return dst, true
}

// appendYAMLFloat appends v as yaml.v3 writes a float64: the shortest 'g'
// form that reads back as v ("1", "0.5", "1e+21", "-0"), plain, with
// YAML's spellings of the infinities and NaN.
func appendYAMLFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(dst, ".inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-.inf"...)
	case math.IsNaN(v):
		return append(dst, ".nan"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendTestScalar appends a one-line scalar as yaml.v3 renders it. To
// appendScalar's cases it adds those test files are full of: strings that
// start like a number, such as sample lists ("0 1.5 3", "20000x33"), which
// yaml.v3 writes plain unless they read as a number, and "0x33", which
// reads as a hexadecimal int, so yaml.v3 double-quotes it.
func appendTestScalar(dst []byte, s string) ([]byte, bool) {
	switch numberLike(s) {
	case plainString:
		return append(dst, s...), true
	case quotedInt:
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), true
	}
	return appendScalar(dst, s)
}

// numberLikeStyle is how yaml.v3 writes a string that starts like a number.
type numberLikeStyle int

const (
	unsure      numberLikeStyle = iota // not number-like, or left to appendScalar
	plainString                        // reads back as the string, no indicator
	quotedInt                          // "0x" and hex digits, double-quoted
)

// numberLike tells the style of a printable ASCII string that starts with a
// digit, or a sign and a digit, when it is certain from yaml.v3's resolver
// (resolve.go): a string that does not start with four digits and a dash
// (a timestamp's start) and holds a byte no int, float or base-60 float
// has (anything but digits, ".eE+-:_") reads back as a string, unless a
// "0x", "0o" or "0b" prefix or an underscore (which yaml.v3 drops before
// parsing) changes the alphabet. Such a string needs quotes only for the
// indicators appendScalar knows, or a trailing space.
func numberLike(s string) numberLikeStyle {
	body := s
	if len(body) > 1 && (body[0] == '-' || body[0] == '+') {
		body = body[1:]
	}
	if body == "" || body[0] < '0' || body[0] > '9' {
		return unsure
	}
	if len(s) > 4 && s[4] == '-' && isDigits(s[:4]) {
		return unsure
	}
	if len(body) > 1 && body[0] == '0' {
		switch body[1] {
		case 'x', 'X':
			// Up to 15 hex digits always fit ParseInt's int64.
			if len(body) > 2 && len(body) <= 17 && isHexDigits(body[2:]) {
				return quotedInt
			}
			return unsure
		case 'o', 'O', 'b', 'B':
			return unsure
		}
	}
	word := false
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e || c == '_':
			return unsure
		case c == ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return unsure
			}
		case c == '#':
			if s[i-1] == ' ' {
				return unsure
			}
		case c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
		default:
			word = true
		}
	}
	if !word || s[len(s)-1] == ' ' {
		return unsure
	}
	return plainString
}

// hasLongDigitRun reports whether k holds a run of 19 or more digits.
// yaml.v3's key order sums a run of digits into an int64, which such a run
// can overflow; the order is then not a total order, so yaml.v3 writes
// such keys in an order that depends on the map's iteration. (yaml.v3 also
// writes a key over 128 bytes as a complex "? " key; appendTestMap leaves
// both to it.)
func hasLongDigitRun(k string) bool {
	run := 0
	for i := range len(k) {
		if k[i] < '0' || k[i] > '9' {
			run = 0
		} else if run++; run >= 19 {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHexDigits(s string) bool {
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
