package catalog

import (
	"sort"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// Catalog is the validated, immutable result of loading one or more catalog
// files. Slices are in a deterministic order: sources, teams and KPIs sorted by
// name.
type Catalog struct {
	Global   Global
	Alerting Alerting
	Sources  []*Source
	Teams    []*Team
	// Calendars are the business calendars the catalog defines.
	Calendars []*Calendar
	KPIs      []*KPI
	// Files are the files the catalog was read from, in load order.
	Files []string

	sourceByName   map[string]*Source
	calendarByName map[string]*Calendar
	utc            *calendar.Calendar // of KPIs and teams that name no calendar
	teamByName     map[string]*Team
	kpiByName      map[string]*KPI
}

// Source returns the named source, or nil.
func (c *Catalog) Source(name string) *Source { return c.sourceByName[name] }

// Team returns the named team, or nil.
func (c *Catalog) Team(name string) *Team { return c.teamByName[name] }

// KPI returns the named KPI, or nil.
func (c *Catalog) KPI(name string) *KPI { return c.kpiByName[name] }

// OwningTeams returns the teams that own KPIs, in name order, including
// teams the catalog uses without defining them under teams (the lint
// reports those; their KPIs still get rules and documentation).
func (c *Catalog) OwningTeams() []string {
	seen := map[string]bool{}
	var names []string
	for _, k := range c.KPIs {
		if !seen[k.Team] {
			seen[k.Team] = true
			names = append(names, k.Team)
		}
	}
	sort.Strings(names)
	return names
}

// TeamKPIs returns the KPIs of one team, in name order.
func (c *Catalog) TeamKPIs(team string) []*KPI {
	var out []*KPI
	for _, k := range c.KPIs {
		if k.Team == team {
			out = append(out, k)
		}
	}
	return out
}

// Global holds catalog-wide defaults. Every KPI inherits them unless it sets
// its own value.
type Global struct {
	// Interval is how often each KPI's SQL runs by default.
	Interval Duration `yaml:"interval"`
	// Timeout bounds one run of a KPI's SQL by default.
	Timeout Duration `yaml:"timeout"`
	// MaxSeries is the default cap on rows (series) one KPI may export.
	MaxSeries int `yaml:"max_series"`
	// MaxAgeIntervals is how many intervals a KPI's last success may be old
	// before its values are withdrawn, unless the KPI sets max_age.
	MaxAgeIntervals int `yaml:"max_age_intervals"`
	// GrafanaURL is the base URL of the Grafana that serves the generated
	// dashboards; alert annotations and the KPI dictionary link into it.
	GrafanaURL string `yaml:"grafana_url"`
	// Labels are constant labels added to every KPI series, such as company
	// or environment.
	Labels map[string]string `yaml:"labels"`
	// Calendar names the calendar periods are counted in, unless a KPI
	// names its own; UTC when empty.
	Calendar string `yaml:"calendar"`
	// Language is the language of everything the generators write for
	// people: alert annotations, dashboards and the KPI dictionary.
	Language Language `yaml:"language"`
}

// Alerting holds what the Alertmanager generator needs beyond the teams.
type Alerting struct {
	SMTP SMTP `yaml:"smtp"`
	// GroupWait, GroupInterval and RepeatInterval tune the generated routing tree.
	GroupWait      Duration `yaml:"group_wait"`
	GroupInterval  Duration `yaml:"group_interval"`
	RepeatInterval Duration `yaml:"repeat_interval"`
	// ResolveTimeout is Alertmanager's global resolve_timeout.
	ResolveTimeout Duration `yaml:"resolve_timeout"`
	// ScrapeInterval is how often the Prometheus that evaluates the generated
	// rules scrapes the exporter. The shortest for and keep_firing_for
	// durations of the generated alerts follow it.
	ScrapeInterval Duration `yaml:"scrape_interval"`
}

// SMTP configures how generated email receivers send mail.
type SMTP struct {
	Smarthost        string `yaml:"smarthost"`
	From             string `yaml:"from"`
	AuthUsername     string `yaml:"auth_username"`
	AuthPasswordFile string `yaml:"auth_password_file"`
	RequireTLS       *bool  `yaml:"require_tls"`
}

// Driver names a database engine.
type Driver string

// The supported drivers.
const (
	DriverSQLite   Driver = "sqlite"
	DriverMySQL    Driver = "mysql"
	DriverPostgres Driver = "postgres"
	DriverMSSQL    Driver = "mssql"
)

// Drivers lists every supported driver, in a stable order.
var Drivers = []Driver{DriverMySQL, DriverMSSQL, DriverPostgres, DriverSQLite}

// Source is a named database connection.
type Source struct {
	Name   string `yaml:"-"`
	Driver Driver `yaml:"driver"`
	// RawDSN is the DSN as written, before ${ENV} expansion. It may contain
	// references to environment variables but never a literal secret in a
	// reviewed catalog.
	RawDSN  string `yaml:"dsn"`
	DSNFile string `yaml:"dsn_file"`
	// MaxOpenConns caps the connections in the source's pool.
	MaxOpenConns int `yaml:"max_open_conns"`
	// MaxConcurrentQueries caps how many KPI queries run at once on the source.
	MaxConcurrentQueries int `yaml:"max_concurrent_queries"`
	// Timeout is the default query timeout for the source's KPIs.
	Timeout Duration `yaml:"timeout"`
	// Demo makes the exporter create and fill the built-in demo database at
	// the DSN's path when it is missing (sqlite only).
	Demo bool `yaml:"demo"`

	dsn     string
	secrets []string // see Secrets
	pos     Position
}

// DSN returns the resolved connection string. It holds secrets: never log it,
// put it in an error, or export it; redact Secrets from whatever quotes it.
func (s *Source) DSN() string { return s.dsn }

// String names the source without revealing its DSN.
func (s *Source) String() string { return s.Name + " (" + string(s.Driver) + ")" }

// Pos is where the source is defined.
func (s *Source) Pos() Position { return s.pos }

// Team is a group of people who own KPIs and receive their alerts.
type Team struct {
	Name string `yaml:"-"`
	// Title is the team's display name, in any script; Name when empty.
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// Notify receives warnings (and criticals when OnCall is empty):
	// email, chat or webhooks.
	Notify Receivers `yaml:"notify"`
	// OnCall receives critical alerts: a paging service.
	OnCall Receivers `yaml:"oncall"`
	// Calendar is the team's calendar for quiet hours (default:
	// global.calendar, or UTC).
	Calendar string `yaml:"calendar"`
	// QuietHours mutes the team's warnings outside its calendar's working
	// time and on its holidays. Critical alerts are never muted.
	QuietHours bool `yaml:"quiet_hours"`
	// NotifyOwners also sends the team's warnings and criticals of each KPI
	// by e-mail to the KPI's owner.
	NotifyOwners bool `yaml:"notify_owners"`

	pos Position
}

// Pos is where the team is defined.
func (t *Team) Pos() Position { return t.pos }

// DisplayTitle is what people read for the team: its title, else its name.
func (t *Team) DisplayTitle() string {
	if t.Title != "" {
		return t.Title
	}
	return t.Name
}

// Receivers are notification targets. Secrets are only ever given as files.
type Receivers struct {
	Email     []EmailReceiver     `yaml:"email"`
	Webhook   []WebhookReceiver   `yaml:"webhook"`
	WeChat    []WeChatReceiver    `yaml:"wechat"`
	PagerDuty []PagerDutyReceiver `yaml:"pagerduty"`
	Opsgenie  []OpsgenieReceiver  `yaml:"opsgenie"`
}

// Empty reports whether no receiver is configured.
func (r Receivers) Empty() bool {
	return len(r.Email)+len(r.Webhook)+len(r.WeChat)+len(r.PagerDuty)+len(r.Opsgenie) == 0
}

// EmailReceiver sends mail to one address.
type EmailReceiver struct {
	To           string `yaml:"to"`
	SendResolved *bool  `yaml:"send_resolved"`
}

// WebhookReceiver posts Alertmanager's JSON payload to a URL.
type WebhookReceiver struct {
	URL          string `yaml:"url"`
	URLFile      string `yaml:"url_file"`
	SendResolved *bool  `yaml:"send_resolved"`
}

// WeChatReceiver sends through WeChat Work (Alertmanager wechat_configs).
type WeChatReceiver struct {
	CorpID        string `yaml:"corp_id"`
	AgentID       string `yaml:"agent_id"`
	ToParty       string `yaml:"to_party"`
	ToUser        string `yaml:"to_user"`
	ToTag         string `yaml:"to_tag"`
	APISecretFile string `yaml:"api_secret_file"`
	APIURL        string `yaml:"api_url"`
	SendResolved  *bool  `yaml:"send_resolved"`
}

// PagerDutyReceiver pages through PagerDuty Events API v2.
type PagerDutyReceiver struct {
	RoutingKeyFile string `yaml:"routing_key_file"`
	URL            string `yaml:"url"`
	SendResolved   *bool  `yaml:"send_resolved"`
}

// OpsgenieReceiver pages through Opsgenie.
type OpsgenieReceiver struct {
	APIKeyFile   string              `yaml:"api_key_file"`
	APIURL       string              `yaml:"api_url"`
	Responders   []OpsgenieResponder `yaml:"responders"`
	SendResolved *bool               `yaml:"send_resolved"`
}

// OpsgenieResponder names who Opsgenie notifies.
type OpsgenieResponder struct {
	Type string `yaml:"type"`
	Name string `yaml:"name"`
}

// Direction says which way is good for a KPI.
type Direction string

// The directions.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
)

