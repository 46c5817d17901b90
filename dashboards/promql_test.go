package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// query is one PromQL expression found in a generated dashboard.
type query struct {
	file, where string
	// expr is as generated, with Grafana variables.
	expr string
	// labelValues is set for a label_values(selector, label) variable query;
	// expr is then the selector.
	labelValues string
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+), ([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// queries extracts every query of every generated dashboard: panel targets,
// annotations (any "expr" key) and template variables of type query.
func queries(t *testing.T, files []File) []query {
	t.Helper()
	var out []query
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".json") {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		n := 0
		walk(doc, func(key string, val any) {
			if key == "expr" {
				n++
				out = append(out, query{file: f.Path, where: fmt.Sprintf("expr #%d", n), expr: val.(string)})
			}
		})
		for _, v := range doc["templating"].(map[string]any)["list"].([]any) {
			v := v.(map[string]any)
			if v["type"] != "query" {
				continue
			}
			q := v["query"].(string)
			m := labelValuesRE.FindStringSubmatch(q)
			if m == nil {
				t.Errorf("%s: variable %s: query %q is not label_values(selector, label)", f.Path, v["name"], q)
				continue
			}
			if v["definition"] != q {
				t.Errorf("%s: variable %s: definition %q differs from query %q", f.Path, v["name"], v["definition"], q)
			}
			out = append(out, query{file: f.Path, where: "variable " + v["name"].(string), expr: m[1], labelValues: m[2]})
		}
	}
	if len(out) == 0 {
		t.Fatal("no queries found")
	}
	return out
}

var grafanaVarRE = regexp.MustCompile(`\$\{?(\w+)(?::\w+)?\}?`)

// substitute replaces Grafana's variables with what Grafana would send:
// intervals by durations, everything else (label variables, inside regex
// matchers) by a value.
func substitute(expr string) string {
	return grafanaVarRE.ReplaceAllStringFunc(expr, func(v string) string {
		switch grafanaVarRE.FindStringSubmatch(v)[1] {
		case "__rate_interval", "__interval":
			return "1m"
		case "__range":
			return "1h"
		}
		return "x"
	})
}

// selectorRef is one vector selector of a parsed query.
type selectorRef struct {
	names    []string // the metric names it can select
	matchers []*labels.Matcher
}

// parse parses a query with the Prometheus parser and returns its selectors.
func parse(q query) (parser.Expr, []selectorRef, error) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(substitute(q.expr))
	if err != nil {
		return nil, nil, err
	}
	var refs []selectorRef
	var bad error
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		r := selectorRef{}
		for _, m := range vs.LabelMatchers {
			if m.Name != labels.MetricName {
				r.matchers = append(r.matchers, m)
				continue
			}
			switch m.Type {
			case labels.MatchEqual:
				r.names = append(r.names, m.Value)
			case labels.MatchRegexp:
				r.names = append(r.names, strings.Split(m.Value, "|")...)
			default:
				bad = fmt.Errorf("selector %s matches metric names with %s", vs, m.Type)
			}
		}
		if len(r.names) == 0 {
			bad = fmt.Errorf("selector %s names no metric", vs)
		}
		refs = append(refs, r)
		return nil
	})
	return expr, refs, bad
}

