package scorecard

import (
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/common/helpers/templates"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// FormatValue renders v in the KPI's unit, as a manager reads it: ratios
// and percents as percentages, money with its currency code, seconds as a
// duration (Prometheus's humanizeDuration, as the alerts write it), bytes
// in binary multiples.
func FormatValue(k *catalog.KPI, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	switch k.Unit {
	case catalog.UnitRatio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case catalog.UnitPercent:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case catalog.UnitCurrency:
		return humanize.FormatFloat("#,###.##", v) + " " + strings.ToUpper(k.Currency)
	case catalog.UnitSeconds:
		if s, err := templates.HumanizeDuration(v); err == nil {
			return s
		}
	case catalog.UnitBytes:
		if v >= 0 {
			return humanize.IBytes(uint64(math.Round(v)))
		}
	case catalog.UnitScore:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return humanize.Commaf(math.Round(v*100) / 100)
}

// FormatShare renders an attainment or a pacing as a percentage, and
// nothing when there is none.
func FormatShare(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
}
