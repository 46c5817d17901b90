package rules

import (
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// rulesDir is where rule files go below the output directory; tests go to
// testsDir.
const rulesDir = "rules"

// RuleFile is one Prometheus rule file: its path below the output directory
// and its groups.
type RuleFile struct {
	Path   string
	Groups []rulefmt.RuleGroup
	// team is the team whose KPIs the file holds ("" for the calendar).
	team string
}

// Output is everything this package generates for one catalog, as values:
// rule files, their promtool tests, the Alertmanager configuration and,
// when asked, the PrometheusRule resource.
type Output struct {
	RuleFiles []RuleFile
	TestFiles []TestFile
	// TestRuleFiles are the rule files the tests load, cut from RuleFiles.
	TestRuleFiles  []RuleFile
	Alertmanager   *AMConfig
	PrometheusRule *PrometheusRule
	// encoded are the rule files' bytes as rulefmt loaded them, by path.
	encoded map[string][]byte
}

// Options choose what Generate returns.
type Options struct {
	// AlertmanagerVersion is the oldest Alertmanager the configuration must
	// load in (DefaultAMVersion when zero).
	AlertmanagerVersion AMVersion
	// PrometheusRule adds the rules as a Kubernetes PrometheusRule resource.
	PrometheusRule bool
}

// teamFile is the path of a team's rule file.
func teamFile(team string) string { return rulesDir + "/team-" + team + ".yml" }

// groupName is the name of the rule group of a team's KPI group.
func groupName(team, group string) string {
	if group == "" || group == team {
		return "kpi." + team
	}
	return "kpi." + team + "." + group
}

// KPIAlerts returns the alerting rules generated for one KPI, in rule order,
// without validating them: for documents that list a KPI's alerts. Generate
// validates every rule.
func KPIAlerts(c *catalog.Catalog, k *catalog.KPI) []rulefmt.Rule {
	x := newKPICtx(c, k)
	var out []rulefmt.Rule
	for _, part := range [][]rulefmt.Rule{x.thresholdAlerts(), x.forecastAlerts(), x.anomalyAlerts(), x.stalenessAlerts(), x.controlAlerts()} {
		out = append(out, part...)
	}
	return out
}

// Generate builds the rules of every KPI, loads each rule file back from its
// encoded bytes with rulefmt as Prometheus does (validate.go), and builds
// the promtool tests, the Alertmanager configuration and, when asked, the
// PrometheusRule resource. An invalid rule is an error wrapping
// ErrInvalidRule that names its KPI; nothing is returned then.
func Generate(c *catalog.Catalog, o Options) (*Output, error) {
	if o.AlertmanagerVersion == (AMVersion{}) {
		o.AlertmanagerVersion = DefaultAMVersion
	}
	am := alertmanager(c, o.AlertmanagerVersion)
	if err := am.check(); err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	out := &Output{Alertmanager: am, encoded: map[string][]byte{}}
	var errs validationErrors
	// Teams are independent: each is built, validated and tested on its
	// own goroutine, reading the catalog only.
	names := c.OwningTeams()
	teams := make([]teamOutput, len(names))
	forOf := sourceFors(c)
	parallel(len(names), func(i int) { teams[i] = generateTeam(c, names[i], forOf) })
	var failed []error
	for _, t := range teams {
		errs = append(errs, t.errs...)
		out.RuleFiles = append(out.RuleFiles, t.file)
		out.TestFiles = append(out.TestFiles, t.tests...)
		out.TestRuleFiles = append(out.TestRuleFiles, t.testRules...)
		out.encoded[t.file.Path] = t.data
		if t.err != nil {
			failed = append(failed, t.err)
		}
	}
	errs = append(errs, unique(out.RuleFiles)...)
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("generate tests: %w", errors.Join(failed...))
	}
	if o.PrometheusRule {
		out.PrometheusRule = prometheusRule(out.RuleFiles)
	}
	return out, nil
}

