package governance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/rules"
)

// AlertDoc describes one alert generated for a KPI, in words.
type AlertDoc struct {
	Name     string
	Severity string
	When     string
}

// alertsByKPI lists, per KPI name, the alerts the rules generator really
// generates (so the dictionary can never promise an alert that does not
// exist), each described in words from the catalog. It does not validate
// the rules again: generate does that once, before anything is written.
func alertsByKPI(cat *catalog.Catalog) map[string][]AlertDoc {
	out := map[string][]AlertDoc{}
	for _, k := range cat.KPIs {
		for _, r := range rules.KPIAlerts(cat, k) {
			out[k.Name] = append(out[k.Name], AlertDoc{Name: r.Alert, Severity: r.Labels[catalog.LabelSeverity], When: alertWhen(k, r.Alert)})
		}
		// Source outages are alerted once per source and team, for all
		// the team's KPIs on the source.
		out[k.Name] = append(out[k.Name], AlertDoc{Name: catalog.AlertSourceDown, Severity: catalog.SeverityCritical, When: alertWhen(k, catalog.AlertSourceDown)})
	}
	return out
}

// alertWhen says when an alert fires, for a reader who does not read PromQL.
func alertWhen(k *catalog.KPI, alert string) string {
	side := "below"
	if k.Direction == catalog.LowerIsBetter {
		side = "above"
	}
	level := func(t *catalog.Threshold) string {
		if t == nil {
			return ""
		}
		if t.OfTarget {
			if k.Period != catalog.PeriodNone {
				return t.String() + " of the target expected by now"
			}
			return t.String() + " of the target"
		}
		return t.String()
	}
	switch alert {
	case catalog.AlertThresholdWarning:
		return fmt.Sprintf("the value stays %s the warning threshold, %s", side, level(k.Thresholds.Warning))
	case catalog.AlertThresholdCritical:
		return fmt.Sprintf("the value stays %s the critical threshold, %s", side, level(k.Thresholds.Critical))
	case catalog.AlertForecastMiss:
		return fmt.Sprintf("at its pace so far, the %s would end %s its target", k.Period, side)
	case catalog.AlertAnomaly:
		return fmt.Sprintf("the value leaves its %s baseline by more than %g standard deviations for %s", k.Anomaly.Window, k.Anomaly.StdDevs, k.Anomaly.For)
	case catalog.AlertStale:
		return fmt.Sprintf("no fresh value for longer than %s, so the number shown may be old", k.MaxAge)
	case catalog.AlertSourceDown:
		srcs := []string{k.Source}
		if t := k.Target; t != nil && t.Source != "" && t.Source != k.Source {
			srcs = append(srcs, t.Source)
		}
		if c := k.Control; c != nil && !slices.Contains(srcs, c.Source) {
			srcs = append(srcs, c.Source)
		}
		return "the database source " + strings.Join(srcs, " or ") + " cannot be reached (one alert per team for all its KPIs on the source)"
	case catalog.AlertControlMismatch:
		return fmt.Sprintf("the value and its control on %s differ by more than %s for %s", k.Control.Source, k.ToleranceText(), k.Control.For)
	case catalog.AlertControlErrors:
		return "running the control query keeps failing, so the KPI is not reconciled"
	case catalog.AlertCollectionErrors:
		return "collecting the KPI keeps failing (query errors, timeouts, bad rows)"
	}
	return "see the generated rules"
}
