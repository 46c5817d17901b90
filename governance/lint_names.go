package governance

import (
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// unitWords maps a name's last word to the unit it announces. The exported
// name gets the unit's suffix automatically (revenue_mtd with unit currency
// EUR becomes kpi_revenue_mtd_eur), and a name that already ends in the same
// suffix keeps it once. A name that ends in a different unit word would be
// exported as a lie or a stutter, such as kpi_resolution_hours_seconds or
// kpi_yield_percent_ratio.
var unitWords = map[string]catalog.Unit{
	"seconds": catalog.UnitSeconds, "second": catalog.UnitSeconds, "secs": catalog.UnitSeconds, "sec": catalog.UnitSeconds,
	"ms": catalog.UnitSeconds, "millis": catalog.UnitSeconds, "milliseconds": catalog.UnitSeconds,
	"minutes": catalog.UnitSeconds, "mins": catalog.UnitSeconds, "hours": catalog.UnitSeconds, "hrs": catalog.UnitSeconds, "days": catalog.UnitSeconds,
	"ratio": catalog.UnitRatio, "fraction": catalog.UnitRatio,
	"percent": catalog.UnitPercent, "pct": catalog.UnitPercent, "percentage": catalog.UnitPercent,
	"bytes": catalog.UnitBytes, "kb": catalog.UnitBytes, "mb": catalog.UnitBytes, "gb": catalog.UnitBytes,
	"kib": catalog.UnitBytes, "mib": catalog.UnitBytes, "gib": catalog.UnitBytes,
	"score": catalog.UnitScore,
	"total": catalog.UnitCount,
}

// currencyWords are the ISO 4217 codes a name is likely to end in.
var currencyWords = map[string]bool{
	"eur": true, "usd": true, "gbp": true, "jpy": true, "cny": true, "chf": true, "cad": true, "aud": true,
	"sek": true, "nok": true, "dkk": true, "pln": true, "czk": true, "inr": true, "brl": true, "krw": true,
	"hkd": true, "sgd": true, "mxn": true, "zar": true, "rub": true, "try": true,
}

func (l *kpiLinter) names() {
	k := l.k
	if strings.Contains(k.Name, "__") || strings.HasSuffix(k.Name, "_") {
		l.add(SeverityWarning, RuleNameStyle, "name", "name %q has an empty word: use single underscores between words", k.Name)
	}
	i := strings.LastIndexByte(k.Name, '_')
	if i < 0 {
		return
	}
	word := k.Name[i+1:]
	if word == k.Suffix() {
		return // exported once, as intended
	}
	if currencyWords[word] {
		if k.Unit == catalog.UnitCurrency {
			l.add(SeverityError, RuleNameUnit, "name", "name ends in _%s but the currency is %s: the series would be exported as %s", word, k.Currency, k.MetricName())
		} else {
			l.add(SeverityError, RuleNameUnit, "name", "name ends in the currency _%s but the unit is %s: use unit currency with currency %s, or rename", word, k.Unit, strings.ToUpper(word))
		}
		return
	}
	u, ok := unitWords[word]
	if !ok {
		return
	}
	switch {
	case word == "total":
		l.add(SeverityWarning, RuleNameStyle, "name", "name ends in _total, which Prometheus reserves for counters; a KPI is exported as a gauge (%s)", k.MetricName())
	case u != k.Unit:
		l.add(SeverityError, RuleNameUnit, "name", "name ends in _%s, a %s word, but the unit is %s: the series would be exported as %s", word, u, k.Unit, k.MetricName())
	default:
		// The right unit, but not its base word: hours for seconds, pct for
		// percent. The unit's own suffix is added anyway.
		l.add(SeverityError, RuleNameUnit, "name", "name ends in _%s but the unit adds _%s: the series would be exported as %s; drop _%s from the name (and convert to %s in the SQL if needed)", word, k.Suffix(), k.MetricName(), word, k.Unit)
	}
}
