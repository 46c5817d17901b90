package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/template"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testsDir is where the promtool unit tests go; they run from there with
// `promtool test rules *.yml`.
const testsDir = rulesDir + "/tests"

// The job and instance the test series carry, as a scrape would add them.
const (
	testJob      = "kpi_exporter"
	testInstance = "localhost:9786"
	testLabel    = "test"
)

// TestFile is one promtool unit-test file, in the format promtool test rules
// reads (the fields Prometheus 2.42 knows).
type TestFile struct {
	Path               string         `yaml:"-"`
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	GroupEvalOrder     []string       `yaml:"group_eval_order,omitempty"`
	Tests              []TestGroup    `yaml:"tests"`
}

// TestGroup is one independent test: input series and what to expect.
type TestGroup struct {
	Name            string         `yaml:"name"`
	Interval        model.Duration `yaml:"interval"`
	InputSeries     []InputSeries  `yaml:"input_series"`
	AlertRuleTests  []AlertTest    `yaml:"alert_rule_test,omitempty"`
	PromqlExprTests []ExprTest     `yaml:"promql_expr_test,omitempty"`
}

// InputSeries is one series in promtool's expanding notation.
type InputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// AlertTest expects exactly ExpAlerts of one alert to be firing at EvalTime.
type AlertTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []ExpAlert     `yaml:"exp_alerts"`
}

// ExpAlert is one expected firing alert.
type ExpAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// ExprTest expects exactly ExpSamples from Expr at EvalTime.
type ExprTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []ExpSample    `yaml:"exp_samples"`
}

