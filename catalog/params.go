package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

// The named parameters a KPI's SQL (and its target SQL) may use, written
// :name. The exporter binds them as driver parameters; the collector
// computes their values from the KPI's calendar and period.
const (
	ParamPeriodStart     = "period_start"      // timestamp: the period's first instant
	ParamPeriodEnd       = "period_end"        // timestamp: the next period's first instant
	ParamNow             = "now"               // timestamp: the run's clock time
	ParamPeriodStartDate = "period_start_date" // date: the period's first day
	ParamPeriodEndDate   = "period_end_date"   // date: the day after the period (exclusive)
	ParamPeriodStartUnix = "period_start_unix" // integer Unix seconds of period_start
	ParamPeriodEndUnix   = "period_end_unix"   // integer Unix seconds of period_end
	ParamNowUnix         = "now_unix"          // integer Unix seconds of now
)

// SQLParams lists every parameter, in the order the documentation gives them.
var SQLParams = []string{
	ParamPeriodStart, ParamPeriodEnd, ParamNow, ParamPeriodStartDate, ParamPeriodEndDate,
	ParamPeriodStartUnix, ParamPeriodEndUnix, ParamNowUnix,
}

// IsPeriodParam reports whether a parameter needs the KPI to have a period.
func IsPeriodParam(name string) bool { return name != ParamNow && name != ParamNowUnix }

// UsesPeriodParams reports whether the KPI's SQL refers to its period.
func (k *KPI) UsesPeriodParams(src *Source) bool {
	d := sqltext.Generic
	if src != nil {
		d = SQLDialect(src.Driver)
	}
	for _, p := range sqltext.Params(k.SQL, d) {
		if IsPeriodParam(p.Name) {
			return true
		}
	}
	return false
}

// checkParams refuses a :name parameter the exporter does not know, and a
// period parameter in a KPI without a period.
func (l *loader) checkParams(file, path, sql string, src *Source, period Period) {
	d := sqltext.Generic
	if src != nil {
		d = SQLDialect(src.Driver)
	}
	for _, p := range sqltext.Params(sql, d) {
		line := 1 + strings.Count(sql[:p.Pos], "\n")
		switch {
		case !slices.Contains(SQLParams, p.Name):
			l.errAt(file, path, "line %d of the SQL: unknown parameter :%s%s (known: :%s)", line, p.Name,
				didYouMeanParam(p.Name), strings.Join(SQLParams, ", :"))
		case period == PeriodNone && IsPeriodParam(p.Name):
			l.errAt(file, path, "line %d of the SQL: parameter :%s needs a period, and the KPI has none: set period or remove the parameter", line, p.Name)
		}
	}
}

func didYouMeanParam(name string) string {
	if m := suggest(name, SQLParams); m != "" {
		return fmt.Sprintf(" (did you mean :%s?)", m)
	}
	return ""
}

// Comparisons a KPI may ask for.
var Comparisons = []calendar.Earlier{calendar.PreviousPeriod, calendar.PreviousYear}

// DefaultCompareIntervalMin is the shortest default compare_interval: the
// past changes rarely.
const DefaultCompareIntervalMin = Duration(time.Hour)

// CompareIntervalFactor times the KPI's interval is the default
// compare_interval when that is longer than DefaultCompareIntervalMin.
const CompareIntervalFactor = 10

func (l *loader) validateCompare(k *KPI, path string) {
	if len(k.Compare) == 0 {
		if k.CompareInterval != 0 {
			l.errAt(k.file, path+".compare_interval", "compare_interval needs compare")
		}
		return
	}
	if k.Period == PeriodNone {
		l.errAt(k.file, path+".compare", "a comparison needs a period: the earlier period is counted in it")
	}
	seen := map[calendar.Earlier]bool{}
	for i, e := range k.Compare {
		p := fmt.Sprintf("%s.compare[%d]", path, i)
		switch {
		case !slices.Contains(Comparisons, e):
			l.errAt(k.file, p, "unknown comparison %q (previous_period or previous_year)", e)
		case seen[e]:
			l.errAt(k.file, p, "comparison %q is listed twice", e)
		}
		seen[e] = true
	}
	if k.CompareInterval < k.Interval {
		l.errAt(k.file, path+".compare_interval", "compare_interval %s is shorter than the interval %s", k.CompareInterval, k.Interval)
	}
}

// compareIntervalDefault is compare_interval when the KPI gives none.
func compareIntervalDefault(k *KPI) Duration {
	return max(CompareIntervalFactor*k.Interval, DefaultCompareIntervalMin)
}
