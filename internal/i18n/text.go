package i18n

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Text is one language's sentences. Fields ending in F are fmt formats whose
// arguments are listed beside them; they index their arguments (%[1]s), since
// word order differs between languages.
type Text struct {
	Lang catalog.Language

	// Words.
	Unknown, Below, Above, Warning, Critical, None string
	Periods                                        map[catalog.Period]string
	WallTime, WorkTime                             string
	// ListSep joins names in a sentence; Colon joins a name and its gloss.
	ListSep, Colon string
	// OwnerF: owner. SeriesF: a title, its series' labels joined by LabelSep.
	OwnerF, SeriesF, LabelSep string

	// Alert annotations (Prometheus templates: {{ }} in them is kept).
	// ThresholdSummaryF: title, value, side, severity, threshold, target part.
	ThresholdSummaryF string
	// TargetPartF: target. TargetPartPeriodF: expected by now, period, target.
	TargetPartF, TargetPartPeriodF string
	// ThresholdDescF: severity, threshold; OfTarget adds nothing;
	// OfPeriodTarget: severity, threshold, period, zone.
	ThresholdDescF, ThresholdDescOfTargetF, ThresholdDescOfPeriodTargetF string
	// ZoneF: calendar, location, wall or working time. CalendarF: calendar, location.
	ZoneF, CalendarF string
	// ForecastSummaryF: title, period, value, side, target. ForecastDescF: period, zone.
	ForecastSummaryF, ForecastDescF string
	// AnomalySummaryF: title, value, stddevs, window. AnomalyDescF: window, offset.
	AnomalySummaryF, AnomalyDescF string
	// StaleSummaryF: title, max age. StaleDescF: max age, interval.
	StaleSummaryF, StaleDescF string
	// ErrorsSummaryF: title. ErrorsDescF: title, window.
	ErrorsSummaryF, ErrorsDescF string
	// SourceDownSummary; SourceDownDescF: team, KPI titles.
	SourceDownSummary, SourceDownDescF string

	// Dashboards.
	OverviewTitle, OverviewDesc, TeamDashboards, DataSource, All string
	// TeamTitleF: team. TeamTitleDescF: team, description. TeamDescF: team.
	TeamTitleF, TeamTitleDescF, TeamDescF string
	AlertsFired, DefinitionChanged        string
	// DefinitionChangedTitle and DefinitionChangedText are Grafana formats.
	DefinitionChangedTitle, DefinitionChangedText string
	// DetailsOfF: KPI title.
	DetailsOfF string
	// Panel description parts: TargetIsF, WarningIsF, CriticalIsF: level;
	// PeriodIsF: period, calendar; OwnerTeamF: owner, team; RunbookF: URL.
	TargetIsF, WarningIsF, CriticalIsF, PeriodIsF, OwnerTeamF, RunbookF string
	LowerIsBetter, HigherIsBetter, TargetFromSQL                        string
	// OfTargetF: threshold.
	OfTargetF                                   string
	SharedThresholdsPeriod, SharedThresholdsOwn string
	// VsTargetF, PacingStatF, AttainmentF, PacingF, NowF, CollectionF, ErrorsF: KPI title.
	VsTargetF, PacingStatF, AttainmentF, PacingF, NowF, CollectionF, ErrorsF string
	// AttainmentGaugeDescF, AttainmentDescF: target. PacingStatDescF, PacingDescF: period.
	AttainmentGaugeDescF, AttainmentDescF, PacingStatDescF, PacingDescF string
	// BreakdownF: KPI title, label, sum or mean. BreakdownDescF: label, sum or mean.
	BreakdownF, BreakdownDescF, Sum, Mean string
	// Legends and table columns.
	LegendTarget, LegendWarning, LegendCritical, LegendExpected string
	ColValue, ColTarget, ColAttainment, ColPacing               string
	// Compare: the change column of each earlier period.
	Compare                                      map[string]string
	TableDesc, TableCompareDesc, TableFilterDesc string
	// FilterByF: label (then Grafana's value).
	FilterByF                                     string
	Up, Down, SourceLegend, DataAge, ErrorsLegend string
	// HealthDescF: interval, max age.
	HealthDescF, ErrorsDesc string

	// The KPI dictionary (Markdown). DocIntroF: KPIs, teams, hash label,
	// info metric. DocTeamF: team title. DocTeamDescF: team title, description.
	DocTitle, DocIntroF, DocTeamF, DocTeamDescF string
	// Row names of a KPI's table.
	DocName, DocMetric, DocUnit, DocDirection, DocOwner, DocTarget, DocThresholds         string
	DocPeriod, DocCompared, DocBrokenDown, DocComputed, DocHash, DocDashboard, DocRunbook string
	// Units in words; DocCurrencyF: code.
	DocUnits     map[catalog.Unit]string
	DocCurrencyF string
	// DocCompareF: earlier period, series, change record; DocRerunF: interval.
	DocCompareF, DocRerunF string
	Earlier                map[string]string
	// DocPeriodF: period. DocTargetSQLF: source, per what. DocPerF: labels.
	DocPeriodF, DocTargetSQLF, DocPerLabelSet, DocPerF string
	// DocThresholdF: severity, side, level. DocOfTargetF: threshold.
	DocThresholdF, DocOfTargetF string
	// DocComputedF: interval, source. DocDashboardF: team title, KPI title, URL.
	DocComputedF, DocDashboardF string
	// DocFormula; DocTargetColumnF: column; DocAlertsNone, DocAlerts.
	DocFormula, DocTargetColumnF, DocAlertsNone, DocAlerts, DocSep string
	// When each alert fires. Threshold: side, severity, level; Forecast:
	// period, side; Anomaly: window, stddevs, for; Stale: max age;
	// SourceDown: sources (joined by DocOr).
	WhenThresholdF, WhenForecastF, WhenAnomalyF, WhenStaleF, WhenSourceDownF string
	WhenErrors, WhenOther, DocOr, DocOfTargetByNowF                          string

	// Reconciliation with a control query. ControlSummaryF: title, value,
	// source, control value, difference, tolerance. ControlDescF: source,
	// tolerance, for. ControlErrorsSummaryF: title. ControlErrorsDescF:
	// source, window, alert name.
	ControlSummaryF, ControlDescF, ControlErrorsSummaryF, ControlErrorsDescF string
	// LegendControl, ColDifference; ControlTableDescF: source, tolerance.
	LegendControl, ColDifference, ControlTableDescF string
	// OfControlF: a relative tolerance.
	OfControlF string
	// WhenControlMismatchF: source, tolerance, for.
	WhenControlMismatchF, WhenControlErrors string
	// DocReconciled; DocControlF: source, interval, tolerance, control
	// metric, difference metric. DocControlSQLF: value column, source.
	DocReconciled, DocControlF, DocControlSQLF string

	// Change log. DefinitionLogged is the annotation's name;
	// DefinitionLoggedTextF a Grafana format: approver, author, date, reason
	// labels. DocHistory heads the dictionary's table, whose columns are
	// DocHistoryCols.
	DefinitionLogged, DefinitionLoggedTextF string
	DocHistory                              string
	DocHistoryCols                          [4]string
}