// ExpSample is one expected sample.
type ExpSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// teamTestFiles generates the test files of one team's rule file f, whose
// KPIs are kpis, and the rule files they load, all cut from f
// (tests_rulefiles.go). A KPI's tests at one minute (kpi-NAME.yml,
// kpi-NAME-2.yml, ...) and at its period's step (kpi-NAME-PERIOD.yml, ...)
// are in files by the rules they read, and load only those; the first
// minute file also loads the KPI's rules that no test of the KPI reads, so
// that every rule is loaded by some test. The team's tests (team-TEAM.yml)
// load its outage and stale alerts.
func teamTestFiles(c *catalog.Catalog, f RuleFile, kpis []*catalog.KPI) ([]TestFile, []RuleFile, error) {
	ix, err := newRuleIndex(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	var files []TestFile
	var ruleFiles []RuleFile
	alerts := f.alertsByKPI()
	for _, k := range kpis {
		tf, rf, err := ix.kpiFiles(newKPICtx(c, k).withAlerts(alerts[k.Name]))
		if err != nil {
			return nil, nil, fmt.Errorf("kpi %s: generate tests: %w", k.Name, err)
		}
		files = append(files, tf...)
		ruleFiles = append(ruleFiles, rf...)
	}
	team, err := teamTests(c, f, kpis, alerts)
	if err != nil {
		return nil, nil, fmt.Errorf("team %s: generate tests: %w", f.team, err)
	}
	if len(team) > 0 {
		rf := ix.teamRules()
		files = append(files, testFile(testsDir+"/team-"+f.team+".yml", rf, time.Minute, team))
		ruleFiles = append(ruleFiles, rf)
	}
	return files, ruleFiles, nil
}

// kpiFiles are the test files of the KPI of x and the rule files they load.
func (ix *ruleIndex) kpiFiles(x kpiCtx) ([]TestFile, []RuleFile, error) {
	m, err := x.minuteTests()
	if err != nil {
		return nil, nil, err
	}
	h, err := x.periodTests()
	if err != nil {
		return nil, nil, err
	}
	if len(m)+len(h) == 0 {
		return nil, nil, errors.New("no test loads its rules")
	}
	read, err := ix.read(x.k.Name, slices.Concat(m, h))
	if err != nil {
		return nil, nil, err
	}
	read = ix.closure(read)
	var unread []rulePos
	for _, at := range ix.byKPI[x.k.Name] {
		if !holdsAll(read, []rulePos{at}) {
			unread = append(unread, at)
		}
	}
	unreadM, unreadH := unread, []rulePos(nil)
	if len(m) == 0 {
		unreadM, unreadH = nil, unread
	}
	base := "kpi-" + x.k.Name
	mf, mr, err := ix.kpiTestFiles(base, x.k.Name, time.Minute, x.withCalendar(m), unreadM)
	if err != nil {
		return nil, nil, err
	}
	hf, hr, err := ix.kpiTestFiles(base+"-"+string(x.k.Period), x.k.Name, testStep(x.k.Period), x.withCalendar(h), unreadH)
	if err != nil {
		return nil, nil, err
	}
	return append(mf, hf...), append(mr, hr...), nil
}

// testFile is the test file at path of the test groups tests, loading the
// rule file rf and evaluating every step.
func testFile(path string, rf RuleFile, step time.Duration, tests []TestGroup) TestFile {
	return TestFile{
		Path:               path,
		RuleFiles:          []string{rel(path, rf.Path)},
		EvaluationInterval: md(step),
		GroupEvalOrder:     rf.groupNames(),
		Tests:              tests,
	}
}

// epoch is where promtool's test time starts.
var epoch = time.Unix(0, 0).UTC()

// withCalendar gives each test group of a period KPI the exporter's calendar
// series its pacing rules read, through the group's last evaluation.
func (x kpiCtx) withCalendar(gs []TestGroup) []TestGroup {
	if x.k.Period == catalog.PeriodNone || !x.k.HasTarget() {
		return gs
	}
	for i := range gs {
		var until time.Duration
		for _, a := range gs[i].AlertRuleTests {
			until = max(until, time.Duration(a.EvalTime))
		}
		for _, e := range gs[i].PromqlExprTests {
			until = max(until, time.Duration(e.EvalTime))
		}
		gs[i].InputSeries = append(gs[i].InputSeries, x.calendarSeries(time.Duration(gs[i].Interval), until)...)
	}
	return gs
}

// testTarget is the target the tests use: the constant, or 100 for SQL.
func (x kpiCtx) testTarget() float64 {
	if t := x.k.Target; t != nil && t.IsConstant() {
		return t.Value
	}
	return 100
}

// seriesLabels are the labels of the KPI's test series as scraped.
func (x kpiCtx) seriesLabels() map[string]string {
	l := map[string]string{"job": testJob, "instance": testInstance}
	for _, c := range x.k.Labels {
		l[c] = testLabel
	}
	for k, v := range x.c.Global.Labels {
		l[k] = v
	}
	return l
}

// keptLabels are the labels KPI-level records and alerts keep.
func (x kpiCtx) keptLabels() map[string]string {
	l := x.ownerLabels()
	for _, c := range x.k.Labels {
		l[c] = testLabel
	}
	for k, v := range x.c.Global.Labels {
		l[k] = v
	}
	return l
}

func (x kpiCtx) alertExpLabels(severity string) map[string]string {
	l := x.keptLabels()
	l[catalog.LabelSeverity] = severity
	return l
}

// selector is a series selector of name and the label set l, sorted by
// label name, as promtool reads it.
func selector(name string, l map[string]string) string {
	var b strings.Builder
	b.WriteString(name + "{")
	for i, k := range sortedKeys(l) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// constant is n+1 samples of v in promtool notation.
func constant(v float64, n int) string { return fmt.Sprintf("%sx%d", fmtFloat(v), n) }

// list renders explicit samples.
func list(vs []float64) string {
	b := make([]byte, 0, 8*len(vs))
	for i, v := range vs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return string(b)
}

func ceilTo(d, unit time.Duration) time.Duration {
	return (d + unit - 1) / unit * unit
}

// steps is how many samples at step cover 0..t inclusive, plus a margin.
func steps(t, step time.Duration) int { return int(t/step) + 2 }

// beyond returns a value clearly past threshold th in the bad direction.
func (x kpiCtx) beyond(th float64) float64 {
	d := math.Abs(th) / 2
	if d == 0 {
		d = 1
	}
	if x.higher() {
		return th - d
	}
	return th + d
}

// render expands an alert's annotations with Prometheus's template
// Expander, as Prometheus would for a firing alert with the given labels and
// value, answering its queries from values (by metric name).
func render(ann map[string]string, lbls map[string]string, value float64, values map[string]float64, at time.Time) (map[string]string, error) {
	out := make(map[string]string, len(ann))
	for k, text := range ann {
		if !strings.Contains(text, "{{") {
			// Text without an action expands to itself.
			out[k] = text
			continue
		}
		s, err := expandTemplate(text, lbls, value, values, at)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// templateDefs are the variables Prometheus defines before an alert's label
// or annotation text (its rule manager, and rulefmt's template check).
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// expandTemplate expands one annotation text with Prometheus' template
// Expander, as its rule manager does for a firing alert.
func expandTemplate(text string, lbls map[string]string, value float64, values map[string]float64, at time.Time) (string, error) {
	p := parser.NewParser(parser.Options{})
	query := func(_ context.Context, q string, _ time.Time) (promql.Vector, error) {
		e, err := p.ParseExpr(q)
		if err != nil {
			return nil, err
		}
		if v, ok := quotient(e); ok {
			return promql.Vector{{F: v}}, nil
		}
		vs, ok := e.(*parser.VectorSelector)
		if !ok {
			return nil, fmt.Errorf("unexpected query %q", q)
		}
		v, ok := values[vs.Name]
		if !ok {
			return nil, nil
		}
		m := map[string]string{labels.MetricName: vs.Name}
		for _, mt := range vs.LabelMatchers {
			if mt.Name != labels.MetricName {
				m[mt.Name] = mt.Value
			}
		}
		return promql.Vector{{Metric: labels.FromMap(m), F: v}}, nil
	}
	data := template.AlertTemplateData(lbls, nil, "", promql.Sample{F: value})
	return template.NewTemplateExpander(context.Background(), templateDefs+text, "__alert_test", data, model.TimeFromUnixNano(at.UnixNano()), query, nil, nil).Expand()
}

// findAlert returns the KPI's alert rule of that name and severity.
func findAlert(rs []alertRule, name string) alertRule {
	for _, r := range rs {
		if r.Alert == name {
			return r
		}
	}
	return alertRule{}
}

type alertRule = struct {
	Alert       string
	Annotations map[string]string
}

func (x kpiCtx) alertRules() []alertRule {
	out := []alertRule{}
	for _, r := range x.rules() {
		if r.Alert != "" {
			out = append(out, alertRule{Alert: r.Alert, Annotations: r.Annotations})
		}
	}
	return out
}

// alertsByKPI lists the alert rules of a rule file by the KPI they carry in
// their kpi label, in rule order: the rules Build made, so that the tests
// need not generate every KPI's rules a second time.
func (f RuleFile) alertsByKPI() map[string][]alertRule {
	out := map[string][]alertRule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				k := r.Labels[catalog.LabelKPI]
				out[k] = append(out[k], alertRule{Alert: r.Alert, Annotations: r.Annotations})
			}
		}
	}
	return out
}

// withAlerts returns x with its alert rules, as alertRules would build
// them, for expect; nil builds them.
func (x kpiCtx) withAlerts(alerts []alertRule) kpiCtx {
	if alerts == nil {
		alerts = x.alertRules()
	}
	x.alerts = alerts
	return x
}

// expect builds the expected firing alert.
func (x kpiCtx) expect(alert string, lbls map[string]string, value float64, values map[string]float64, at time.Duration) (ExpAlert, error) {
	rs := x.alerts
	if rs == nil {
		rs = x.alertRules()
	}
	r := findAlert(rs, alert)
	ann, err := render(r.Annotations, lbls, value, values, epoch.Add(at))
	if err != nil {
		return ExpAlert{}, fmt.Errorf("alert %s: %w", alert, err)
	}
	return ExpAlert{ExpLabels: lbls, ExpAnnotations: ann}, nil
}
