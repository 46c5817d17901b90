package rules

import (
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// compareRecords record each comparison's value once per label set, and the
// relative change of the value against it: (value - earlier) / |earlier|,
// so that +0.1 reads "10 % more than at the same point of the earlier
// period" in either direction of the KPI. An earlier value of 0 has no
// ratio.
func (x kpiCtx) compareRecords() []rulefmt.Rule {
	var out []rulefmt.Rule
	v := x.rec(catalog.OpValue)
	for _, e := range x.k.Compare {
		out = append(out, x.record(catalog.CompareOp(e), x.dedup(x.k.CompareMetricName(e))))
		p := x.rec(catalog.CompareOp(e))
		out = append(out, x.record(catalog.ChangeOp(e), "("+v+" - "+x.on()+" "+p+") / "+x.on()+" abs("+p+" != 0)"))
	}
	return out
}
