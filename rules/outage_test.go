package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// outageCatalog has eight KPIs on source erp, five of team plant and three
// of team sales, and one KPI of sales on source crm.
func outageCatalog(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`alerting:
  smtp: {smarthost: smtp.example.com:587, from: kpi@example.com}
sources:
  erp: {driver: sqlite, dsn: erp.db}
  crm: {driver: sqlite, dsn: crm.db}
teams:
  plant: {notify: {email: [{to: plant@example.com}]}, oncall: {email: [{to: plant-pager@example.com}]}}
  sales: {notify: {email: [{to: sales@example.com}]}}
kpis:
`)
	kpi := func(name, team, source string) {
		fmt.Fprintf(&b, "  - {name: %s, help: h, unit: count, owner: o@example.com, team: %s, source: %s, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, thresholds: {warning: 8, critical: 5}}\n", name, team, source)
	}
	for i := range 5 {
		kpi(fmt.Sprintf("plant_kpi_%d", i), "plant", "erp")
	}
	for i := range 3 {
		kpi(fmt.Sprintf("sales_kpi_%d", i), "sales", "erp")
	}
	kpi("sales_leads", "sales", "crm")
	path := filepath.Join(t.TempDir(), "outage.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// firingDuringOutage are the alerts the generated rules raise while source
// is down and every KPI on it is stale and failing: each alert rule named
// in alerts whose labels say it watches that source, with its labels as
// Prometheus sends them.
func firingDuringOutage(out *Output, source string, alerts ...string) []model.LabelSet {
	var firing []model.LabelSet
	for _, f := range out.RuleFiles {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if !slices.Contains(alerts, r.Alert) || r.Labels[catalog.LabelSource] != source {
					continue
				}
				l := model.LabelSet{"alertname": model.LabelValue(r.Alert)}
				for k, v := range r.Labels {
					l[model.LabelName(k)] = model.LabelValue(v)
				}
				if r.Alert == catalog.AlertCollectionErrors {
					l[catalog.LabelReason] = catalog.ReasonConnection
				}
				firing = append(firing, l)
			}
		}
	}
	return firing
}

// muted reports whether an inhibit rule of cfg mutes target while any of
// firing fires, as Alertmanager's inhibitor decides.
func muted(cfg *amconfig.Config, firing []model.LabelSet, target model.LabelSet) bool {
	for _, r := range cfg.InhibitRules {
		if !labels.Matchers(r.TargetMatchers).Matches(target) {
			continue
		}
		for _, src := range firing {
			if !labels.Matchers(r.SourceMatchers).Matches(src) || src.Equal(target) {
				continue
			}
			equal := true
			for _, l := range r.Equal {
				equal = equal && src[model.LabelName(l)] == target[model.LabelName(l)]
			}
			if equal {
				return true
			}
		}
	}
	return false
}

// notifications are the notifications Alertmanager sends for firing: one
// per receiver and aggregation group of the routes each unmuted alert
// matches.
func notifications(cfg *amconfig.Config, firing []model.LabelSet) map[string][]model.LabelSet {
	root := dispatch.NewRoute(cfg.Route, nil)
	groups := map[string][]model.LabelSet{}
	for _, a := range firing {
		if muted(cfg, firing, a) {
			continue
		}
		for _, r := range root.Match(a) {
			key := r.RouteOpts.Receiver + " " + r.Key() + " " + groupLabels(a, r.RouteOpts.GroupBy).String()
			groups[key] = append(groups[key], a)
		}
	}
	return groups
}

func groupLabels(a model.LabelSet, by map[model.LabelName]struct{}) model.LabelSet {
	out := model.LabelSet{}
	for l := range by {
		if v, ok := a[l]; ok {
			out[l] = v
		}
	}
	return out
}

// generateOutage generates from outageCatalog and loads its Alertmanager
// configuration with Alertmanager's config package.
func generateOutage(t *testing.T) (*Output, *amconfig.Config) {
	t.Helper()
	c := load(t, outageCatalog(t))
	out, err := Generate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := amconfig.Load(string(fileData(t, generate(t, c, Options{}), alertmanagerFile)))
	if err != nil {
		t.Fatal(err)
	}
	return out, cfg
}

func TestSourceOutageNotifiesEachTeamOnceAndMutesItsKPIsStaleAndErrorAlerts(t *testing.T) {
	out, cfg := generateOutage(t)
	firing := firingDuringOutage(out, "erp", catalog.AlertSourceDown, catalog.AlertStale, catalog.AlertCollectionErrors)
	if got := len(firing); got != 2+8+8 {
		t.Fatalf("%d alerts fire during the outage, want one KPISourceDown per team and a stale and an error alert per KPI: %v", got, firing)
	}
	got := map[string]int{}
	for key, alerts := range notifications(cfg, firing) {
		receiver, _, _ := strings.Cut(key, " ")
		got[receiver]++
		for _, a := range alerts {
			if a["alertname"] != catalog.AlertSourceDown || a[catalog.LabelSource] != "erp" {
				t.Errorf("%s notifies %v, want only the outage of erp", receiver, a)
			}
		}
	}
	want := map[string]int{onCallReceiver("plant"): 1, notifyReceiver("sales"): 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications per receiver %v, want %v", got, want)
	}
}

func TestSourceOutageDoesNotMuteKPIsOfAnotherSource(t *testing.T) {
	out, cfg := generateOutage(t)
	firing := firingDuringOutage(out, "erp", catalog.AlertSourceDown)
	crm := firingDuringOutage(out, "crm", catalog.AlertStale, catalog.AlertCollectionErrors)
	if len(crm) != 2 {
		t.Fatalf("crm KPI alerts %v, want its stale and error alert", crm)
	}
	for _, a := range crm {
		if muted(cfg, append(firing, crm...), a) {
			t.Errorf("the outage of erp mutes %v", a)
		}
	}
}
