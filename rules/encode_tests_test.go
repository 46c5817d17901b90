package rules

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testFiles builds the catalog's rules and their promtool test files.
func testFiles(t testing.TB, c *catalog.Catalog) []TestFile {
	t.Helper()
	s, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := s.Tests(c)
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// requireYAMLv3Bytes fails unless f renders, by Encode and appended after
// other bytes, as yaml.v3 renders it.
func requireYAMLv3Bytes(t *testing.T, f TestFile) {
	t.Helper()
	want, err := encodeYAML(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: rendered\n%s\nyaml.v3 renders\n%s", f.Path, got, want)
	}
	appended, err := f.AppendEncoded([]byte("before\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appended, append([]byte("before\n"), want...)) {
		t.Fatalf("%s: appended after other bytes, rendered\n%s", f.Path, appended)
	}
}

// TestAppendTestsIsYAMLv3 holds the hand-written renderer of the promtool
// test files to yaml.v3's bytes for the example and golden catalogs.
func TestAppendTestsIsYAMLv3(t *testing.T) {
	paths := map[string]string{"config.example": "../config.example.yaml"}
	for name, p := range goldenCatalogs(t) {
		paths[name] = p
	}
	for name, p := range paths {
		t.Run(name, func(t *testing.T) {
			tf := testFiles(t, load(t, p))
			if len(tf) == 0 {
				t.Fatal("no test files generated")
			}
			for _, f := range tf {
				requireYAMLv3Bytes(t, f)
			}
		})
	}
}

// awkwardScalars are strings whose style yaml.v3 decides by content.
var awkwardScalars = []string{
	"plain text", "ends in a colon:", "a: b", "a #b", "a#b", "it's", "it's: quoted", "",
	"0", "0 * x + 1", "1.5", "2001-12-14", "2001-12-14 21:59:43.10", "2001-12-14 x", "1999", "-", "- x", "-x",
	"? x", "?x", ":x", "x:y", "true", "True", "yes", "on", "No", "null", "~", ".inf", "-.inf", ".5", "+1",
	"0x1F", "0x33", "-0x33", "+0x33", "0X1f", "0x", "0xg", "0x123456789abcdef", "0x123456789abcdef0",
	"0x1 2", "0o17", "0b101", "-0b1", "0_x33", "1_000", "1_000 x", "0777", "0778", "0.5x10", "1:20",
	"1:20 x", "1: x", "1 #x", "1#x", "1 x ", "1e5", "1e5x", "1E+5", "-1e-5", "1.", "-5x10", "+5x10",
	"5 -3", "20000x33", "0x0", "0 1.5 3", "1..2", "1 2", "-1 -2", "1-2", "1--", "12-3-4", "1234-5",
	"1234-x", "1234-05-06", "12345-6", "-1234-05-06", "1\t2", "1 é", "<<", "<x", "trailing ",
	" leading", "(x) > 1", "_x", "{{ $value }}", "[a]", "a [b]", "a, b", "*x", "&x", "!x", "|x",
	"%x", "@x", "`x`", "'x'", "\"x\"", "x'y", "---", "...", "a\tb", "a\nb", "a\n\nb\n", "é", "a\rb",
	"2h", "1d", "0s", "5m30s", "kpi_x{job=\"a\"}", "x1234567890123456789",
}

// TestAppendTestsIsYAMLv3ForAwkwardScalars puts each awkward scalar in every
// place a test file holds a string, and awkward floats in exp_samples.
func TestAppendTestsIsYAMLv3ForAwkwardScalars(t *testing.T) {
	for _, s := range awkwardScalars {
		t.Run(s, func(t *testing.T) {
			requireYAMLv3Bytes(t, awkwardTestFile(s, 1))
		})
	}
	for _, v := range []float64{
		0, math.Copysign(0, -1), 1, -1, 100, 0.5, 1e6, 123456789, 1e20, 1e21, 1.5e-7, 1e-5, 0.0001,
		1.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN(),
	} {
		t.Run(awkwardFloatName(v), func(t *testing.T) {
			requireYAMLv3Bytes(t, awkwardTestFile("x", v))
		})
	}
}

func awkwardFloatName(v float64) string { return string(appendYAMLFloat(nil, v)) }

// awkwardTestFile is a test file with s in every string and v as every
// expected sample's value.
func awkwardTestFile(s string, v float64) TestFile {
	m := map[string]string{s: s, "x" + s: s, "summary": s, "x10": s, "x9": s, "X_a": s, "x_a": s, "xa": s}
	return TestFile{
		Path:               s,
		RuleFiles:          []string{s, "../x.yml"},
		EvaluationInterval: model.Duration(time.Minute),
		GroupEvalOrder:     []string{s},
		Tests: []TestGroup{
			{Name: "plain group", Interval: model.Duration(time.Hour), InputSeries: []InputSeries{{Series: "a", Values: "1 2"}}},
			{
				Name: s, Interval: model.Duration(90 * time.Second),
				InputSeries: []InputSeries{{Series: s, Values: s}, {Series: "b", Values: "0x3"}},
				AlertRuleTests: []AlertTest{
					{EvalTime: model.Duration(15*24*time.Hour + 12*time.Hour), Alertname: s, ExpAlerts: []ExpAlert{{ExpLabels: m, ExpAnnotations: m}, {}}},
					{Alertname: "A", ExpAlerts: []ExpAlert{}},
					{Alertname: "B"},
				},
				PromqlExprTests: []ExprTest{
					{Expr: s, EvalTime: model.Duration(time.Minute), ExpSamples: []ExpSample{{Labels: s, Value: v}, {Labels: "x", Value: v}}},
					{Expr: "y", ExpSamples: []ExpSample{}},
					{Expr: "z"},
				},
			},
			{Name: "empty group"},
			{Name: "long key", InputSeries: []InputSeries{}, AlertRuleTests: []AlertTest{{ExpAlerts: []ExpAlert{{ExpLabels: map[string]string{string(bytes.Repeat([]byte("k"), 129)): "v", "k": "v"}}}}}},
		},
	}
}

// TestAppendTestsIsYAMLv3ForEmptyFiles covers the fields yaml.v3 writes as
// [] when nil or empty, and the one it omits.
func TestAppendTestsIsYAMLv3ForEmptyFiles(t *testing.T) {
	for name, f := range map[string]TestFile{
		"zero file":             {},
		"empty slices":          {RuleFiles: []string{}, GroupEvalOrder: []string{}, Tests: []TestGroup{}},
		"rule files, no tests":  {RuleFiles: []string{"a.yml"}, EvaluationInterval: model.Duration(time.Hour)},
		"awkward head, a group": {RuleFiles: []string{"a\nb"}, Tests: []TestGroup{{Name: "g"}}},
	} {
		t.Run(name, func(t *testing.T) { requireYAMLv3Bytes(t, f) })
	}
}

// FuzzAppendTestsIsYAMLv3 checks a test file holding arbitrary strings and
// a float against yaml.v3.
func FuzzAppendTestsIsYAMLv3(f *testing.F) {
	for _, s := range []string{"a: b", "0 1.5 3", "20000x33", "0x33", "it's", "1234-5-6", "1_0", "-5x10"} {
		f.Add(s, 0.5)
	}
	f.Fuzz(func(t *testing.T, s string, v float64) {
		if hasLongDigitRun(s) || strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII && unicode.IsDigit(r) }) {
			// yaml.v3's key order is not a total order over such keys,
			// so its own output depends on the map's iteration.
			t.Skip()
		}
		requireYAMLv3Bytes(t, awkwardTestFile(s, v))
	})
}