// teamOutput is one team's rule file, its bytes, what validating them found,
// and its tests.
type teamOutput struct {
	file  RuleFile
	data  []byte
	errs  validationErrors
	tests []TestFile
	// testRules are the rule files tests load.
	testRules []RuleFile
	err       error
}

// generateTeam builds, validates and tests the rule file of one team.
func generateTeam(c *catalog.Catalog, team string, sourceFor map[string]time.Duration) teamOutput {
	kpis := c.TeamKPIs(team)
	t := teamOutput{file: RuleFile{Path: teamFile(team), team: team}}
	// A group's rules are its KPIs' in catalog order; groups are in the
	// order of their first KPI.
	var order []string
	byGroup := map[string][]*catalog.KPI{}
	for _, k := range kpis {
		g := groupName(k.Team, k.Group)
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], k)
	}
	for _, g := range order {
		group := rulefmt.RuleGroup{Name: g}
		for _, k := range byGroup[g] {
			group.Rules = append(group.Rules, newKPICtx(c, k).rules()...)
		}
		t.file.Groups = append(t.file.Groups, group)
	}
	t.file.Groups = append(t.file.Groups, rulefmt.RuleGroup{Name: sourceGroupName(team), Rules: sourceAlerts(c, team, kpis, sourceFor)})
	t.data, t.errs = validate(t.file)
	if len(t.errs) > 0 {
		return t
	}
	t.tests, t.testRules, t.err = teamTestFiles(c, t.file, kpis)
	return t
}

// Files returns every file of the output, in path order, for package
// output to write. Rule files carry the bytes Generate validated.
func (o *Output) Files() []output.File {
	var files []output.File
	for _, f := range o.RuleFiles {
		files = append(files, output.File{Path: f.Path, Data: o.encoded[f.Path]})
	}
	for _, f := range o.TestFiles {
		files = append(files, output.File{Path: f.Path, Value: f})
	}
	for _, f := range o.TestRuleFiles {
		rf := f.ruleFile()
		rf.Comment = fmt.Sprintf(testRulesComment, teamFile(f.team))
		files = append(files, rf)
	}
	files = append(files, o.Alertmanager.file())
	if o.PrometheusRule != nil {
		files = append(files, output.File{Path: prometheusRuleFile, Value: o.PrometheusRule})
	}
	slices.SortFunc(files, func(a, b output.File) int { return strings.Compare(a.Path, b.Path) })
	return files
}

// Warnings name the receivers left out of the Alertmanager configuration.
func (o *Output) Warnings() []string { return o.Alertmanager.Omitted }

// ruleFile is the value a rule file encodes: rulefmt's own type.
func (f RuleFile) ruleFile() output.File {
	return output.File{Path: f.Path, Value: rulefmt.RuleGroups{Groups: f.Groups}}
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// rules returns every rule of the KPI, each after the records it reads. The
// alerts come last, in the order KPIAlerts lists them.
func (x kpiCtx) rules() []rulefmt.Rule {
	var rs []rulefmt.Rule
	for _, part := range [][]rulefmt.Rule{
		x.attainmentRecords(),
		x.pacingRecords(),
		x.trendRecords(),
		x.compareRecords(),
		x.thresholdRecords(),
		x.forecastRecords(),
		x.anomalyRecords(),
		x.rollupRecords(),
		x.controlRecords(),
		x.thresholdAlerts(),
		x.forecastAlerts(),
		x.anomalyAlerts(),
		x.stalenessAlerts(),
		x.controlAlerts(),
	} {
		rs = append(rs, part...)
	}
	return rs
}

// rel is the path of target relative to the directory of from, both slash
// paths below the output directory.
func rel(from, target string) string {
	dir := path.Dir(from) + "/"
	up := ""
	for ; !strings.HasPrefix(target, dir) && dir != "./"; dir = path.Dir(path.Dir(dir)) + "/" {
		up += "../"
	}
	return up + strings.TrimPrefix(target, dir)
}
