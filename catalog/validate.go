package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

var (
	nameRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	teamNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	currencyRE  = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (l *loader) validateGlobal(file string) {
	g := &l.cat.Global
	if g.MaxSeries < 1 {
		l.errAt(file, "global.max_series", "must be at least 1, got %d", g.MaxSeries)
	}
	if g.MaxAgeIntervals < 1 {
		l.errAt(file, "global.max_age_intervals", "must be at least 1, got %d", g.MaxAgeIntervals)
	}
	if g.Timeout > g.Interval {
		l.errAt(file, "global.timeout", "timeout %s is longer than the interval %s", g.Timeout, g.Interval)
	}
	if u, err := url.Parse(g.GrafanaURL); err != nil || u.Scheme == "" || u.Host == "" {
		l.errAt(file, "global.grafana_url", "expected an absolute URL such as https://grafana.example.com, got %q", g.GrafanaURL)
	}
	for _, name := range sortedKeys(g.Labels) {
		l.checkLabelName(file, "global.labels."+name, name)
	}
	l.validateLanguage(file)
}

func (l *loader) validateAlerting() {
	a := &l.cat.Alerting
	file := ""
	if l.alerting != nil {
		file = l.alerting.File
	}
	if a.SMTP.Smarthost != "" && !strings.Contains(a.SMTP.Smarthost, ":") {
		l.errAt(file, "alerting.smtp.smarthost", "expected host:port, got %q", a.SMTP.Smarthost)
	}
	if a.SMTP.Smarthost != "" && a.SMTP.From == "" {
		l.errAt(file, "alerting.smtp.from", "is required with a smarthost")
	}
}

func (l *loader) checkLabelName(file, path, name string) {
	switch {
	case !labelNameRE.MatchString(name):
		l.errAt(file, path, "%q is not a valid Prometheus label name", name)
	case strings.HasPrefix(name, "__"):
		l.errAt(file, path, "label names starting with __ are reserved, got %q", name)
	case slices.Contains(ReservedLabels, name):
		l.errAt(file, path, "label %q is reserved for the exporter, the rules or Alertmanager; alias the column in the SQL", name)
	}
}

func (l *loader) validateSource(s *Source) {
	file, path := s.pos.File, "sources."+s.Name
	if !nameRE.MatchString(s.Name) {
		l.errAt(file, path, "source name %q must be snake_case", s.Name)
	}
	if s.Driver == "" {
		l.errAt(file, path+".driver", "driver is required (one of %s)", joinDrivers())
	} else if !slices.Contains(Drivers, s.Driver) {
		l.errAt(file, path+".driver", "unknown driver %q (one of %s)", s.Driver, joinDrivers())
	}
	if s.Demo && s.Driver != DriverSQLite {
		l.errAt(file, path+".demo", "the demo database is only available with driver sqlite")
	}
	if s.MaxOpenConns < 1 {
		l.errAt(file, path+".max_open_conns", "must be at least 1, got %d", s.MaxOpenConns)
	}
	if s.MaxConcurrentQueries < 1 {
		l.errAt(file, path+".max_concurrent_queries", "must be at least 1, got %d", s.MaxConcurrentQueries)
	} else if s.MaxOpenConns > 0 && s.MaxConcurrentQueries > s.MaxOpenConns {
		l.errAt(file, path+".max_concurrent_queries", "%d is more than max_open_conns %d: the extra queries would only wait for a connection", s.MaxConcurrentQueries, s.MaxOpenConns)
	}
}

func joinDrivers() string {
	s := make([]string, len(Drivers))
	for i, d := range Drivers {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

func (l *loader) validateTeam(t *Team) {
	file, path := t.pos.File, "teams."+t.Name
	if !teamNameRE.MatchString(t.Name) {
		l.errAt(file, path, "team name %q must be lower case letters, digits, _ or -", t.Name)
	}
	l.checkTitle(file, path+".title", t.Title)
	l.validateReceivers(file, path+".notify", t.Notify)
	l.validateReceivers(file, path+".oncall", t.OnCall)
	// Alertmanager sends e-mail only through the catalog's SMTP settings.
	if smtp := l.cat.Alerting.SMTP; smtp.Smarthost == "" || smtp.From == "" {
		for _, key := range []string{"notify", "oncall"} {
			r := t.Notify
			if key == "oncall" {
				r = t.OnCall
			}
			if len(r.Email) > 0 {
				l.errAt(file, path+"."+key+".email", "email receivers need alerting.smtp.smarthost and alerting.smtp.from")
			}
		}
		if t.NotifyOwners {
			l.errAt(file, path+".notify_owners", "notifying owners by e-mail needs alerting.smtp.smarthost and alerting.smtp.from")
		}
	}
}

func (l *loader) validateReceivers(file, path string, r Receivers) {
	for i, e := range r.Email {
		p := fmt.Sprintf("%s.email[%d].to", path, i)
		if !strings.Contains(e.To, "@") {
			l.errAt(file, p, "expected an email address, got %q", e.To)
		}
	}
	for i, w := range r.Webhook {
		p := fmt.Sprintf("%s.webhook[%d]", path, i)
		switch {
		case w.URL != "" && w.URLFile != "":
			l.errAt(file, p+".url_file", "give url or url_file, not both")
		case w.URL == "" && w.URLFile == "":
			l.errAt(file, p+".url", "url or url_file is required")
		case w.URL != "":
			l.checkURL(file, p+".url", w.URL)
		}
	}
	for i, w := range r.WeChat {
		p := fmt.Sprintf("%s.wechat[%d]", path, i)
		if w.CorpID == "" {
			l.errAt(file, p+".corp_id", "corp_id is required")
		}
		if w.APISecretFile == "" {
			l.errAt(file, p+".api_secret_file", "api_secret_file is required: secrets are only given as files")
		}
		if w.ToParty == "" && w.ToUser == "" && w.ToTag == "" {
			l.errAt(file, p, "one of to_party, to_user or to_tag is required")
		}
		if w.APIURL != "" {
			l.checkURL(file, p+".api_url", w.APIURL)
		}
	}
	for i, pd := range r.PagerDuty {
		p := fmt.Sprintf("%s.pagerduty[%d]", path, i)
		if pd.RoutingKeyFile == "" {
			l.errAt(file, p+".routing_key_file", "routing_key_file is required: secrets are only given as files")
		}
		if pd.URL != "" {
			l.checkURL(file, p+".url", pd.URL)
		}
	}
	for i, og := range r.Opsgenie {
		p := fmt.Sprintf("%s.opsgenie[%d]", path, i)
		if og.APIKeyFile == "" {
			l.errAt(file, p+".api_key_file", "api_key_file is required: secrets are only given as files")
		}
		if og.APIURL != "" {
			l.checkURL(file, p+".api_url", og.APIURL)
		}
		for j, rs := range og.Responders {
			if !slices.Contains([]string{"team", "user", "escalation", "schedule"}, rs.Type) {
				l.errAt(file, fmt.Sprintf("%s.responders[%d].type", p, j), "expected team, user, escalation or schedule, got %q", rs.Type)
			}
		}
	}
}

func (l *loader) checkURL(file, path, s string) {
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.errAt(file, path, "expected an http or https URL, got %q", s)
	}
}

func (l *loader) validateKPI(k *KPI, path string) {
	file := k.file
	g := l.cat.Global
	req := func(key, val string) bool {
		if strings.TrimSpace(val) == "" {
			l.errAt(file, path+"."+key, "%s is required", key)
			return false
		}
		return true
	}
	if req("name", k.Name) && !nameRE.MatchString(k.Name) {
		l.errAt(file, path+".name", "name %q must be snake_case: lower case letters, digits and _", k.Name)
	}
	l.checkTitle(file, path+".title", k.Title)
	req("team", k.Team)
	req("sql", k.SQL)
	if req("source", k.Source) {
		if l.sources[k.Source] == nil {
			l.errAt(file, path+".source", "unknown source %q%s", k.Source, didYouMean(k.Source, sortedKeys(l.sources)))
		}
	}
	if src := l.sources[k.Source]; k.SQL != "" && (src != nil || k.Source == "") {
		l.gateSQL(file, path+".sql", k.SQL, src)
		l.checkParams(file, path+".sql", k.SQL, src, k.Period)
	}
	if req("value", k.Value) {
		l.checkColumn(file, path+".value", k.Value)
	}
	seen := map[string]bool{}
	for i, lb := range k.Labels {
		p := fmt.Sprintf("%s.labels[%d]", path, i)
		l.checkLabelName(file, p, lb)
		if seen[lb] {
			l.errAt(file, p, "label %q is listed twice", lb)
		}
		seen[lb] = true
		if lb == k.Value {
			l.errAt(file, p, "column %q cannot be both a label and the value", lb)
		}
		if _, ok := g.Labels[lb]; ok {
			l.errAt(file, p, "label %q is also a global constant label", lb)
		}
	}
	switch {
	case k.Unit == "":
		l.errAt(file, path+".unit", "unit is required (one of %s)", joinUnits())
	case !k.Unit.Known():
		l.errAt(file, path+".unit", "unknown unit %q (one of %s)", k.Unit, joinUnits())
	case k.Unit == UnitCurrency && !currencyRE.MatchString(k.Currency):
		l.errAt(file, path+".currency", "unit currency needs an ISO 4217 code such as EUR, got %q", k.Currency)
	case k.Unit != UnitCurrency && k.Currency != "":
		l.errAt(file, path+".currency", "currency is only valid with unit currency")
	}

	if k.Timeout > k.Interval {
		l.errAt(file, path+".timeout", "timeout %s is longer than the interval %s", k.Timeout, k.Interval)
	}
	if k.MaxAge < k.Interval {
		l.errAt(file, path+".max_age", "max_age %s is shorter than the interval %s: every value would be withdrawn before the next run", k.MaxAge, k.Interval)
	}
	if k.MaxSeries < 1 {
		l.errAt(file, path+".max_series", "must be at least 1, got %d", k.MaxSeries)
	}

	switch k.Direction {
	case "", HigherIsBetter, LowerIsBetter:
	default:
		l.errAt(file, path+".direction", "expected higher or lower, got %q", k.Direction)
	}
	switch k.Period {
	case PeriodNone, PeriodDay, PeriodWeek, PeriodMonth, PeriodQuarter, PeriodYear:
	default:
		l.errAt(file, path+".period", "expected day, week, month, quarter or year, got %q", k.Period)
	}
	if k.Period != PeriodNone && k.Target == nil {
		l.errAt(file, path+".period", "a period needs a target to pace against")
	}
	if k.Forecast != nil && *k.Forecast && k.Period == PeriodNone {
		l.errAt(file, path+".forecast", "a forecast needs a period and a target")
	}
	l.validateTarget(k, path)
	l.validateThresholds(k, path)
	if a := k.Anomaly; a != nil {
		if a.StdDevs < 0 {
			l.errAt(file, path+".anomaly.stddevs", "must be positive, got %v", a.StdDevs)
		}
		if a.Window.D() < 10*k.Interval.D() {
			l.errAt(file, path+".anomaly.window", "window %s holds fewer than ten intervals of %s: too few points for a baseline", a.Window, k.Interval)
		}
	}
	if k.RunbookURL != "" {
		l.checkURL(file, path+".runbook_url", k.RunbookURL)
	}
	if t := l.teams[k.Team]; t != nil && t.NotifyOwners && !strings.Contains(k.Owner, "@") {
		l.errAt(file, path+".owner", "team %s notifies owners by e-mail: expected an email address, got %q", k.Team, k.Owner)
	}
}

func (l *loader) checkColumn(file, path, col string) {
	if strings.TrimSpace(col) != col || col == "" {
		l.errAt(file, path, "column name %q has surrounding spaces", col)
	}
}

func (l *loader) validateTarget(k *KPI, path string) {
	t := k.Target
	if t == nil {
		return
	}
	p := path + ".target"
	if t.SQL == "" {
		if t.Source != "" || t.Column != "" {
			l.errAt(k.file, p+".sql", "source and value_column need a target sql")
		}
		return
	}
	if t.Value != 0 {
		l.errAt(k.file, p+".value", "give a constant value or sql, not both")
	}
	if slices.Contains(k.Labels, t.Column) {
		l.errAt(k.file, p+".value_column", "column %q is also a label", t.Column)
	}
	if t.Source != k.Source && l.sources[t.Source] == nil {
		l.errAt(k.file, p+".source", "unknown source %q%s", t.Source, didYouMean(t.Source, sortedKeys(l.sources)))
	}
	if ts := l.sources[t.Source]; ts != nil {
		l.gateSQL(k.file, p+".sql", t.SQL, ts)
		l.checkParams(k.file, p+".sql", t.SQL, ts, k.Period)
	}
}

// gateSQL refuses SQL that is not one read-only statement in the source's
// dialect. Every command loads the catalog, so SQL it refuses never reaches a
// database: not in serve, reload, check or generate.
func (l *loader) gateSQL(file, path, sql string, src *Source) {
	d := sqltext.Generic
	if src != nil {
		d = SQLDialect(src.Driver)
	}
	var re *sqltext.RefusedError
	if err := sqltext.ReadOnly(sql, d); errors.As(err, &re) {
		l.errAt(file, path, "line %d of the SQL: %s", 1+strings.Count(sql[:re.Pos], "\n"), re.Reason)
	}
}

func (l *loader) validateThresholds(k *KPI, path string) {
	th := k.Thresholds
	if th == nil {
		return
	}
	p := path + ".thresholds"
	if th.Warning == nil && th.Critical == nil {
		l.errAt(k.file, p, "give a warning, a critical threshold or both")
		return
	}
	if k.Direction == "" {
		l.errAt(k.file, path+".direction", "direction (higher or lower) is required with thresholds")
		return
	}
	for _, x := range []struct {
		key string
		t   *Threshold
	}{{"warning", th.Warning}, {"critical", th.Critical}} {
		if x.t != nil && x.t.OfTarget && k.Target == nil {
			l.errAt(k.file, p+"."+x.key, "threshold %s is a percentage of the target, but the KPI has no target", x.t)
		}
	}
	if th.Warning == nil || th.Critical == nil {
		return
	}
	w, c := *th.Warning, *th.Critical
	if w.OfTarget != c.OfTarget {
		if k.Target == nil || !k.Target.IsConstant() {
			l.errAt(k.file, p+".critical", "mix of absolute and percentage thresholds needs a constant target to compare them; use one kind")
			return
		}
		w.Value, c.Value = absolute(w, k.Target.Value), absolute(c, k.Target.Value)
	}
	switch k.Direction {
	case HigherIsBetter:
		if !(c.Value < w.Value) {
			l.errAt(k.file, p+".critical", "critical %s must be below warning %s when higher is better", th.Critical, th.Warning)
		}
	case LowerIsBetter:
		if !(c.Value > w.Value) {
			l.errAt(k.file, p+".critical", "critical %s must be above warning %s when lower is better", th.Critical, th.Warning)
		}
	}
}

func absolute(t Threshold, target float64) float64 {
	if t.OfTarget {
		return t.Ratio() * target
	}
	return t.Value
}

func joinUnits() string {
	s := make([]string, len(Units))
	for i, u := range Units {
		s[i] = string(u)
	}
	return strings.Join(s, ", ")
}

func didYouMean(s string, known []string) string {
	if m := suggest(s, known); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	if len(known) > 0 {
		return fmt.Sprintf(" (defined: %s)", strings.Join(known, ", "))
	}
	return " (no sources are defined)"
}
