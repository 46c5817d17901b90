package governance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
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
func alertsByKPI(cat *catalog.Catalog, t *i18n.Text) map[string][]AlertDoc {
	out := map[string][]AlertDoc{}
	for _, k := range cat.KPIs {
		for _, r := range rules.KPIAlerts(cat, k) {
			out[k.Name] = append(out[k.Name], AlertDoc{Name: r.Alert, Severity: r.Labels[catalog.LabelSeverity], When: alertWhen(t, k, r.Alert)})
		}
		// Source outages are alerted once per source and team, for all
		// the team's KPIs on the source.
		out[k.Name] = append(out[k.Name], AlertDoc{Name: catalog.AlertSourceDown, Severity: catalog.SeverityCritical, When: alertWhen(t, k, catalog.AlertSourceDown)})
	}
	return out
}

// alertWhen says when an alert fires, for a reader who does not read PromQL.
func alertWhen(t *i18n.Text, k *catalog.KPI, alert string) string {
	side := t.Side(k.Direction)
	level := func(th *catalog.Threshold) string {
		switch {
		case th == nil:
			return ""
		case th.OfTarget && k.Period != catalog.PeriodNone:
			return fmt.Sprintf(t.DocOfTargetByNowF, th.String())
		case th.OfTarget:
			return fmt.Sprintf(t.DocOfTargetF, th.String())
		}
		return t.Amount(k, th.Value)
	}
	switch alert {
	case catalog.AlertThresholdWarning:
		return fmt.Sprintf(t.WhenThresholdF, side, t.Warning, level(k.Thresholds.Warning))
	case catalog.AlertThresholdCritical:
		return fmt.Sprintf(t.WhenThresholdF, side, t.Critical, level(k.Thresholds.Critical))
	case catalog.AlertForecastMiss:
		return fmt.Sprintf(t.WhenForecastF, t.Period(k.Period), side)
	case catalog.AlertAnomaly:
		return fmt.Sprintf(t.WhenAnomalyF, t.Span(k.Anomaly.Window.D()), strconv.FormatFloat(k.Anomaly.StdDevs, 'g', -1, 64), t.Span(k.Anomaly.For.D()))
	case catalog.AlertStale:
		return fmt.Sprintf(t.WhenStaleF, t.Span(k.MaxAge.D()))
	case catalog.AlertSourceDown:
		srcs := []string{k.Source}
		if tg := k.Target; tg != nil && tg.Source != "" && tg.Source != k.Source {
			srcs = append(srcs, tg.Source)
		}
		if c := k.Control; c != nil && !slices.Contains(srcs, c.Source) {
			srcs = append(srcs, c.Source)
		}
		return fmt.Sprintf(t.WhenSourceDownF, strings.Join(srcs, t.DocOr))
	case catalog.AlertControlMismatch:
		return fmt.Sprintf(t.WhenControlMismatchF, k.Control.Source, t.Tolerance(k), t.Span(k.Control.For.D()))
	case catalog.AlertControlErrors:
		return t.WhenControlErrors
	case catalog.AlertCollectionErrors:
		return t.WhenErrors
	}
	return t.WhenOther
}
