package rules

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// parseRuleFile loads a written rule file as Prometheus does.
func parseRuleFile(t *testing.T, path string) *rulefmt.RuleGroups {
	t.Helper()
	rgs, errs := rulefmt.ParseFile(path, false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("%s: %v", path, errs)
	}
	return rgs
}

func yamlText(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ruleAt is where a rule of a team file is: its group and its index there.
type ruleAt struct {
	group string
	index int
}

// TestTheTestsLoadExactlyTheTeamFilesRules reads what generate wrote: the
// rule files the promtool tests load, taken together, hold every rule of
// the team files, each as written there (same text, same group, same group
// settings, same order), and nothing else. So the tests test what
// Prometheus loads.
func TestTheTestsLoadExactlyTheTeamFilesRules(t *testing.T) {
	for _, path := range exampleAndGolden(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := writeGenerated(t, path, Options{})
			// Every rule of the team files, by its text and group.
			where := map[string][]ruleAt{}
			groups := map[string]string{} // group name: its settings
			teamFiles, _ := filepath.Glob(filepath.Join(dir, "rules", "*.yml"))
			for _, f := range teamFiles {
				for _, g := range parseRuleFile(t, f).Groups {
					for i, r := range g.Rules {
						text := yamlText(t, r)
						where[g.Name+"\n"+text] = append(where[g.Name+"\n"+text], ruleAt{g.Name, i})
					}
					g.Rules = nil
					groups[g.Name] = yamlText(t, g)
				}
			}
			covered := map[ruleAt]bool{}
			loaded := map[string]bool{}
			tests, _ := filepath.Glob(filepath.Join(dir, "rules", "tests", "*.yml"))
			if len(tests) == 0 {
				t.Fatal("no test files")
			}
			for _, tf := range tests {
				data, err := os.ReadFile(tf)
				if err != nil {
					t.Fatal(err)
				}
				var test TestFile
				if err := yaml.Unmarshal(data, &test); err != nil {
					t.Fatalf("%s: %v", tf, err)
				}
				var order []string
				for _, rf := range test.RuleFiles {
					p := filepath.Join(filepath.Dir(tf), filepath.FromSlash(rf))
					loaded[p] = true
					for _, g := range parseRuleFile(t, p).Groups {
						order = append(order, g.Name)
						last := -1
						for _, r := range g.Rules {
							ats := where[g.Name+"\n"+yamlText(t, r)]
							if len(ats) == 0 {
								t.Fatalf("%s: rule %s%s of group %s is not in a team file as it is here", rf, r.Record, r.Alert, g.Name)
							}
							if ats[0].index <= last {
								t.Errorf("%s: rule %s%s of group %s is out of the team file's order", rf, r.Record, r.Alert, g.Name)
							}
							last = ats[0].index
							covered[ats[0]] = true
						}
						g.Rules = nil
						if got := yamlText(t, g); got != groups[g.Name] {
							t.Errorf("%s: group settings\n%s\ndiffer from the team file's\n%s", rf, got, groups[g.Name])
						}
					}
				}
				if !slices.Equal(order, test.GroupEvalOrder) {
					t.Errorf("%s: group_eval_order %v, but its rule files have the groups %v", tf, test.GroupEvalOrder, order)
				}
			}
			for text, ats := range where {
				for _, at := range ats {
					if !covered[at] {
						t.Errorf("no test loads rule %d of group %s:\n%s", at.index+1, at.group, strings.SplitN(text, "\n", 2)[1])
					}
				}
			}
			cut, _ := filepath.Glob(filepath.Join(dir, "rules", "tests", "rules", "*.yml"))
			for _, f := range cut {
				if !loaded[f] {
					t.Errorf("no test loads %s", f)
				}
			}
		})
	}
}

func TestATestRuleFileHoldsTheRecordsItsRulesRead(t *testing.T) {
	f := RuleFile{Path: "rules/team-t.yml", team: "t", Groups: []rulefmt.RuleGroup{
		{Name: "shared", Rules: []rulefmt.Rule{
			{Record: "team:base", Expr: "sum(x)"},
			{Record: "team:derived", Expr: "team:base * 2"},
			{Record: "team:unused", Expr: "sum(y)"},
		}},
		{Name: "kpi.t", Rules: []rulefmt.Rule{
			{Record: "kpi:a:value", Expr: "a", Labels: map[string]string{"kpi": "a"}},
			{Record: "kpi:b:value", Expr: "b", Labels: map[string]string{"kpi": "b"}},
			{Record: "kpi:share", Expr: "kpi:a:value / team:derived", Labels: map[string]string{"kpi": "a"}},
			{Record: "kpi:share", Expr: "kpi:b:value / team:derived", Labels: map[string]string{"kpi": "b"}},
			{Alert: "Low", Expr: `kpi:share{kpi="a"} < 1`, Labels: map[string]string{"kpi": "a"}},
			{Alert: "KPIStale", Expr: "absent(b) == 1", Labels: map[string]string{"kpi": "b"}},
			{Alert: "High", Expr: "kpi:b:value > 1", Labels: map[string]string{"kpi": "b"}, Annotations: map[string]string{
				"summary": "{{ with printf `team:unused{kpi=%q}` $labels.kpi | query }}{{ . | first | value }}{{ end }}",
			}},
		}},
	}}
	ix, err := newRuleIndex(f)
	if err != nil {
		t.Fatal(err)
	}
	names := func(rf RuleFile) []string {
		var out []string
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				out = append(out, g.Name+" "+r.Record+r.Alert+" "+r.Labels["kpi"])
			}
		}
		return out
	}
	t.Run("a KPI's rules bring the team records they read, not another KPI's", func(t *testing.T) {
		want := []string{"shared team:base ", "shared team:derived ", "kpi.t kpi:a:value a", "kpi.t kpi:share a", "kpi.t Low a"}
		if got := names(ix.subset("rules/tests/rules/kpi-a.yml", ix.byKPI["a"])); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("an alert brings the records its annotations may query", func(t *testing.T) {
		want := []string{"shared team:unused ", "kpi.t kpi:b:value b", "kpi.t High b"}
		if got := names(ix.subset("rules/tests/rules/kpi-b.yml", ix.byKPI["b"][3:])); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("the team's rules are those of no KPI and the stale alerts", func(t *testing.T) {
		want := []string{"shared team:base ", "shared team:derived ", "shared team:unused ", "kpi.t KPIStale b"}
		if got := names(ix.teamRules()); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
