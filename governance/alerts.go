package governance

import (
	"fmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// AlertDoc describes one alert generated for a KPI, in words.
type AlertDoc struct {
	Name     string
	Severity string
	When     string
}

// Alerts lists the alerts generated for a KPI, described from the catalog.
func Alerts(k *catalog.KPI) []AlertDoc {
	var out []AlertDoc
	side := "below"
	if k.Direction == catalog.LowerIsBetter {
		side = "above"
	}
	if th := k.Thresholds; th != nil {
		if th.Warning != nil {
			out = append(out, AlertDoc{"KPIThresholdWarning", "warning", fmt.Sprintf("the value is %s the warning level %s", side, th.Warning)})
		}
		if th.Critical != nil {
			out = append(out, AlertDoc{"KPIThresholdCritical", "critical", fmt.Sprintf("the value is %s the critical level %s", side, th.Critical)})
		}
	}
	if k.ForecastEnabled() {
		out = append(out, AlertDoc{"KPIForecastMiss", "warning", fmt.Sprintf("at the current pace the %s will end %s its target", k.Period, side)})
	}
	if k.Anomaly != nil {
		out = append(out, AlertDoc{"KPIAnomaly", "warning", fmt.Sprintf("the value leaves its %s baseline by more than %g standard deviations for %s", k.Anomaly.Window, k.Anomaly.StdDevs, k.Anomaly.For)})
	}
	return out
}
