package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	amconfig "github.com/prometheus/alertmanager/config"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/output"
)

// alertmanagerFile is where the Alertmanager configuration goes.
const alertmanagerFile = "alertmanager/alertmanager.yml"

// AMVersion is the oldest Alertmanager the generated configuration must
// load in. Secrets that only newer versions can read from a file decide
// which receivers can be written.
type AMVersion struct{ Major, Minor int }

// DefaultAMVersion is the Alertmanager whose configuration package
// (github.com/prometheus/alertmanager in go.mod) loads every generated
// configuration, so the default output routes every receiver the catalog
// names. DebianAMVersion is Debian 12's, the oldest we test against (amtool
// and the end-to-end test).
var (
	DefaultAMVersion = AMVersion{0, 35}
	DebianAMVersion  = AMVersion{0, 25}
)

// Versions that added the *_file secrets the catalog uses.
var (
	amWebhookURLFile      = AMVersion{0, 26}
	amWeChatAPISecretFile = AMVersion{0, 31}
)

// ParseAMVersion parses "0.25" or "0.25.1" (the patch is ignored).
func ParseAMVersion(s string) (AMVersion, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return AMVersion{}, fmt.Errorf("alertmanager version %q: want MAJOR.MINOR such as 0.25", s)
	}
	var v [2]int
	for i := range v {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return AMVersion{}, fmt.Errorf("alertmanager version %q: want MAJOR.MINOR such as 0.25", s)
		}
		v[i] = n
	}
	return AMVersion{v[0], v[1]}, nil
}

func (v AMVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v AMVersion) atLeast(w AMVersion) bool {
	return v.Major > w.Major || v.Major == w.Major && v.Minor >= w.Minor
}

// AMConfig is the generated Alertmanager configuration, in the field order
// Alertmanager documents.
type AMConfig struct {
	Global       amGlobal     `yaml:"global"`
	Route        amRoute      `yaml:"route"`
	InhibitRules []amInhibit  `yaml:"inhibit_rules"`
	Receivers    []amReceiver `yaml:"receivers"`
	// TimeIntervals are the teams' working time and holidays, for quiet
	// hours.
	TimeIntervals []amTimeInterval `yaml:"time_intervals,omitempty"`
	// Omitted explains receivers the target version cannot express.
	Omitted []string `yaml:"-"`
	// version is the Alertmanager the configuration is written for.
	version AMVersion
}

type amGlobal struct {
	ResolveTimeout       string `yaml:"resolve_timeout,omitempty"`
	SMTPSmarthost        string `yaml:"smtp_smarthost,omitempty"`
	SMTPFrom             string `yaml:"smtp_from,omitempty"`
	SMTPAuthUsername     string `yaml:"smtp_auth_username,omitempty"`
	SMTPAuthPasswordFile string `yaml:"smtp_auth_password_file,omitempty"`
	SMTPRequireTLS       *bool  `yaml:"smtp_require_tls,omitempty"`
}

type amRoute struct {
	Receiver string   `yaml:"receiver"`
	GroupBy  []string `yaml:"group_by,omitempty"`
	Matchers []string `yaml:"matchers,omitempty"`
	// Continue lets an alert that matched go on to the next sibling.
	Continue       bool   `yaml:"continue,omitempty"`
	GroupWait      string `yaml:"group_wait,omitempty"`
	GroupInterval  string `yaml:"group_interval,omitempty"`
	RepeatInterval string `yaml:"repeat_interval,omitempty"`
	// ActiveTimeIntervals and MuteTimeIntervals name time_intervals.
	ActiveTimeIntervals []string  `yaml:"active_time_intervals,omitempty"`
	MuteTimeIntervals   []string  `yaml:"mute_time_intervals,omitempty"`
	Routes              []amRoute `yaml:"routes,omitempty"`
}

type amTimeInterval struct {
	Name          string       `yaml:"name"`
	TimeIntervals []amTimeSpec `yaml:"time_intervals"`
}

