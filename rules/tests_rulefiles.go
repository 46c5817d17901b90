package rules

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testRulesDir holds the rule files the promtool tests load, cut from the
// team rule files: promtool evaluates every rule of a test file's rule files
// for each of its test groups, so a test that loads only the rules it tests
// keeps a team's tests linear in its size. Prometheus loads the team files;
// these are for the tests only, below tests/ so that neither a rules/*.yml
// glob nor tests/*.yml picks them up.
const testRulesDir = testsDir + "/rules"

// testRulesComment heads every test rule file, naming its team file.
const testRulesComment = "Rules cut from %s for the promtool tests in " + testsDir + ".\nPrometheus loads that file, not this one.\n"

func teamTestRulesFile(team string) string { return testRulesDir + "/team-" + team + ".yml" }

// rulePos is a rule of a file: its group's index and its own in the group.
type rulePos struct{ g, r int }

func (a rulePos) compare(b rulePos) int { return cmp.Or(cmp.Compare(a.g, b.g), cmp.Compare(a.r, b.r)) }

// ruleIndex is a rule file with, for each rule, the series selectors it
// reads and where each recorded name is recorded: enough to cut out a set of
// rules together with every record they read.
type ruleIndex struct {
	f     RuleFile
	reads map[rulePos][]*parser.VectorSelector
	// named are the names in each rule's annotations: their templates may
	// query any of them when the alert fires (queryValue builds such
	// queries with printf, so they are only known as text).
	named   map[rulePos][]string
	records map[string][]rulePos
	// byKPI are the rules by their kpi label ("" for team rules).
	byKPI map[string][]rulePos
}

// newRuleIndex parses every expression of f with the PromQL parser.
func newRuleIndex(f RuleFile) (*ruleIndex, error) {
	ix := &ruleIndex{f: f, reads: map[rulePos][]*parser.VectorSelector{}, named: map[rulePos][]string{}, records: map[string][]rulePos{}, byKPI: map[string][]rulePos{}}
	p := parser.NewParser(parser.Options{})
	for gi, g := range f.Groups {
		for ri, r := range g.Rules {
			at := rulePos{gi, ri}
			e, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("group %s rule %d: %w", g.Name, ri+1, err)
			}
			ix.reads[at] = selectorsOf(e)
			for _, text := range r.Annotations {
				if strings.Contains(text, "{{") {
					ix.named[at] = append(ix.named[at], nameRE.FindAllString(text, -1)...)
				}
			}
			if r.Record != "" {
				ix.records[r.Record] = append(ix.records[r.Record], at)
			}
			k := r.Labels[catalog.LabelKPI]
			ix.byKPI[k] = append(ix.byKPI[k], at)
		}
	}
	return ix, nil
}

// nameRE matches what may be a metric name in a text.
var nameRE = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// selectorsOf are the vector selectors of e, those of range selectors and
// subqueries included.
func selectorsOf(e parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

func (ix *ruleIndex) rule(at rulePos) rulefmt.Rule { return ix.f.Groups[at.g].Rules[at.r] }

// mayRead reports whether selector vs may select what the rule at records:
// its name, and no matcher that the rule's own labels contradict.
func (ix *ruleIndex) mayRead(vs *parser.VectorSelector, at rulePos) bool {
	r := ix.rule(at)
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName {
			continue
		}
		if v, ok := r.Labels[m.Name]; ok && !m.Matches(v) {
			return false
		}
	}
	return true
}

// subset is the rule file at path holding the rules of seeds and every
// record of the file they read, directly, through other records or in
// their annotations: the same rule values, in the same groups and order.
func (ix *ruleIndex) subset(path string, seeds []rulePos) RuleFile {
	return ix.cut(path, ix.closure(seeds))
}

// closure are seeds and every record of the file they read, directly,
// through other records or in their annotations, in file order.
func (ix *ruleIndex) closure(seeds []rulePos) []rulePos {
	in := map[rulePos]bool{}
	var todo, all []rulePos
	add := func(at rulePos) {
		if !in[at] {
			in[at] = true
			todo = append(todo, at)
			all = append(all, at)
		}
	}
	for _, at := range seeds {
		add(at)
	}
	for len(todo) > 0 {
		at := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, vs := range ix.reads[at] {
			for _, rec := range ix.records[vs.Name] {
				if ix.mayRead(vs, rec) {
					add(rec)
				}
			}
		}
		for _, name := range ix.named[at] {
			for _, rec := range ix.records[name] {
				add(rec)
			}
		}
	}
	slices.SortFunc(all, rulePos.compare)
	return all
}

