package catalog

import (
	"strings"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// The names below are the contract between the exporter, the generated rules
// and the generated dashboards. They live here, once, so that the three can
// never disagree.

// MetricPrefix starts every KPI series name.
const MetricPrefix = "kpi_"

// InfoMetric carries one series per KPI with its metadata and definition hash.
const InfoMetric = "kpi_info"

// Labels every KPI-related series or alert may carry. A KPI's label columns
// must not use them.
const (
	LabelKPI            = "kpi"
	LabelTeam           = "team"
	LabelOwner          = "owner"
	LabelSeverity       = "severity"
	LabelUnit           = "unit"
	LabelDirection      = "direction"
	LabelPeriod         = "period"
	LabelDefinitionHash = "definition_hash"
	LabelSource         = "source"
	LabelReason         = "reason"
	LabelGroup          = "group"
)

// ReservedLabels may not be used as KPI label columns or constant labels.
var ReservedLabels = []string{
	LabelKPI, LabelTeam, LabelOwner, LabelSeverity, LabelUnit, LabelDirection,
	LabelPeriod, LabelDefinitionHash, LabelSource, LabelReason, LabelGroup,
	"alertname", "job", "instance", "le", "quantile",
}

// Self-metrics of the exporter.
const (
	SelfSourceUp          = "kpi_exporter_source_up"
	SelfKPIUp             = "kpi_exporter_kpi_up"
	SelfLastSuccess       = "kpi_exporter_kpi_last_success_timestamp_seconds"
	SelfLastDuration      = "kpi_exporter_kpi_last_duration_seconds"
	SelfSeries            = "kpi_exporter_kpi_series"
	SelfStale             = "kpi_exporter_kpi_stale"
	SelfRuns              = "kpi_exporter_kpi_runs_total"
	SelfErrors            = "kpi_exporter_kpi_errors_total"
	SelfReloadSuccessful  = "kpi_exporter_config_last_reload_successful"
	SelfReloadSuccessTime = "kpi_exporter_config_last_reload_success_timestamp_seconds"
	SelfReloadsTotal      = "kpi_exporter_config_reloads_total"
	SelfBuildInfo         = "kpi_exporter_build_info"
	SelfCatalogKPIs       = "kpi_exporter_catalog_kpis"
)

// Error reasons, the values of the reason label of SelfErrors.
const (
	ReasonTimeout      = "timeout"
	ReasonConnection   = "connection"
	ReasonQuery        = "query"
	ReasonScan         = "scan"
	ReasonNull         = "null"
	ReasonType         = "type"
	ReasonDuplicate    = "duplicate"
	ReasonCardinality  = "cardinality"
	ReasonInvalidLabel = "invalid_label"
	ReasonTarget       = "target"
)

// Reasons lists every error reason, in a stable order.
var Reasons = []string{
	ReasonCardinality, ReasonConnection, ReasonDuplicate, ReasonInvalidLabel,
	ReasonNull, ReasonQuery, ReasonScan, ReasonTarget, ReasonTimeout, ReasonType,
}

// baseName is the KPI name without a trailing unit suffix.
func (k *KPI) baseName() string {
	s := k.Suffix()
	if s != "" && strings.HasSuffix(k.Name, "_"+s) {
		return strings.TrimSuffix(k.Name, "_"+s)
	}
	return k.Name
}

func (k *KPI) withSuffix(base string) string {
	if s := k.Suffix(); s != "" {
		return base + "_" + s
	}
	return base
}

// MetricName is the exported gauge of the KPI's value, such as
// kpi_revenue_mtd_eur or kpi_first_pass_yield_ratio.
func (k *KPI) MetricName() string {
	if k.metric != "" {
		return k.metric
	}
	return k.withSuffix(MetricPrefix + k.baseName())
}

// TargetMetricName is the exported gauge of the KPI's target, with the same
// labels as the value, such as kpi_revenue_mtd_target_eur.
func (k *KPI) TargetMetricName() string {
	if k.targetMetric != "" {
		return k.targetMetric
	}
	return k.withSuffix(MetricPrefix + k.baseName() + "_target")
}

// CompareMetricName is the exported gauge of the KPI's value over the same
// elapsed part of an earlier period, with the same labels as the value, such
// as kpi_revenue_mtd_previous_period_eur or kpi_revenue_mtd_previous_year_eur.
func (k *KPI) CompareMetricName(e calendar.Earlier) string {
	return k.withSuffix(MetricPrefix + k.baseName() + "_" + string(e))
}

// CompareMetricNames are the CompareMetricName of each of the KPI's
// comparisons, in its order.
func (k *KPI) CompareMetricNames() []string {
	out := make([]string, len(k.Compare))
	for i, e := range k.Compare {
		out[i] = k.CompareMetricName(e)
	}
	return out
}

// ChangeOp is the recording-rule operation of the relative change of the
// KPI's value against an earlier period: (value - earlier) / earlier, as in
// kpi:kpi_revenue_mtd_eur:change_vs_previous_period_ratio.
func ChangeOp(e calendar.Earlier) string { return "change_vs_" + string(e) + "_ratio" }

// Recording-rule operations. Recorded series are named level:metric:operation
// after the Prometheus convention, where level "kpi" keeps the KPI's own
// labels and level "team" keeps only team and kpi.
const (
	OpAttainment        = "attainment_ratio"
	OpExpectedToDate    = "expected_to_date"
	OpPacing            = "pacing_ratio"
	OpPeriodElapsed     = "period_elapsed_ratio"
	OpDelta1d           = "delta1d"
	OpDelta7d           = "delta7d"
	OpThresholdWarning  = "threshold_warning"
	OpThresholdCritical = "threshold_critical"
	OpSum               = "sum"
	OpTargetSum         = "target_sum"
	OpBaselineAvg       = "baseline_avg"
	OpBaselineStddev    = "baseline_stddev"
	OpZScore            = "zscore"
	OpForecast          = "forecast_end_of_period"
)

// KPIRecord is the name of a KPI-level recording rule, such as
// kpi:kpi_revenue_mtd_eur:attainment_ratio.
func (k *KPI) KPIRecord(op string) string { return "kpi:" + k.MetricName() + ":" + op }

// TeamRecord is the name of a team-level rollup recording rule, such as
// team:kpi_revenue_mtd_eur:sum.
func (k *KPI) TeamRecord(op string) string { return "team:" + k.MetricName() + ":" + op }

// DashboardUID is the stable UID of a team's dashboard.
func DashboardUID(team string) string { return uidFor("kpi-team-" + team) }

// OverviewDashboardUID is the stable UID of the KPI wall.
const OverviewDashboardUID = "kpi-overview"

// uidFor shortens s to a valid Grafana UID (at most 40 characters) and keeps
// it stable.
func uidFor(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:31] + "-" + shortHash(s)[:8]
}