// Tolerance renders a control's tolerance: "±100 EUR" in the KPI's
// currency, or a share of the control.
func (t *Text) Tolerance(k *catalog.KPI) string {
	c := k.Control
	if c == nil {
		return ""
	}
	switch {
	case c.Tolerance.Relative != nil:
		return fmt.Sprintf(t.OfControlF, c.Tolerance.String())
	case k.Unit == catalog.UnitCurrency:
		return c.Tolerance.String() + " " + k.Currency
	}
	return c.Tolerance.String()
}

// For returns the sentences of a catalog language; English for any other.
func For(l catalog.Language) *Text {
	if l == catalog.SimplifiedChinese {
		return &chinese
	}
	return &english
}

// Sentences joins sentences the way the language does: English puts a
// space between them, Chinese nothing, after closing an unfinished one with
// its full stop. Empty parts are left out.
func (t *Text) Sentences(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			if t.Lang == catalog.SimplifiedChinese {
				s := b.String()
				b.WriteString(strings.TrimPrefix(t.Sentence(s), s))
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

// Sentence ends s with the language's full stop unless it ends a sentence
// already.
func (t *Text) Sentence(s string) string {
	if t.Lang != catalog.SimplifiedChinese {
		return strings.TrimSuffix(s, ".") + "."
	}
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") || endsWithAny(s, "。！？") {
		return s
	}
	return s + "。"
}

func endsWithAny(s, suffixes string) bool {
	for _, r := range suffixes {
		if strings.HasSuffix(s, string(r)) {
			return true
		}
	}
	return false
}

// Term sets a name inside a sentence. Chinese puts a space between its own
// characters and a Latin name (采集 disk_used 持续失败) but none around a
// Chinese one (采集本月营收持续失败); English leaves the name as it is.
// A sentence that starts or ends with a padded name is trimmed by whoever
// writes it out.
func (t *Text) Term(name string) string {
	if t.Lang != catalog.SimplifiedChinese || name == "" {
		return name
	}
	latin := func(r byte) bool {
		return r < utf8.RuneSelf && (unicode.IsLetter(rune(r)) || unicode.IsDigit(rune(r)) || r == '_' || r == ')')
	}
	if latin(name[0]) {
		name = " " + name
	}
	if latin(name[len(name)-1]) {
		name += " "
	}
	return name
}

// fullWidthSpacing drops the spaces Term leaves beside Chinese punctuation,
// which carries its own space.
var fullWidthSpacing = func() *strings.Replacer {
	var pairs []string
	for _, p := range "，。：；（）、！？" {
		pairs = append(pairs, " "+string(p), string(p), string(p)+" ", string(p))
	}
	return strings.NewReplacer(pairs...)
}()

// Finish readies a sentence or title holding names set by Term: no spaces
// at its ends, nor beside Chinese punctuation.
func (t *Text) Finish(s string) string {
	if t.Lang == catalog.SimplifiedChinese {
		s = fullWidthSpacing.Replace(s)
	}
	return strings.TrimSpace(s)
}

// Severity names a severity label value in words.
func (t *Text) Severity(s string) string {
	if s == catalog.SeverityCritical {
		return t.Critical
	}
	return t.Warning
}

// Side is Below when higher is better, else Above: where a bad value lies.
func (t *Text) Side(d catalog.Direction) string {
	if d == catalog.LowerIsBetter {
		return t.Above
	}
	return t.Below
}

// Period names a period ("month"; Chinese 月).
func (t *Text) Period(p catalog.Period) string { return t.Periods[p] }

// Owner is the owner sentence.
func (t *Text) Owner(owner string) string { return fmt.Sprintf(t.OwnerF, owner) }

// List joins names.
func (t *Text) List(names []string) string { return strings.Join(names, t.ListSep) }