// amTimeSpec matches when every field it sets matches; the specs of one
// interval match when any does.
type amTimeSpec struct {
	Times       []amTimeRange `yaml:"times,omitempty"`
	Weekdays    []string      `yaml:"weekdays,omitempty"`
	DaysOfMonth []string      `yaml:"days_of_month,omitempty"`
	Months      []string      `yaml:"months,omitempty"`
	Years       []string      `yaml:"years,omitempty"`
	Location    string        `yaml:"location,omitempty"`
}

type amTimeRange struct {
	StartTime string `yaml:"start_time"`
	EndTime   string `yaml:"end_time"`
}

type amInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

type amReceiver struct {
	Name             string        `yaml:"name"`
	EmailConfigs     []amEmail     `yaml:"email_configs,omitempty"`
	WebhookConfigs   []amWebhook   `yaml:"webhook_configs,omitempty"`
	WeChatConfigs    []amWeChat    `yaml:"wechat_configs,omitempty"`
	PagerDutyConfigs []amPagerDuty `yaml:"pagerduty_configs,omitempty"`
	OpsgenieConfigs  []amOpsgenie  `yaml:"opsgenie_configs,omitempty"`
}

type amEmail struct {
	SendResolved *bool  `yaml:"send_resolved,omitempty"`
	To           string `yaml:"to"`
}

type amWebhook struct {
	SendResolved *bool  `yaml:"send_resolved,omitempty"`
	URL          string `yaml:"url,omitempty"`
	URLFile      string `yaml:"url_file,omitempty"`
}

type amWeChat struct {
	SendResolved  *bool  `yaml:"send_resolved,omitempty"`
	APISecretFile string `yaml:"api_secret_file,omitempty"`
	APIURL        string `yaml:"api_url,omitempty"`
	CorpID        string `yaml:"corp_id,omitempty"`
	AgentID       string `yaml:"agent_id,omitempty"`
	ToUser        string `yaml:"to_user,omitempty"`
	ToParty       string `yaml:"to_party,omitempty"`
	ToTag         string `yaml:"to_tag,omitempty"`
}

type amPagerDuty struct {
	SendResolved   *bool  `yaml:"send_resolved,omitempty"`
	RoutingKeyFile string `yaml:"routing_key_file"`
	URL            string `yaml:"url,omitempty"`
}

type amOpsgenie struct {
	SendResolved *bool         `yaml:"send_resolved,omitempty"`
	APIKeyFile   string        `yaml:"api_key_file"`
	APIURL       string        `yaml:"api_url,omitempty"`
	Responders   []amResponder `yaml:"responders,omitempty"`
}

type amResponder struct {
	Type string `yaml:"type"`
	Name string `yaml:"name"`
}

// defaultReceiver takes alerts without a team; it has no integrations.
const defaultReceiver = "kpi_exporter-unrouted"

// notifyReceiver names the receiver of a team's warnings.
func notifyReceiver(team string) string { return team + "-notify" }

// onCallReceiver names the receiver of a team's critical alerts.
func onCallReceiver(team string) string { return team + "-oncall" }

func matcher(name, value string) string { return name + "=" + strconv.Quote(value) }