// Period is the calendar span over which a KPI's target accumulates.
type Period string

// The periods, counted in the KPI's calendar (see CalendarOf).
const (
	PeriodNone    Period = ""
	PeriodDay     Period = "day"
	PeriodWeek    Period = "week"
	PeriodMonth   Period = "month"
	PeriodQuarter Period = "quarter"
	PeriodYear    Period = "year"
)

// KPI is one key performance indicator: its SQL, what it means and who owns it.
type KPI struct {
	Name string `yaml:"name"`
	// Title is the KPI's display name, in any script; Name when empty.
	// Metric names, label values and alert names keep Name.
	Title       string `yaml:"title"`
	Help        string `yaml:"help"`
	Description string `yaml:"description"`
	Unit        Unit   `yaml:"unit"`
	// Currency is the ISO 4217 code for unit "currency", such as EUR.
	Currency string `yaml:"currency"`
	Owner    string `yaml:"owner"`
	Team     string `yaml:"team"`
	// Group is a dashboard/rule grouping within the team; it defaults to the team.
	Group string `yaml:"group"`

	Source string `yaml:"source"`
	SQL    string `yaml:"sql"`
	// Labels are the result columns that become labels, in order.
	Labels []string `yaml:"labels"`
	// Value is the result column holding the value.
	Value string `yaml:"value"`

	Interval  Duration `yaml:"interval"`
	Timeout   Duration `yaml:"timeout"`
	MaxAge    Duration `yaml:"max_age"`
	MaxSeries int      `yaml:"max_series"`

	Direction  Direction   `yaml:"direction"`
	Target     *Target     `yaml:"target"`
	Thresholds *Thresholds `yaml:"thresholds"`
	Period     Period      `yaml:"period"`
	// Calendar names the calendar the KPI's period is counted in (default:
	// global.calendar); Accrual says whether its target accrues by wall time
	// or by the calendar's working time.
	Calendar string  `yaml:"calendar"`
	Accrual  Accrual `yaml:"accrual"`
	// Compare runs the SQL again over the same elapsed part of earlier
	// periods (previous_period, previous_year), every CompareInterval.
	Compare         []calendar.Earlier `yaml:"compare"`
	CompareInterval Duration           `yaml:"compare_interval"`

	// Forecast enables the forecast-miss alert for period KPIs (default true
	// when a period and a target exist).
	Forecast *bool    `yaml:"forecast"`
	Anomaly  *Anomaly `yaml:"anomaly"`
	// Control reconciles the KPI with a second query (control.go).
	Control *Control `yaml:"control"`

	RunbookURL string `yaml:"runbook_url"`

	// ChangeLog records who changed the KPI's definition, who approved it
	// and why, oldest entry first (see changelog.go).
	ChangeLog []ChangeEntry `yaml:"changelog"`

	pos     Position
	file    string
	hash    string
	panelID int
	// metric and targetMetric are MetricName and TargetMetricName, set
	// once the catalog is loaded: the generators ask for them hundreds of
	// thousands of times for a large catalog.
	metric, targetMetric string
}

