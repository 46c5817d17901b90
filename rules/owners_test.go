package rules

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
)

// TestOwnersOfATeamThatNotifiesOwnersGetItsAlertsByEmail walks the routing
// tree with Alertmanager's dispatch package: a team with notify_owners sends
// each KPI's warnings and criticals to the team's receivers and to the KPI's
// owner; a team without it, and alerts without an owner, reach the team
// only.
func TestOwnersOfATeamThatNotifiesOwnersGetItsAlertsByEmail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "owners.yml")
	if err := os.WriteFile(path, []byte(`
alerting:
  smtp: {smarthost: smtp.example.com:587, from: kpi@example.com}
sources: {db: {driver: sqlite, dsn: x.db}}
teams:
  plant: {notify_owners: true, notify: {email: [{to: plant@example.com}]}, oncall: {email: [{to: pager@example.com}]}}
  sales: {notify: {email: [{to: sales@example.com}]}}
kpis:
  - {name: units, help: h, unit: count, owner: ann@example.com, team: plant, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, thresholds: {warning: 8, critical: 5}}
  - {name: scrap, help: h, unit: count, owner: bob@example.com, team: plant, source: db, sql: SELECT 1 AS v, value: v, direction: lower, target: 1, thresholds: {warning: 2, critical: 5}}
  - {name: yield, help: h, unit: count, owner: ann@example.com, team: plant, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, thresholds: {warning: 8, critical: 5}}
  - {name: orders, help: h, unit: count, owner: ann@example.com, team: sales, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, thresholds: {warning: 8, critical: 5}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadAM(t, path, AMVersion{0, 35})
	root := dispatch.NewRoute(cfg.Route, nil)
	for _, tc := range []struct {
		name   string
		labels model.LabelSet
		want   []string
	}{
		{"a warning reaches the team and the KPI's owner", model.LabelSet{"team": "plant", "owner": "ann@example.com", "severity": "warning", "kpi": "units"}, []string{"owner-ann@example.com", "plant-notify"}},
		{"a critical reaches the on-call and the KPI's owner", model.LabelSet{"team": "plant", "owner": "bob@example.com", "severity": "critical", "kpi": "scrap"}, []string{"owner-bob@example.com", "plant-oncall"}},
		{"a source outage has no owner and reaches the team only", model.LabelSet{"team": "plant", "source": "db", "severity": "critical"}, []string{"plant-oncall"}},
		{"a team without notify_owners does not notify owners", model.LabelSet{"team": "sales", "owner": "ann@example.com", "severity": "warning", "kpi": "orders"}, []string{"sales-notify"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range root.Match(tc.labels) {
				got = append(got, r.RouteOpts.Receiver)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("receivers %v, want %v", got, tc.want)
			}
		})
	}
	var owners []string
	for _, r := range cfg.Receivers {
		for _, e := range r.EmailConfigs {
			if r.Name == ownerReceiver(e.To) {
				owners = append(owners, e.To)
			}
		}
	}
	slices.Sort(owners)
	if !slices.Equal(owners, []string{"ann@example.com", "bob@example.com"}) {
		t.Errorf("owner receivers e-mail %v, want one receiver per distinct owner", owners)
	}
}