// TestGoldenTestFilesRenderWithoutYAMLv3 keeps the fast path the path the
// generated test files take: a generator change that makes groups fall
// back to yaml.v3 would still render the same bytes, only ten times slower.
func TestGoldenTestFilesRenderWithoutYAMLv3(t *testing.T) {
	paths := map[string]string{"config.example": "../config.example.yaml"}
	for name, p := range goldenCatalogs(t) {
		paths[name] = p
	}
	for name, p := range paths {
		for _, f := range testFiles(t, load(t, p)) {
			if _, ok := appendTestFileHead(nil, &f); !ok {
				t.Errorf("%s: %s: the head of the file falls back to yaml.v3", name, f.Path)
			}
			for i := range f.Tests {
				if _, ok := appendTestGroup(nil, &f.Tests[i]); !ok {
					t.Errorf("%s: %s: test %q falls back to yaml.v3", name, f.Path, f.Tests[i].Name)
				}
			}
		}
	}
}

// FuzzAppendTestScalarIsYAMLv3 checks single scalars, many times faster
// than a whole file, against yaml.v3's rendering of the string alone, which
// for one-line scalars is its rendering as a mapping value.
func FuzzAppendTestScalarIsYAMLv3(f *testing.F) {
	for _, s := range awkwardScalars {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendTestScalar(nil, s)
		if !ok {
			t.Skip()
		}
		want, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != string(want) {
			t.Errorf("%q renders as %s, yaml.v3 renders %s", s, got, want)
		}
	})
}
