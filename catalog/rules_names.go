package catalog

import "github.com/kpi-exporter/kpi_exporter/calendar"

// Names the rule generator adds to the contract in names.go: the recorded
// copies of a KPI's value and target, the generated alert names and the
// severities. Dashboards and documents may read them; only rules writes rules.

// Recording-rule operations for the de-duplicated value and target series.
// They carry the kpi, team and owner labels that the raw gauges lack.
const (
	OpValue  = "value"
	OpTarget = "target"
)

// CompareOp is the recording-rule operation of the de-duplicated value of a
// comparison, such as kpi:kpi_daily_sales_usd:previous_period.
func CompareOp(e calendar.Earlier) string { return string(e) }

// Alert names of the generated alerting rules. Each alert carries the labels
// kpi, team, owner and severity, and the KPI's label columns where they apply.
const (
	AlertThresholdWarning  = "KPIThresholdWarning"
	AlertThresholdCritical = "KPIThresholdCritical"
	AlertForecastMiss      = "KPIForecastMiss"
	AlertAnomaly           = "KPIAnomaly"
	AlertStale             = "KPIStale"
	AlertSourceDown        = "KPISourceDown"
	AlertCollectionErrors  = "KPICollectionErrors"
)

// ThresholdWarmUp is the elapsed share of its period before which a period
// KPI's percent-of-target thresholds stay silent: at the start of a period
// the expected-to-date target is close to zero and any value would breach
// it. The alerts and the scorecard both hold to it.
const ThresholdWarmUp = 0.05

// Severities, the values of the severity label.
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)
