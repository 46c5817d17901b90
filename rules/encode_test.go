package rules

import (
	"bytes"
	"maps"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// TestAppendRulesIsYAMLv3 holds the hand-written renderer to yaml.v3's bytes
// for every KPI of the golden catalogs and for scalars whose style yaml.v3
// decides by content.
func TestAppendRulesIsYAMLv3(t *testing.T) {
	var sets [][]rulefmt.Rule
	paths := exampleAndGolden(t)
	for _, p := range paths {
		c := load(t, p)
		for _, k := range c.KPIs {
			sets = append(sets, newKPICtx(c, k).rules())
		}
	}
	for _, s := range []string{
		"plain text", "ends in a colon:", "a: b", "a #b", "a#b", "it's", "it's: quoted", "",
		"0", "0 * x + 1", "1.5", "2001-12-14", "2001-12-14 21:59:43.10", "-", "- x", "-x", "? x", "?x",
		":x", "x:y", "true", "True", "yes", "on", "No", "null", "~", ".inf", ".5", "+1", "0x1F", "0o17",
		"1:20", "<<", "<x", "trailing ", " leading", "(x) > 1", "_x", "{{ $value }}", "[a]", "a [b]",
		"a, b", "*x", "&x", "!x", "|x", "%x", "@x", "`x`", "'x'", "\"x\"", "x'y", "---", "...", "a\tb",
		"a\nb", "é", "a\rb", "2h", "1d", "0s", "5m30s",
	} {
		sets = append(sets, []rulefmt.Rule{{
			Alert: "A", Expr: s, For: model.Duration(7200e9),
			Labels:      map[string]string{"v": s, "k": "x"},
			Annotations: map[string]string{"summary": s, "x10": s, "x9": s, "X_a": s, "x_a": s, "xa": s},
		}})
	}
	sets = append(sets, []rulefmt.Rule{{Record: "r", Expr: "x"}, {Record: "r2", Expr: "y", Labels: map[string]string{}}})
	for _, rs := range sets {
		want, err := appendRulesYAML(nil, rs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendRules(nil, rs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("rendered\n%s\nyaml.v3 renders\n%s", got, want)
		}
	}
}

// FuzzAppendScalarIsYAMLv3 checks single scalars and keys against yaml.v3.
func FuzzAppendScalarIsYAMLv3(f *testing.F) {
	for _, s := range []string{"a: b", "0 * x", "it's", "x #y", "true", "2001-12-14 1:2:3", "_a"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		rs := []rulefmt.Rule{{Alert: v, Expr: v, Labels: map[string]string{k: v, "x" + k: v}}}
		want, err := appendRulesYAML(nil, rs)
		if err != nil {
			t.Skip()
		}
		got, err := appendRules(nil, rs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("rendered\n%q\nyaml.v3 renders\n%q", got, want)
		}
	})
}

// TestRuleFilesLoadBackAsTheValidatedRules loads every rendered rule file
// with rulefmt, strictly, as Prometheus does, and requires exactly the
// groups and rules Build validated.
func TestRuleFilesLoadBackAsTheValidatedRules(t *testing.T) {
	paths := exampleAndGolden(t)
	for _, p := range paths {
		s, err := Build(load(t, p))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Files {
			data, err := f.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, errs := rulefmt.Parse(data, false, model.LegacyValidation, parser.NewParser(parser.Options{}), promslog.NewNopLogger())
			if len(errs) > 0 {
				t.Fatalf("%s: %v", f.Path, errs)
			}
			if len(got.Groups) != len(f.Groups) {
				t.Fatalf("%s: %d groups load, %d built", f.Path, len(got.Groups), len(f.Groups))
			}
			for i, g := range got.Groups {
				want := f.Groups[i]
				if g.Name != want.Name || len(g.Rules) != len(want.Rules) {
					t.Fatalf("%s: group %s of %d rules loads as %s of %d", f.Path, want.Name, len(want.Rules), g.Name, len(g.Rules))
				}
				for j, r := range g.Rules {
					w := want.Rules[j]
					if r.Record != w.Record || r.Alert != w.Alert || r.Expr != w.Expr || r.For != w.For || r.KeepFiringFor != w.KeepFiringFor ||
						!maps.Equal(r.Labels, w.Labels) || !maps.Equal(r.Annotations, w.Annotations) {
						t.Errorf("%s: rule %d of %s loads as %+v, built %+v", f.Path, j, g.Name, r, w)
					}
				}
			}
		}
	}
}