// cut is the rule file at path holding the rules at rs, in file order.
func (ix *ruleIndex) cut(path string, rs []rulePos) RuleFile {
	out := RuleFile{Path: path, team: ix.f.team}
	last := -1
	for _, at := range rs {
		if at.g != last {
			g := ix.f.Groups[at.g]
			g.Rules = nil
			out.Groups = append(out.Groups, g)
			last = at.g
		}
		g := &out.Groups[len(out.Groups)-1]
		g.Rules = append(g.Rules, ix.rule(at))
	}
	return out
}

// read are the rules whose results the test groups of a KPI read: the
// records their expressions select and the KPI's alerts they name. Only
// those need to be loaded with their records (subset): the others cannot
// change what the tests see.
func (ix *ruleIndex) read(kpi string, tests []TestGroup) ([]rulePos, error) {
	p := parser.NewParser(parser.Options{})
	alerts := map[string]bool{}
	var sels []*parser.VectorSelector
	for _, g := range tests {
		for _, a := range g.AlertRuleTests {
			alerts[a.Alertname] = true
		}
		for _, e := range g.PromqlExprTests {
			expr, err := p.ParseExpr(e.Expr)
			if err != nil {
				return nil, fmt.Errorf("test %q: %w", g.Name, err)
			}
			sels = append(sels, selectorsOf(expr)...)
		}
	}
	var out []rulePos
	for _, at := range ix.byKPI[kpi] {
		if alerts[ix.rule(at).Alert] {
			out = append(out, at)
		}
	}
	for _, vs := range sels {
		for _, at := range ix.records[vs.Name] {
			if ix.mayRead(vs, at) && !slices.Contains(out, at) {
				out = append(out, at)
			}
		}
	}
	return out, nil
}

// teamRules are the rules the team tests (teamTests) load: the file's
// rules that belong to no KPI (the source outage alerts), every KPI's stale
// alert, and what they read.
func (ix *ruleIndex) teamRules() RuleFile {
	seeds := slices.Clone(ix.byKPI[""])
	for k, ats := range ix.byKPI {
		if k == "" {
			continue
		}
		for _, at := range ats {
			if ix.rule(at).Alert == catalog.AlertStale {
				seeds = append(seeds, at)
			}
		}
	}
	return ix.subset(teamTestRulesFile(ix.f.team), seeds)
}

// groupNames are the names of f's groups, in order: a test file's
// group_eval_order.
func (f RuleFile) groupNames() []string {
	out := make([]string, len(f.Groups))
	for i, g := range f.Groups {
		out[i] = g.Name
	}
	return out
}

// kpiTestFiles puts the test groups tests of a KPI, evaluated every step,
// into test files named base (base-2, base-3, ... when more than one), each
// loading the rules its groups read (read) and nothing else: a group is put
// in the first file whose rules hold all it reads. The first file also
// loads extra.
func (ix *ruleIndex) kpiTestFiles(base, kpi string, step time.Duration, tests []TestGroup, extra []rulePos) ([]TestFile, []RuleFile, error) {
	sets := make([][]rulePos, len(tests))
	for i := range tests {
		seeds, err := ix.read(kpi, tests[i:i+1])
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			seeds = append(seeds, extra...)
		}
		sets[i] = ix.closure(seeds)
	}
	// Files are made for the largest sets first, so that smaller ones
	// join them.
	bySize := make([]int, len(tests))
	for i := range bySize {
		bySize[i] = i
	}
	slices.SortStableFunc(bySize, func(a, b int) int { return cmp.Compare(len(sets[b]), len(sets[a])) })
	type bucket struct {
		rules  []rulePos
		groups []int
	}
	var buckets []*bucket
	for _, i := range bySize {
		var in *bucket
		for _, b := range buckets {
			if holdsAll(b.rules, sets[i]) {
				in = b
				break
			}
		}
		if in == nil {
			in = &bucket{rules: sets[i]}
			buckets = append(buckets, in)
		}
		in.groups = append(in.groups, i)
	}
	for _, b := range buckets {
		slices.Sort(b.groups)
	}
	slices.SortFunc(buckets, func(a, b *bucket) int { return cmp.Compare(a.groups[0], b.groups[0]) })
	var files []TestFile
	var ruleFiles []RuleFile
	for n, b := range buckets {
		name := base
		if n > 0 {
			name += "-" + strconv.Itoa(n+1)
		}
		rf := ix.cut(testRulesDir+"/"+name+".yml", b.rules)
		gs := make([]TestGroup, len(b.groups))
		for j, i := range b.groups {
			gs[j] = tests[i]
		}
		files = append(files, testFile(testsDir+"/"+name+".yml", rf, step, gs))
		ruleFiles = append(ruleFiles, rf)
	}
	return files, ruleFiles, nil
}

// holdsAll reports whether the sorted positions of all include every one of
// some.
func holdsAll(all, some []rulePos) bool {
	for _, at := range some {
		if _, ok := slices.BinarySearchFunc(all, at, rulePos.compare); !ok {
			return false
		}
	}
	return true
}