// alertmanager builds the routing tree: by team, then by severity (critical
// to the team's on-call receivers, or its notify receivers when it has none;
// warning to notify), grouped by alert and KPI, with critical alerts muting
// the warnings of the same KPI and label set, and a source's outage muting
// the stale and collection-error alerts of the KPIs read from it. Secrets are file references
// only; a receiver whose secret file field is newer than v is left out and
// listed in Omitted rather than written with an inline secret.
func alertmanager(c *catalog.Catalog, v AMVersion) *AMConfig {
	a := c.Alerting
	cfg := &AMConfig{
		version: v,
		Global: amGlobal{
			ResolveTimeout:       a.ResolveTimeout.String(),
			SMTPSmarthost:        a.SMTP.Smarthost,
			SMTPFrom:             a.SMTP.From,
			SMTPAuthUsername:     a.SMTP.AuthUsername,
			SMTPAuthPasswordFile: a.SMTP.AuthPasswordFile,
			SMTPRequireTLS:       a.SMTP.RequireTLS,
		},
		Route: amRoute{
			Receiver:       defaultReceiver,
			GroupBy:        []string{"alertname", catalog.LabelTeam, catalog.LabelKPI},
			GroupWait:      a.GroupWait.String(),
			GroupInterval:  a.GroupInterval.String(),
			RepeatInterval: a.RepeatInterval.String(),
		},
		Receivers: []amReceiver{{Name: defaultReceiver}},
	}
	for _, t := range c.Teams {
		notify := cfg.receiver(notifyReceiver(t.Name), t.Notify, v)
		critical := notify.Name
		cfg.Receivers = append(cfg.Receivers, notify)
		if !t.OnCall.Empty() {
			oncall := cfg.receiver(onCallReceiver(t.Name), t.OnCall, v)
			critical = oncall.Name
			cfg.Receivers = append(cfg.Receivers, oncall)
		}
		warnings := amRoute{Receiver: notify.Name, Matchers: []string{matcher(catalog.LabelSeverity, catalog.SeverityWarning)}}
		if t.QuietHours {
			cfg.quietHours(&warnings, t.Name, c.TeamCalendar(t))
		}
		routes := []amRoute{
			{Receiver: critical, Matchers: []string{matcher(catalog.LabelSeverity, catalog.SeverityCritical)}},
			warnings,
		}
		if t.NotifyOwners {
			routes = append(cfg.ownerRoutes(c, t.Name, warnings), routes...)
		}
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{
			Receiver: notify.Name,
			Matchers: []string{matcher(catalog.LabelTeam, t.Name)},
			Routes:   routes,
		})
	}
	for _, name := range c.OwningTeams() {
		if c.Team(name) == nil {
			cfg.Omitted = append(cfg.Omitted, fmt.Sprintf("team %s owns KPIs but is not defined under teams: its alerts reach only %s", name, defaultReceiver))
		}
	}
	cfg.InhibitRules = []amInhibit{{
		SourceMatchers: []string{matcher(catalog.LabelSeverity, catalog.SeverityCritical)},
		TargetMatchers: []string{matcher(catalog.LabelSeverity, catalog.SeverityWarning)},
		Equal:          inhibitEqual(c),
	}, {
		// A source's outage explains why its KPIs are stale and fail to
		// collect: while it fires, those alerts only repeat it.
		SourceMatchers: []string{matcher("alertname", catalog.AlertSourceDown)},
		TargetMatchers: []string{"alertname=~" + strconv.Quote(outageExplains(c))},
		Equal:          []string{catalog.LabelSource},
	}}
	return cfg
}

// outageExplains are the alerts a source's outage mutes, as a regular
// expression: the KPIs' stale and collection-error alerts, and the
// control-error alerts when the catalog has controls.
func outageExplains(c *catalog.Catalog) string {
	re := catalog.AlertStale + "|" + catalog.AlertCollectionErrors
	if slices.ContainsFunc(c.KPIs, func(k *catalog.KPI) bool { return k.Control != nil }) {
		re += "|" + catalog.AlertControlErrors
	}
	return re
}

// inhibitEqual are the labels a critical and a warning alert must share for
// the critical one to mute the other: the KPI and every label column.
func inhibitEqual(c *catalog.Catalog) []string {
	seen := map[string]bool{}
	var cols []string
	for _, k := range c.KPIs {
		for _, l := range k.Labels {
			if !seen[l] {
				seen[l] = true
				cols = append(cols, l)
			}
		}
	}
	for _, g := range sortedKeys(c.Global.Labels) {
		if !seen[g] {
			seen[g] = true
			cols = append(cols, g)
		}
	}
	slices.Sort(cols)
	return append([]string{catalog.LabelKPI, catalog.LabelTeam}, cols...)
}