// Pos is where the KPI is defined.
func (k *KPI) Pos() Position { return k.pos }

// DisplayTitle is what people read for the KPI: its title, else its name.
func (k *KPI) DisplayTitle() string {
	if k.Title != "" {
		return k.Title
	}
	return k.Name
}

// DefinitionHash is a short hash of everything that decides the KPI's numbers
// (source, SQL with comments and whitespace ignored, labels, value column,
// unit, direction, target, thresholds and period). Metadata such as owner or
// help text does not change it.
func (k *KPI) DefinitionHash() string { return k.hash }

// HasTarget reports whether the KPI has any target.
func (k *KPI) HasTarget() bool { return k.Target != nil }

// ForecastEnabled reports whether a forecast-miss alert applies.
func (k *KPI) ForecastEnabled() bool {
	if k.Period == PeriodNone || k.Target == nil {
		return false
	}
	return k.Forecast == nil || *k.Forecast
}

// Target is a KPI's goal: a constant, or SQL that returns one target per
// label set.
type Target struct {
	// Value is the constant target when SQL is empty.
	Value float64 `yaml:"value"`
	// SQL returns the KPI's label columns and a target column.
	SQL string `yaml:"sql"`
	// Column is the target column of SQL (default "target").
	Column string `yaml:"value_column"`
	// Source runs SQL; it defaults to the KPI's source.
	Source string `yaml:"source"`
}

