package governance

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// The lint rules. Their ids are stable: scripts and reviewers may match on
// them. The loader already rejects what cannot work at all (unknown keys,
// inverted thresholds, missing sources); the lint covers what loads but would
// mislead, page nobody, or harm a business database.
const (
	RuleNameUnit         = "name-unit"            // name ends in a unit word that contradicts the unit
	RuleNameStyle        = "name-style"           // name is not clean snake_case, or ends in _total
	RuleHelpMissing      = "help-missing"         // no help text
	RuleOwnerMissing     = "owner-missing"        // no owner
	RuleTeamUndefined    = "team-undefined"       // team is not defined under teams
	RuleTeamNoReceivers  = "team-no-receivers"    // team has alerting KPIs but no receiver
	RuleDirectionMissing = "direction-missing"    // target without direction
	RuleThresholdTarget  = "threshold-target"     // a threshold sits on the good side of the target
	RuleRatioRange       = "ratio-range"          // ratio target or threshold outside 0..1
	RuleIntervalShort    = "interval-short"       // interval under 30s (warning)
	RuleDSNPassword      = "dsn-literal-password" // DSN holds a password instead of ${ENV} or dsn_file
	RulePeriodSQL        = "period-sql-unbound"   // a period KPI's SQL uses no period parameter (warning)
	RulePacedShare       = "paced-share"          // a ratio, percent or score is paced as if it accrued (warning)
)

// Interval limits: a KPI is a business number, and polling a business
// database more often than this costs load and shows only noise. Both are
// warnings: serve and generate accept any interval, and so does the lint.
const (
	IntervalVeryShort = 10 * time.Second
	IntervalWarning   = 30 * time.Second
)

// Lint checks a loaded catalog and returns its findings sorted by file, line
// and key path. It never changes the catalog.
func Lint(cat *catalog.Catalog) []Finding {
	var out []Finding
	paths := kpiPaths(cat)
	for _, k := range cat.KPIs {
		l := kpiLinter{cat: cat, k: k, path: paths[k]}
		l.names()
		l.metadata()
		l.targets()
		l.interval()
		l.periodSQL()
		l.pacedShare()
		out = append(out, l.out...)
	}
	out = append(out, lintSources(cat)...)
	out = append(out, lintTeams(cat)...)
	sortFindings(out)
	return out
}

// kpiPaths gives each KPI its key path in its file (kpis[N]), which the model
// does not keep: the KPIs of one file, in line order, are its list entries.
func kpiPaths(cat *catalog.Catalog) map[*catalog.KPI]string {
	byFile := map[string][]*catalog.KPI{}
	for _, k := range cat.KPIs {
		byFile[k.Pos().File] = append(byFile[k.Pos().File], k)
	}
	out := map[*catalog.KPI]string{}
	for _, ks := range byFile {
		sort.Slice(ks, func(i, j int) bool { return ks[i].Pos().Line < ks[j].Pos().Line })
		for i, k := range ks {
			out[k] = fmt.Sprintf("kpis[%d]", i)
		}
	}
	return out
}

type kpiLinter struct {
	cat  *catalog.Catalog
	k    *catalog.KPI
	path string
	out  []Finding
}

func (l *kpiLinter) add(sev Severity, rule, key, format string, args ...any) {
	p := l.path
	if key != "" {
		p += "." + key
	}
	l.out = append(l.out, Finding{
		File: l.k.Pos().File, Line: l.k.Pos().Line, Path: p, KPI: l.k.Name,
		Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...),
	})
}

func (l *kpiLinter) metadata() {
	k := l.k
	if strings.TrimSpace(k.Help) == "" {
		l.add(SeverityError, RuleHelpMissing, "help", "help is required: it is the one line /metrics and every alert show")
	}
	if strings.TrimSpace(k.Owner) == "" {
		l.add(SeverityError, RuleOwnerMissing, "owner", "owner is required: someone must answer for this number")
	}
	if k.Team != "" && l.cat.Team(k.Team) == nil {
		l.add(SeverityError, RuleTeamUndefined, "team", "team %q is not defined under teams: its alerts would reach no one", k.Team)
	}
}

func (l *kpiLinter) interval() {
	d := l.k.Interval.D()
	switch {
	case d < IntervalVeryShort:
		l.add(SeverityWarning, RuleIntervalShort, "interval", "interval %s is shorter than %s: a business KPI does not change that fast, and the database pays for every run", l.k.Interval, catalog.Duration(IntervalVeryShort))
	case d < IntervalWarning:
		l.add(SeverityWarning, RuleIntervalShort, "interval", "interval %s is shorter than %s: is this query cheap enough to run that often?", l.k.Interval, catalog.Duration(IntervalWarning))
	}
}

