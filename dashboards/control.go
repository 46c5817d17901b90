package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/i18n"
)

// The query references of a KPI's control in its panels, apart from the
// letters the value, target, thresholds and comparisons take.
const (
	refControl    = "X"
	refDifference = "Y"
)

// withControl draws the KPI's control value beside its value, dotted, so
// that a drift shows as two lines parting.
func withControl(p *timeseries.PanelBuilder, k *catalog.KPI, q kpiQueries) {
	if k.Control == nil {
		return
	}
	p.WithTarget(rangeQuery(refControl, q.record(catalog.OpControl), legend(k, q.t.LegendControl))).
		OverrideByQuery(refControl, dotted())
}

// controlColumns add the control value and the difference (value minus
// control) beside the value in the table, the difference coloured once it
// is beyond the tolerance.
func controlColumns(p *table.PanelBuilder, k *catalog.KPI, q kpiQueries, rename map[string]string) {
	if k.Control == nil {
		return
	}
	p.WithTarget(tableQuery(refControl, q.record(catalog.OpControl))).
		WithTarget(tableQuery(refDifference, q.record(catalog.OpControlDifference)))
	rename["Value #"+refControl], rename["Value #"+refDifference] = q.t.LegendControl, q.t.ColDifference
	p.OverrideByName(q.t.LegendControl, []dashboard.DynamicConfigValue{{Id: "unit", Value: k.GrafanaUnit()}})
	diff := []dashboard.DynamicConfigValue{{Id: "unit", Value: k.GrafanaUnit()}}
	if a := k.Control.Tolerance.Absolute; a != nil {
		// Beyond the tolerance either way is out; a relative tolerance
		// depends on each row's control and is left to the alert.
		diff = append(diff,
			dashboard.DynamicConfigValue{Id: "thresholds", Value: dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: []dashboard.Threshold{
				{Color: colorWarning}, {Value: ptr(-*a), Color: colorGood}, {Value: ptr(*a + tiny(*a)), Color: colorWarning},
			}}},
			dashboard.DynamicConfigValue{Id: "color", Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdThresholds}},
			dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: common.TableColoredBackgroundCellOptions{Type: common.TableCellDisplayModeColorBackground}},
		)
	}
	p.OverrideByName(q.t.ColDifference, diff)
}

// tiny is a step just above a threshold of size a, so that a difference
// exactly at the tolerance, which the alert allows, stays green.
func tiny(a float64) float64 { return max(a*1e-9, 1e-9) }

// controlDescription tells the table's readers what the control columns are.
func controlDescription(t *i18n.Text, k *catalog.KPI) string {
	if k.Control == nil {
		return ""
	}
	return fmt.Sprintf(t.ControlTableDescF, k.Control.Source, t.Tolerance(k))
}

func dotted() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "custom.lineStyle", Value: common.LineStyle{Fill: ptr(common.LineStyleFillDot), Dash: []float64{0, 10}}},
		{Id: "custom.lineWidth", Value: 2},
	}
}