// IsConstant reports whether the target is a constant.
func (t *Target) IsConstant() bool { return t.SQL == "" }

// Thresholds are the warning and critical levels of a KPI.
type Thresholds struct {
	Warning  *Threshold `yaml:"warning"`
	Critical *Threshold `yaml:"critical"`
}

// Threshold is an absolute level, or a percentage of the target ("90%").
type Threshold struct {
	Value float64
	// OfTarget is true when Value is a percentage of the target.
	OfTarget bool
}

// Ratio returns the threshold as a fraction of the target (0.9 for "90%").
func (t Threshold) Ratio() float64 { return t.Value / 100 }

// String renders the threshold as written.
func (t Threshold) String() string {
	if t.OfTarget {
		return formatFloat(t.Value) + "%"
	}
	return formatFloat(t.Value)
}

// Anomaly enables the anomaly alert: the value leaves its trailing baseline by
// more than StdDevs standard deviations.
type Anomaly struct {
	Window  Duration `yaml:"window"`
	StdDevs float64  `yaml:"stddevs"`
	For     Duration `yaml:"for"`
}

// Duration is a Prometheus-style duration ("30s", "5m", "1h", "1d", "1w").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration as Prometheus does.
func (d Duration) String() string { return formatDuration(time.Duration(d)) }

// Position is a place in a catalog file.
type Position struct {
	File string
	Line int
}
