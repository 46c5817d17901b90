package rules

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

func loadAM(t *testing.T, path string, v AMVersion) *amconfig.Config {
	t.Helper()
	data := fileData(t, generate(t, load(t, path), Options{AlertmanagerVersion: v}), alertmanagerFile)
	cfg, err := amconfig.Load(string(data))
	if err != nil {
		t.Fatalf("alertmanager config.Load: %v\n%s", err, data)
	}
	return cfg
}

func TestAlertmanagerPackageLoadsTheConfig(t *testing.T) {
	for name, path := range checkedCatalogs(t) {
		for _, v := range []AMVersion{DefaultAMVersion, DebianAMVersion, {0, 31}} {
			t.Run(name+"/"+v.String(), func(t *testing.T) { loadAM(t, path, v) })
		}
	}
}

// receiverFor walks the routing tree like Alertmanager does for one alert.
func receiverFor(t *testing.T, cfg *amconfig.Config, lset model.LabelSet) string {
	t.Helper()
	r := cfg.Route
	for {
		var next *amconfig.Route
		for _, child := range r.Routes {
			if labels.Matchers(child.Matchers).Matches(lset) {
				next = child
				break
			}
		}
		if next == nil {
			return r.Receiver
		}
		r = next
	}
}

func TestRoutingSendsCriticalToOnCallAndWarningToNotify(t *testing.T) {
	cfg := loadAM(t, "../config.example.yaml", DefaultAMVersion)
	for _, tc := range []struct {
		name, team, severity, want string
	}{
		{"critical goes to the team's on-call", "sales", "critical", "sales-oncall"},
		{"warning goes to the team's notify receivers", "sales", "warning", "sales-notify"},
		{"critical goes to notify when the team has no on-call", "service", "critical", "service-notify"},
		{"an alert without a known team is not routed to a team", "nobody", "critical", defaultReceiver},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := receiverFor(t, cfg, model.LabelSet{"team": model.LabelValue(tc.team), "severity": model.LabelValue(tc.severity), "kpi": "x"})
			if got != tc.want {
				t.Errorf("receiver %q, want %q", got, tc.want)
			}
		})
	}
	for _, l := range []model.LabelName{"alertname", "kpi"} {
		if !slices.Contains(cfg.Route.GroupBy, l) {
			t.Errorf("root route does not group by %s: %v", l, cfg.Route.GroupBy)
		}
	}
}

func TestCriticalInhibitsWarningOfTheSameKPIAndLabels(t *testing.T) {
	cfg := loadAM(t, "../config.example.yaml", DefaultAMVersion)
	if len(cfg.InhibitRules) != 2 {
		t.Fatalf("want two inhibit rules (severity, source outage), got %d", len(cfg.InhibitRules))
	}
	r := cfg.InhibitRules[0]
	src := model.LabelSet{"severity": "critical"}
	dst := model.LabelSet{"severity": "warning"}
	if !labels.Matchers(r.SourceMatchers).Matches(src) || !labels.Matchers(r.TargetMatchers).Matches(dst) {
		t.Errorf("inhibit rule does not mute warnings with criticals: %+v", r)
	}
	for _, l := range []string{"kpi", "region", "line", "channel"} {
		if !slices.Contains(r.Equal, l) {
			t.Errorf("inhibit rule does not require equal %s: %v", l, r.Equal)
		}
	}
}

func TestReceiversWithSecretFilesTooNewForTheTargetAreLeftOutNotInlined(t *testing.T) {
	c := load(t, "../config.example.yaml")
	old, err := Generate(c, Options{AlertmanagerVersion: DebianAMVersion})
	if err != nil {
		t.Fatal(err)
	}
	data := fileData(t, generate(t, c, Options{AlertmanagerVersion: DebianAMVersion}), alertmanagerFile)
	var body []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			body = append(body, line)
		}
	}
	if b := strings.Join(body, "\n"); strings.Contains(b, "api_secret") || strings.Contains(b, "url_file") || strings.Contains(b, "wechat_configs") {
		t.Errorf("0.25 output uses a field 0.25 does not have:\n%s", data)
	}
	if len(old.Warnings()) != 2 || !strings.Contains(string(data), "#   sales-notify: wechat 1") {
		t.Errorf("omitted receivers not listed: %v", old.Warnings())
	}
	cfg := loadAM(t, "../config.example.yaml", AMVersion{0, 31})
	var wechat, hook bool
	for _, r := range cfg.Receivers {
		for _, w := range r.WechatConfigs {
			wechat = wechat || w.APISecretFile != ""
		}
		for _, w := range r.WebhookConfigs {
			hook = hook || w.URLFile != ""
		}
	}
	if !wechat || !hook {
		t.Errorf("0.31 output lacks the wechat api_secret_file (%v) or webhook url_file (%v)", wechat, hook)
	}
}