// ownerReceiver names the e-mail receiver of a KPI owner.
func ownerReceiver(owner string) string { return "owner-" + owner }

// ownerRoutes send the team's alerts of each KPI to the KPI's owner by
// e-mail too: one route per distinct owner, matching the owner label, that
// continues to the team's own routes. Owners' warnings keep the team's quiet
// hours (those of warnings). A receiver per owner is added once, however
// many teams name the owner.
func (cfg *AMConfig) ownerRoutes(c *catalog.Catalog, team string, warnings amRoute) []amRoute {
	var out []amRoute
	seen := map[string]bool{}
	for _, k := range c.TeamKPIs(team) {
		if seen[k.Owner] {
			continue
		}
		seen[k.Owner] = true
		name := ownerReceiver(k.Owner)
		if !slices.ContainsFunc(cfg.Receivers, func(r amReceiver) bool { return r.Name == name }) {
			cfg.Receivers = append(cfg.Receivers, amReceiver{Name: name, EmailConfigs: []amEmail{{To: k.Owner}}})
		}
		r := amRoute{Receiver: name, Matchers: []string{matcher(catalog.LabelOwner, k.Owner)}, Continue: true}
		if len(warnings.ActiveTimeIntervals)+len(warnings.MuteTimeIntervals) > 0 {
			quiet := warnings
			quiet.Receiver = name
			r.Routes = []amRoute{
				{Receiver: name, Matchers: []string{matcher(catalog.LabelSeverity, catalog.SeverityCritical)}},
				quiet,
			}
		}
		out = append(out, r)
	}
	return out
}

// receiver builds a team's receiver; the catalog made sure e-mail has its
// SMTP settings.
func (cfg *AMConfig) receiver(name string, r catalog.Receivers, v AMVersion) amReceiver {
	out := amReceiver{Name: name}
	for _, e := range r.Email {
		out.EmailConfigs = append(out.EmailConfigs, amEmail{SendResolved: e.SendResolved, To: e.To})
	}
	for i, w := range r.Webhook {
		if w.URLFile != "" && !v.atLeast(amWebhookURLFile) {
			cfg.Omitted = append(cfg.Omitted, fmt.Sprintf("%s: webhook %d (url_file needs Alertmanager >= %s)", name, i+1, amWebhookURLFile))
			continue
		}
		out.WebhookConfigs = append(out.WebhookConfigs, amWebhook{SendResolved: w.SendResolved, URL: w.URL, URLFile: w.URLFile})
	}
	for i, w := range r.WeChat {
		if !v.atLeast(amWeChatAPISecretFile) {
			cfg.Omitted = append(cfg.Omitted, fmt.Sprintf("%s: wechat %d (api_secret_file needs Alertmanager >= %s)", name, i+1, amWeChatAPISecretFile))
			continue
		}
		out.WeChatConfigs = append(out.WeChatConfigs, amWeChat{
			SendResolved: w.SendResolved, APISecretFile: w.APISecretFile, APIURL: w.APIURL,
			CorpID: w.CorpID, AgentID: w.AgentID, ToUser: w.ToUser, ToParty: w.ToParty, ToTag: w.ToTag,
		})
	}
	for _, p := range r.PagerDuty {
		out.PagerDutyConfigs = append(out.PagerDutyConfigs, amPagerDuty{SendResolved: p.SendResolved, RoutingKeyFile: p.RoutingKeyFile, URL: p.URL})
	}
	for _, o := range r.Opsgenie {
		og := amOpsgenie{SendResolved: o.SendResolved, APIKeyFile: o.APIKeyFile, APIURL: o.APIURL}
		for _, rs := range o.Responders {
			og.Responders = append(og.Responders, amResponder{Type: rs.Type, Name: rs.Name})
		}
		out.OpsgenieConfigs = append(out.OpsgenieConfigs, og)
	}
	return out
}

