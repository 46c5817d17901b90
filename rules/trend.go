package rules

import (
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// trendRecords record the change of the value against one day and seven days
// ago. The value is a gauge, so this is a plain difference, never rate or
// increase.
func (x kpiCtx) trendRecords() []rulefmt.Rule {
	v := x.rec(catalog.OpValue)
	return []rulefmt.Rule{
		x.record(catalog.OpDelta1d, v+" - "+x.on()+" ("+v+" offset 1d)"),
		x.record(catalog.OpDelta7d, v+" - "+x.on()+" ("+v+" offset 7d)"),
	}
}