// contract lists every series name the catalog's naming contract promises:
// the exporter's KPI, target, info and self-metrics, the recorded series the
// rules may produce, and Prometheus's ALERTS.
func contract(cat *catalog.Catalog) map[string]bool {
	names := map[string]bool{"ALERTS": true, catalog.InfoMetric: true, catalog.CalendarPeriodStart: true, catalog.CalendarPeriodEnd: true, catalog.CalendarPeriodElapsed: true}
	for _, s := range []string{
		catalog.SelfSourceUp, catalog.SelfKPIUp, catalog.SelfLastSuccess, catalog.SelfLastDuration,
		catalog.SelfSeries, catalog.SelfStale, catalog.SelfRuns, catalog.SelfErrors,
		catalog.SelfReloadSuccessful, catalog.SelfReloadSuccessTime, catalog.SelfReloadsTotal,
		catalog.SelfBuildInfo, catalog.SelfCatalogKPIs,
	} {
		names[s] = true
	}
	ops := []string{
		catalog.OpAttainment, catalog.OpExpectedToDate, catalog.OpPacing, catalog.OpDelta1d, catalog.OpDelta7d,
		catalog.OpThresholdWarning, catalog.OpThresholdCritical, catalog.OpSum, catalog.OpTargetSum,
		catalog.OpBaselineAvg, catalog.OpBaselineStddev, catalog.OpZScore, catalog.OpForecast,
		catalog.OpValue, catalog.OpTarget,
	}
	for _, k := range cat.KPIs {
		names[k.MetricName()] = true
		if k.HasTarget() {
			names[k.TargetMetricName()] = true
		}
		for _, op := range ops {
			names[k.KPIRecord(op)] = true
			names[k.TeamRecord(op)] = true
		}
		for _, e := range k.Compare {
			names[k.CompareMetricName(e)] = true
			names[k.KPIRecord(catalog.CompareOp(e))] = true
			names[k.KPIRecord(catalog.ChangeOp(e))] = true
		}
		if k.Control != nil {
			names[k.ControlMetricName()], names[k.ControlDifferenceMetricName()] = true, true
			names[k.KPIRecord(catalog.OpControl)], names[k.KPIRecord(catalog.OpControlDifference)] = true, true
		}
	}
	return names
}

// kpiLabels lists, per exported KPI metric, the labels its series carry.
func kpiLabels(cat *catalog.Catalog) map[string][]string {
	out := map[string][]string{}
	for _, k := range cat.KPIs {
		out[k.MetricName()] = k.Labels
	}
	return out
}

// eachSelected calls fn for every series name each query selects, with the
// selector's other matchers. A query that does not parse is an error.
func eachSelected(t *testing.T, qs []query, fn func(q query, name string, matchers []*labels.Matcher)) {
	t.Helper()
	for _, q := range qs {
		_, refs, err := parse(q)
		if err != nil {
			t.Errorf("%s %s: %q does not parse: %v", q.file, q.where, q.expr, err)
			continue
		}
		for _, r := range refs {
			for _, n := range r.names {
				fn(q, n, r.matchers)
			}
		}
	}
}

func TestEveryQueryParsesAndNamesContractSeries(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			known := contract(cat)
			byMetric := kpiLabels(cat)
			eachSelected(t, queries(t, generate(t, cat)), func(q query, name string, _ []*labels.Matcher) {
				if !known[name] {
					t.Errorf("%s %s: %q selects %q, which neither the exporter nor the rules produce", q.file, q.where, q.expr, name)
				}
				if q.labelValues != "" && !slices.Contains(byMetric[name], q.labelValues) {
					t.Errorf("%s %s: %s has no label %q", q.file, q.where, name, q.labelValues)
				}
			})
		})
	}
}

// TestEveryQueryParsesWithPromtool hands every query, as a recording rule, to
// the promtool that make test installs (Debian's Prometheus 2.42), so that the
// dashboards also work against an older Prometheus than the Go packages.
func TestEveryQueryParsesWithPromtool(t *testing.T) {
	promtool := testdb.RequireBinary(t, "promtool", "prometheus")
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			qs := queries(t, generate(t, c.load(t)))
			type rule struct {
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			}
			rules := make([]rule, len(qs))
			for i, q := range qs {
				rules[i] = rule{Record: fmt.Sprintf("dashboard_query_%d", i), Expr: substitute(q.expr)}
			}
			doc := map[string]any{"groups": []any{map[string]any{"name": "dashboard_queries", "rules": rules}}}
			data, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "queries.yml")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), fmt.Sprintf("SUCCESS: %d rules found", len(qs))) {
				t.Errorf("promtool check rules did not accept all %d queries:\n%s", len(qs), out)
			}
		})
	}
}
