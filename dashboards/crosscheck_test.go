package dashboards

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/rules"
)

// produced is what a Prometheus scraping the exporter and loading the
// generated rules holds: series names and the labels each may carry.
type produced map[string]map[string]bool

func (p produced) add(name string, lbls ...string) {
	if p[name] == nil {
		p[name] = map[string]bool{}
	}
	for _, l := range lbls {
		p[name][l] = true
	}
}

// exporterPage builds and runs the real kpi_exporter on a catalog, on a free
// loopback port in a temporary directory (where the demo database is created),
// and returns its /metrics page once every KPI has been collected.
func exporterPage(t *testing.T, cat *catalog.Catalog, catalogFile string) []byte {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to build kpi_exporter: " + err.Error())
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kpi_exporter")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/kpi-exporter/kpi_exporter/cmd/kpi_exporter")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kpi_exporter: %v\n%s", err, out)
	}
	data, err := os.ReadFile(catalogFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file=catalog.yaml", "--web.listen-address="+addr)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	want := map[string]bool{}
	for _, k := range cat.KPIs {
		want[k.MetricName()] = true
		if k.HasTarget() {
			want[k.TargetMetricName()] = true
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		page, missing := scrape(t, "http://"+addr+"/metrics", want)
		if len(missing) == 0 {
			return page
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s /metrics still lacks %v; exporter log:\n%s", missing, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func scrape(t *testing.T, url string, want map[string]bool) ([]byte, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, []string{err.Error()}
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, []string{err.Error()}
	}
	var missing []string
	for name := range want {
		if !bytes.Contains(page, []byte("\n"+name+"{")) && !bytes.Contains(page, []byte("\n"+name+" ")) {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	return page, missing
}

// fromPage records every family on an exposition page with its labels.
func fromPage(t *testing.T, page []byte, p produced) {
	t.Helper()
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for name, f := range fams {
		p.add(name, "job", "instance") // the target labels Prometheus adds
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				p.add(name, lp.GetName())
			}
		}
	}
}

// fromRules records every series the generated rule files produce: each
// recording rule's name with its static labels and the KPI's label columns,
// which the rules keep, and ALERTS with every alert's labels.
func fromRules(t *testing.T, cat *catalog.Catalog, p produced) {
	t.Helper()
	// The rule files alone, without the promtool tests and Alertmanager
	// configuration rules.Generate also builds.
	out, err := rules.Generate(cat, rules.Options{})
	if err != nil {
		t.Fatalf("generate rules: %v", err)
	}
	kpiOf := map[string]*catalog.KPI{}
	for _, k := range cat.KPIs {
		kpiOf[k.KPIRecord(catalog.OpValue)] = k
	}
	var parsed int
	for _, f := range out.RuleFiles {
		parsed++
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				var static []string
				for l := range r.Labels {
					static = append(static, l)
				}
				if r.Alert != "" {
					p.add("ALERTS", append(static, "alertname", "alertstate")...)
					continue
				}
				p.add(r.Record, static...)
				if k := kpiOf[r.Record]; k != nil {
					keep := grouping(t, r.Expr)
					for _, l := range k.Labels {
						if !slices.Contains(keep, l) {
							t.Errorf("%s: %s drops the label column %q that dashboards filter on", f.Path, r.Record, l)
						}
					}
				}
			}
		}
	}
	if parsed == 0 {
		t.Fatal("the rules generator wrote no rule file")
	}
	// Every record of a KPI derives from its value record and keeps its labels.
	for _, k := range cat.KPIs {
		for name := range p {
			if strings.HasPrefix(name, "kpi:"+k.MetricName()+":") {
				p.add(name, k.Labels...)
			}
		}
	}
}

// grouping returns the labels an aggregation keeps.
func grouping(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := e.(*parser.AggregateExpr); ok && !a.Without {
		return a.Grouping
	}
	return nil
}

func TestEveryQueryNamesASeriesTheExporterOrTheRulesProduce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the exporter")
	}
	const catalogFile = "../config.example.yaml"
	cat := load(t, catalogFile)
	p := produced{}
	fromRules(t, cat, p)
	fromPage(t, exporterPage(t, cat, catalogFile), p)

	checked := 0
	eachSelected(t, queries(t, generate(t, cat)), func(q query, name string, matchers []*labels.Matcher) {
		have, ok := p[name]
		if !ok {
			t.Errorf("%s %s: %q selects %s, which neither /metrics nor the generated rules produce", q.file, q.where, q.expr, name)
			return
		}
		checked++
		checkLabels(t, q, name, have, matchers)
	})
	t.Logf("checked %d series references against /metrics and the generated rules", checked)
	if checked == 0 {
		t.Fatal("no series reference checked")
	}
}

// checkLabels fails for each label a query filters a series on, or asks the
// values of, that the series does not carry.
func checkLabels(t *testing.T, q query, name string, have map[string]bool, matchers []*labels.Matcher) {
	t.Helper()
	for _, m := range matchers {
		if !have[m.Name] {
			t.Errorf("%s %s: %q filters %s on %q, a label it does not carry (it has %v)", q.file, q.where, q.expr, name, m.Name, sortedKeys(have))
		}
	}
	if q.labelValues != "" && !have[q.labelValues] {
		t.Errorf("%s %s: label_values on %s of %q, a label it does not carry", q.file, q.where, name, q.labelValues)
	}
}

// TestEveryRecordedSeriesQueriedIsGenerated holds every catalog, not only the
// one the exporter can serve here, to the rules actually generated for it:
// each recorded series a dashboard reads is recorded, with the labels it is
// filtered on.
func TestEveryRecordedSeriesQueriedIsGenerated(t *testing.T) {
	for _, c := range testCatalogs(t) {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			p := produced{}
			fromRules(t, cat, p)
			eachSelected(t, queries(t, generate(t, cat)), func(q query, name string, matchers []*labels.Matcher) {
				if !strings.Contains(name, ":") && name != "ALERTS" {
					return
				}
				have, ok := p[name]
				if !ok {
					t.Errorf("%s %s: %q reads %s, which the generated rules do not record", q.file, q.where, q.expr, name)
					return
				}
				checkLabels(t, q, name, have, matchers)
			})
		})
	}
}