// pacedShare warns when a period KPI whose unit is a share or a score (a
// week's yield, a month's conversion) is judged by its pace: the forecast
// and percent-of-target thresholds compare the value with a share of the
// target that grows from zero over the period, as a count or an amount
// does, so a steady 30% reads as far ahead at the period's start.
func (l *kpiLinter) pacedShare() {
	k := l.k
	if k.Period == catalog.PeriodNone || (k.Unit != catalog.UnitRatio && k.Unit != catalog.UnitPercent && k.Unit != catalog.UnitScore) {
		return
	}
	var paced []string
	if k.ForecastEnabled() {
		paced = append(paced, "the forecast")
	}
	if th := k.Thresholds; th != nil {
		if th.Warning != nil && th.Warning.OfTarget {
			paced = append(paced, "the warning threshold")
		}
		if th.Critical != nil && th.Critical.OfTarget {
			paced = append(paced, "the critical threshold")
		}
	}
	if len(paced) == 0 {
		return
	}
	l.add(SeverityWarning, RulePacedShare, "period", "a %s does not accrue over the %s, but %s compare%s it with a share of the target that grows from zero: set forecast: false and give absolute thresholds",
		k.Unit, k.Period, strings.Join(paced, " and "), map[bool]string{true: "s", false: ""}[len(paced) == 1])
}

// periodSQL warns when a period KPI's SQL counts its period by itself: SQL
// date arithmetic runs in the database session's time zone, which is rarely
// the calendar's, so the KPI and its pacing would count different months.
func (l *kpiLinter) periodSQL() {
	k := l.k
	if k.Period == catalog.PeriodNone || k.UsesPeriodParams(l.cat.Source(k.Source)) {
		return
	}
	l.add(SeverityWarning, RulePeriodSQL, "sql", "period %s but the SQL uses no period parameter: bound it with :period_start and :period_end (or their _date and _unix forms), which the exporter binds in the KPI's calendar", k.Period)
}

// targets checks what the loader allows but is still inconsistent: a target
// without a direction, a threshold that fires while the target is met, and
// ratios written as percentages.
func (l *kpiLinter) targets() {
	k := l.k
	if k.Target != nil && k.Direction == "" {
		l.add(SeverityError, RuleDirectionMissing, "direction", "a KPI with a target needs a direction (higher or lower): otherwise nobody knows whether beating the target is good")
	}
	if k.Unit == catalog.UnitRatio && k.Target != nil && k.Target.IsConstant() && (k.Target.Value < 0 || k.Target.Value > 1) {
		l.add(SeverityError, RuleRatioRange, "target", "target %s is outside 0..1 but the unit is ratio; write 0.95 for 95%%, or use unit percent", fmtNum(k.Target.Value))
	}
	th := k.Thresholds
	if th == nil {
		return
	}
	for _, x := range []struct {
		key string
		t   *catalog.Threshold
	}{{"warning", th.Warning}, {"critical", th.Critical}} {
		if x.t == nil {
			continue
		}
		key := "thresholds." + x.key
		if k.Unit == catalog.UnitRatio && !x.t.OfTarget && (x.t.Value < 0 || x.t.Value > 1) {
			l.add(SeverityError, RuleRatioRange, key, "%s threshold %s is outside 0..1 but the unit is ratio", x.key, x.t)
		}
		// Where the threshold sits relative to the target: as a fraction of
		// it, or absolute against a constant target.
		var above, below bool
		var target string
		switch {
		case x.t.OfTarget:
			above, below, target = x.t.Value > 100, x.t.Value < 100, "100% of the target"
		case k.Target != nil && k.Target.IsConstant():
			above, below, target = x.t.Value > k.Target.Value, x.t.Value < k.Target.Value, "the target "+fmtNum(k.Target.Value)
		default:
			continue
		}
		switch {
		case k.Direction == catalog.HigherIsBetter && above:
			l.add(SeverityError, RuleThresholdTarget, key, "%s threshold %s is above %s although higher is better: the alert would fire while the target is met", x.key, x.t, target)
		case k.Direction == catalog.LowerIsBetter && below:
			l.add(SeverityError, RuleThresholdTarget, key, "%s threshold %s is below %s although lower is better: the alert would fire while the target is met", x.key, x.t, target)
		}
	}
}

func lintTeams(cat *catalog.Catalog) []Finding {
	var out []Finding
	for _, t := range cat.Teams {
		if !t.Notify.Empty() || !t.OnCall.Empty() {
			continue
		}
		var alerting []string
		for _, k := range cat.TeamKPIs(t.Name) {
			if k.Thresholds != nil || k.Target != nil {
				alerting = append(alerting, k.Name)
			}
		}
		if len(alerting) == 0 {
			continue
		}
		out = append(out, Finding{
			File: t.Pos().File, Line: t.Pos().Line, Path: "teams." + t.Name,
			Severity: SeverityWarning, Rule: RuleTeamNoReceivers,
			Message: fmt.Sprintf("team %q has no notify or oncall receiver, so the alerts of %s reach no one", t.Name, strings.Join(alerting, ", ")),
		})
	}
	return out
}

func fmtNum(f float64) string { return catalog.Threshold{Value: f}.String() }