// DashboardPath is the URL path of a team dashboard in Grafana, with the KPI's
// panel in view.
func (c *Catalog) DashboardURL(k *KPI) string {
	return c.TeamDashboardURL(k.Team) + "?viewPanel=" + k.PanelID()
}

// TeamDashboardURL is the URL of a team's dashboard in Grafana.
func (c *Catalog) TeamDashboardURL(team string) string {
	return strings.TrimRight(c.Global.GrafanaURL, "/") + "/d/" + DashboardUID(team)
}

// PanelID is the stable id ("panel-N") of the KPI's value panel in its team
// dashboard, as Grafana's viewPanel parameter takes it.
func (k *KPI) PanelID() string { return "panel-" + itoa(k.panelID) }

// PanelNumber is the numeric panel id of the KPI's value panel in its team
// dashboard. Each KPI gets a block of ten ids so its panels never collide.
func (k *KPI) PanelNumber() int { return k.panelID }

// The series the exporter computes for every calendar and period in use, with
// the labels LabelCalendar and LabelPeriod (and LabelBasis for the elapsed
// share). PromQL has no time zones: these carry business time into the rules.
const (
	CalendarPeriodStart   = "kpi_calendar_period_start_timestamp_seconds"
	CalendarPeriodEnd     = "kpi_calendar_period_end_timestamp_seconds"
	CalendarPeriodElapsed = "kpi_calendar_period_elapsed_ratio"
	LabelCalendar         = "calendar"
	LabelBasis            = "basis"
	BasisWall             = "wall"
	BasisWork             = "working"
)