// TestDefaultAlertmanagerIsTheConfigPackageTheProjectBuildsWith: the
// default target is the version of github.com/prometheus/alertmanager in
// go.mod, whose config package Generate loads the output with.
func TestDefaultAlertmanagerIsTheConfigPackageTheProjectBuildsWith(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	const path = "github.com/prometheus/alertmanager "
	for line := range strings.Lines(string(mod)) {
		if _, v, ok := strings.Cut(line, path); ok {
			got, err := ParseAMVersion(strings.TrimSpace(v))
			if err != nil || got != DefaultAMVersion {
				t.Errorf("go.mod has alertmanager %s (%v); DefaultAMVersion is %s", strings.TrimSpace(v), err, DefaultAMVersion)
			}
			return
		}
	}
	t.Fatal("go.mod does not require github.com/prometheus/alertmanager")
}

func TestDefaultOutputRoutesEveryReceiverAndWarnsOfNone(t *testing.T) {
	c := load(t, "../config.example.yaml")
	out, err := Generate(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := out.Warnings(); len(w) > 0 {
		t.Errorf("default output leaves receivers out: %v", w)
	}
	cfg := loadAM(t, "../config.example.yaml", DefaultAMVersion)
	var wechat bool
	for _, r := range cfg.Receivers {
		wechat = wechat || len(r.WechatConfigs) > 0
	}
	if !wechat {
		t.Error("default output has no wechat receiver")
	}
}

func TestParseAMVersion(t *testing.T) {
	for in, want := range map[string]AMVersion{"0.25": {0, 25}, "v0.31.1": {0, 31}, "1.0": {1, 0}} {
		if got, err := ParseAMVersion(in); err != nil || got != want {
			t.Errorf("ParseAMVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "x.y", "0.-1", "0.25.1.2"} {
		if _, err := ParseAMVersion(in); err == nil {
			t.Errorf("ParseAMVersion(%q) accepted", in)
		}
	}
}

// TestQuietHoursMuteOnlyWarningsOutsideWorkingTime: a team with quiet hours
// gets its calendar's working time and holidays as Alertmanager time
// intervals in the calendar's zone, on the warning route only. The intervals
// are judged by Alertmanager's own timeinterval package.
func TestQuietHoursMuteOnlyWarningsOutsideWorkingTime(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/quiet.yml"
	if err := os.WriteFile(path, []byte(`
calendars:
  cn:
    timezone: Asia/Shanghai
    work_hours: ["09:00-12:00", "13:30-18:00"]
    holidays: [2026-10-01]
    make_up_days: [2026-10-10]
teams:
  plant:
    calendar: cn
    quiet_hours: true
    notify: {email: [{to: plant@example.com}]}
    oncall: {webhook: [{url_file: /etc/am/plant_pager}]}
alerting:
  smtp: {smarthost: smtp.example.com:587, from: kpi@example.com}
sources: {db: {driver: sqlite, dsn: x.db}}
kpis:
  - {name: units, help: h, unit: count, owner: o@example.com, team: plant, source: db, sql: SELECT 1 AS v, value: v, direction: higher, target: 10, thresholds: {warning: 8, critical: 5}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadAM(t, path, AMVersion{0, 31})
	var team *amconfig.Route
	for _, r := range cfg.Route.Routes {
		if labels.Matchers(r.Matchers).Matches(model.LabelSet{"team": "plant"}) {
			team = r
		}
	}
	if team == nil || len(team.Routes) != 2 {
		t.Fatalf("no plant route with two children: %+v", cfg.Route.Routes)
	}
	critical, warning := team.Routes[0], team.Routes[1]
	if len(critical.ActiveTimeIntervals)+len(critical.MuteTimeIntervals) > 0 {
		t.Fatal("the critical route is muted")
	}
	if !slices.Equal(warning.ActiveTimeIntervals, []string{"plant-working-time"}) || !slices.Equal(warning.MuteTimeIntervals, []string{"plant-holidays"}) {
		t.Fatalf("warning route intervals: active %v, mute %v", warning.ActiveTimeIntervals, warning.MuteTimeIntervals)
	}
	in := func(name string, at time.Time) bool {
		for _, ti := range cfg.TimeIntervals {
			if ti.Name != name {
				continue
			}
			for _, x := range ti.TimeIntervals {
				if x.ContainsTime(at.UTC()) {
					return true
				}
			}
		}
		return false
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, c := range []struct {
		name           string
		at             time.Time
		working, muted bool
	}{
		{"a Monday morning", time.Date(2026, 10, 12, 10, 0, 0, 0, sh), true, false},
		{"the lunch break", time.Date(2026, 10, 12, 12, 30, 0, 0, sh), false, false},
		{"a Monday evening", time.Date(2026, 10, 12, 20, 0, 0, 0, sh), false, false},
		{"09:00 Shanghai is 01:00 UTC", time.Date(2026, 10, 13, 9, 0, 0, 0, sh), true, false},
		{"a Sunday", time.Date(2026, 10, 11, 10, 0, 0, 0, sh), false, false},
		{"the make-up Saturday", time.Date(2026, 10, 10, 10, 0, 0, 0, sh), true, false},
		{"the holiday, a Thursday", time.Date(2026, 10, 1, 10, 0, 0, 0, sh), true, true},
	} {
		if got := in("plant-working-time", c.at); got != c.working {
			t.Errorf("%s: in working time %v, want %v", c.name, got, c.working)
		}
		if got := in("plant-holidays", c.at); got != c.muted {
			t.Errorf("%s: on a holiday %v, want %v", c.name, got, c.muted)
		}
	}
}