// check loads the configuration as written with Alertmanager's own
// configuration package, which reads every version's output up to
// DefaultAMVersion.
func (cfg *AMConfig) check() error {
	data, err := output.Encode(cfg.file())
	if err != nil {
		return err
	}
	if _, err := amconfig.Load(string(data)); err != nil {
		return fmt.Errorf("load with alertmanager's config package: %w", err)
	}
	return nil
}

// file is the configuration as the file to write, with a comment naming
// any receiver the target version cannot express.
func (cfg *AMConfig) file() output.File {
	f := output.File{Path: alertmanagerFile, Value: cfg}
	if len(cfg.Omitted) == 0 {
		return f
	}
	var note strings.Builder
	fmt.Fprintf(&note, "Written for Alertmanager >= %s. Not routed to anybody (receivers whose\n", cfg.version)
	note.WriteString("secret file that version cannot read are left out, never written inline;\n")
	note.WriteString("generate with a newer --alertmanager.version to include them):\n")
	for _, o := range cfg.Omitted {
		note.WriteString("  " + o + "\n")
	}
	f.Comment = note.String()
	return f
}

// amTimeLocation is the first Alertmanager whose time intervals take a
// location; before it they are UTC only.
var amTimeLocation = AMVersion{0, 25}

// quietHours mutes a team's warning route outside its calendar's working
// time (active_time_intervals) and on its holidays (mute_time_intervals), in
// the calendar's zone. Critical alerts take another route and are never
// muted.
func (cfg *AMConfig) quietHours(r *amRoute, team string, cal *calendar.Calendar) {
	if !cfg.version.atLeast(amTimeLocation) {
		cfg.Omitted = append(cfg.Omitted, fmt.Sprintf("team %s: quiet hours (time intervals with a location need Alertmanager >= %s)", team, amTimeLocation))
		return
	}
	loc := cal.Location().String()
	var times []amTimeRange
	for _, h := range cal.Hours() {
		times = append(times, amTimeRange{StartTime: clock(h.Start), EndTime: clock(h.End)})
	}
	working := amTimeInterval{Name: team + "-working-time"}
	var days []string
	for _, d := range cal.WorkDays() {
		days = append(days, strings.ToLower(d.String()))
	}
	if len(days) > 0 {
		working.TimeIntervals = append(working.TimeIntervals, amTimeSpec{Times: times, Weekdays: days, Location: loc})
	}
	for _, d := range cal.MakeUpDays() {
		working.TimeIntervals = append(working.TimeIntervals, dateSpec(d, times, loc))
	}
	if len(working.TimeIntervals) == 0 {
		// No working time at all: an interval that never matches would
		// mute every warning, which is not what quiet hours mean.
		cfg.Omitted = append(cfg.Omitted, fmt.Sprintf("team %s: quiet hours without any working day in calendar %s", team, cal.Name()))
		return
	}
	cfg.TimeIntervals = append(cfg.TimeIntervals, working)
	r.ActiveTimeIntervals = []string{working.Name}
	if hol := cal.Holidays(); len(hol) > 0 {
		off := amTimeInterval{Name: team + "-holidays"}
		for _, d := range hol {
			off.TimeIntervals = append(off.TimeIntervals, dateSpec(d, nil, loc))
		}
		cfg.TimeIntervals = append(cfg.TimeIntervals, off)
		r.MuteTimeIntervals = []string{off.Name}
	}
}

func dateSpec(d calendar.Date, times []amTimeRange, loc string) amTimeSpec {
	return amTimeSpec{Times: times, Years: []string{strconv.Itoa(d.Year)}, Months: []string{strconv.Itoa(int(d.Month))},
		DaysOfMonth: []string{strconv.Itoa(d.Day)}, Location: loc}
}

// clock renders minutes after midnight as Alertmanager's HH:MM.
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
