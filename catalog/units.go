package catalog

import (
	"strings"
)

// Unit is what a KPI's value measures. It decides the exported name's suffix,
// how dashboards and alerts render the value, and whether values may be summed
// across label sets.
type Unit string

// The units. Prometheus prefers base units: durations are seconds and
// fractions are ratios (0..1). Percent is allowed because business targets are
// often written that way, and it is exported with a _percent suffix so that
// nobody mistakes it for a ratio.
const (
	UnitCount    Unit = "count"
	UnitRatio    Unit = "ratio"
	UnitPercent  Unit = "percent"
	UnitSeconds  Unit = "seconds"
	UnitBytes    Unit = "bytes"
	UnitCurrency Unit = "currency"
	UnitScore    Unit = "score"
)

// Units lists every unit, in a stable order.
var Units = []Unit{UnitBytes, UnitCount, UnitCurrency, UnitPercent, UnitRatio, UnitScore, UnitSeconds}

type unitInfo struct {
	suffix   string // without the currency code
	grafana  string // Grafana unit id; currency gets its code appended
	summable bool
}

var unitTable = map[Unit]unitInfo{
	UnitCount:    {suffix: "", grafana: "short", summable: true},
	UnitRatio:    {suffix: "ratio", grafana: "percentunit"},
	UnitPercent:  {suffix: "percent", grafana: "percent"},
	UnitSeconds:  {suffix: "seconds", grafana: "s"},
	UnitBytes:    {suffix: "bytes", grafana: "bytes", summable: true},
	UnitCurrency: {suffix: "", grafana: "currency", summable: true},
	UnitScore:    {suffix: "score", grafana: "none"},
}

// Known reports whether u is a supported unit.
func (u Unit) Known() bool { _, ok := unitTable[u]; return ok }

// Summable reports whether values of this unit may be added up across label
// sets and KPIs (counts, money, bytes), as opposed to ratios, scores and
// averages, which must never be summed.
func (u Unit) Summable() bool { return unitTable[u].summable }

// Suffix is the metric-name suffix of a KPI with this unit ("" for none).
func (k *KPI) Suffix() string {
	if k.Unit == UnitCurrency {
		return strings.ToLower(k.Currency)
	}
	return unitTable[k.Unit].suffix
}

// GrafanaUnit is the Grafana field unit id for the KPI's values.
func (k *KPI) GrafanaUnit() string {
	switch k.Unit {
	case UnitCurrency:
		switch strings.ToUpper(k.Currency) {
		case "USD":
			return "currencyUSD"
		case "EUR":
			return "currencyEUR"
		case "GBP":
			return "currencyGBP"
		case "JPY":
			return "currencyJPY"
		case "CNY":
			return "currencyCNY"
		default:
			return "suffix: " + strings.ToUpper(k.Currency)
		}
	case "":
		return "short"
	}
	return unitTable[k.Unit].grafana
}

// HumanizeTemplate returns a Prometheus alert-template expression that renders
// the value held in the template pipeline expr (such as "$value") in the KPI's
// unit, for use in annotations.
func (k *KPI) HumanizeTemplate(expr string) string {
	switch k.Unit {
	case UnitRatio:
		return "{{ " + expr + " | humanizePercentage }}"
	case UnitPercent:
		return `{{ printf "%.1f%%" ` + expr + ` }}`
	case UnitSeconds:
		return "{{ " + expr + " | humanizeDuration }}"
	case UnitBytes:
		return "{{ " + expr + " | humanize1024 }}B"
	case UnitCurrency:
		return "{{ " + expr + " | humanize }} " + strings.ToUpper(k.Currency)
	case UnitScore:
		return `{{ printf "%.2f" ` + expr + ` }}`
	}
	return "{{ " + expr + " | humanize }}"
}
