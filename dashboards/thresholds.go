package dashboards

import (
	"math"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Colours, so that green always means good whatever the KPI's direction.
const (
	colorGood     = "green"
	colorWarning  = "orange"
	colorCritical = "red"
	colorNeutral  = "text"
	colorProgress = "blue"
)

// levels are a KPI's warning and critical levels in one value space; a nil
// level is not defined.
type levels struct {
	warning, critical *float64
}

func (l levels) empty() bool { return l.warning == nil && l.critical == nil }

// valueLevels returns the KPI's thresholds as values of the KPI itself, and
// whether they are the same for every series at every moment. Absolute
// thresholds always are. A percentage of the target is only when the target is
// a constant and the KPI has no period: the rules apply a period KPI's
// percentage to the share of the target expected by now, which moves through
// the period, and a SQL target gives each series its own level. Those
// thresholds are drawn from their recorded series, and the overview colours
// them through the attainment or pacing ratio instead.
func valueLevels(k *catalog.KPI) (levels, bool) {
	if k.Thresholds == nil {
		return levels{}, true
	}
	conv := func(t *catalog.Threshold) (*float64, bool) {
		if t == nil {
			return nil, true
		}
		if !t.OfTarget {
			return ptr(t.Value), true
		}
		if k.Target == nil || !k.Target.IsConstant() || k.Period != catalog.PeriodNone {
			return nil, false
		}
		return ptr(round(t.Ratio() * k.Target.Value)), true
	}
	return convert(k.Thresholds, conv)
}

// ratioLevels returns the KPI's thresholds as levels of a ratio against the
// target (or, for pacing, the target expected by now) that reads above 1 when
// the KPI does better, whatever its direction: the rules record value/target
// for higher-is-better and target/value for lower-is-better. A percentage
// converts exactly. An absolute threshold converts only when absolute is true
// and the target is a positive constant. ok is false when some threshold does
// not convert.
func ratioLevels(k *catalog.KPI, absolute bool) (levels, bool) {
	if k.Thresholds == nil || k.Target == nil {
		return levels{}, k.Thresholds == nil
	}
	conv := func(t *catalog.Threshold) (*float64, bool) {
		if t == nil {
			return nil, true
		}
		var r float64
		switch {
		case t.OfTarget:
			r = t.Ratio()
		case absolute && k.Target.IsConstant() && k.Target.Value > 0 && t.Value > 0:
			r = t.Value / k.Target.Value
		default:
			return nil, false
		}
		if k.Direction == catalog.LowerIsBetter {
			if r == 0 {
				return nil, false
			}
			r = 1 / r
		}
		return ptr(round(r)), true
	}
	return convert(k.Thresholds, conv)
}

// convert maps both thresholds into one value space; it fails when either
// does not map.
func convert(th *catalog.Thresholds, conv func(*catalog.Threshold) (*float64, bool)) (levels, bool) {
	var l levels
	var okW, okC bool
	l.warning, okW = conv(th.Warning)
	l.critical, okC = conv(th.Critical)
	if !okW || !okC {
		return levels{}, false
	}
	return l, true
}

// steps turns levels into Grafana threshold steps coloured by direction:
// for higher-is-better the base is the worst colour and each level steps up
// to a better one; for lower-is-better the base is good and each level steps
// down. Steps are ascending, as Grafana requires, because the loader checks
// the order of warning and critical.
func steps(dir catalog.Direction, l levels) []dashboard.Threshold {
	if l.empty() {
		return []dashboard.Threshold{{Color: colorNeutral}}
	}
	if dir == catalog.LowerIsBetter {
		out := []dashboard.Threshold{{Color: colorGood}}
		if l.warning != nil {
			out = append(out, dashboard.Threshold{Value: l.warning, Color: colorWarning})
		}
		if l.critical != nil {
			out = append(out, dashboard.Threshold{Value: l.critical, Color: colorCritical})
		}
		return out
	}
	base := colorWarning
	if l.critical != nil {
		base = colorCritical
	}
	out := []dashboard.Threshold{{Color: base}}
	if l.critical != nil {
		above := colorGood
		if l.warning != nil {
			above = colorWarning
		}
		out = append(out, dashboard.Threshold{Value: l.critical, Color: above})
	}
	if l.warning != nil {
		out = append(out, dashboard.Threshold{Value: l.warning, Color: colorGood})
	}
	return out
}

// shortOfTarget colours a ratio whose thresholds cannot be expressed as
// ratios: falling short of the target is a warning, reaching it is good.
func shortOfTarget() levels { return levels{warning: ptr(1.0)} }

// attainmentSteps colours the attainment ratio. Without a period its
// thresholds are the KPI's, as ratios of the target. A period KPI's value
// accumulates through the period, so its attainment is progress towards the
// period's target: neutral until reached, green after; its pacing carries the
// thresholds.
func attainmentSteps(k *catalog.KPI) []dashboard.Threshold {
	if k.Period != catalog.PeriodNone {
		return []dashboard.Threshold{{Color: colorProgress}, {Value: ptr(1.0), Color: colorGood}}
	}
	l, ok := ratioLevels(k, true)
	if !ok || l.empty() {
		l = shortOfTarget()
	}
	return steps(catalog.HigherIsBetter, l)
}

// pacingSteps colours the pacing ratio, value against the target expected by
// now. The rules apply a period KPI's percentage thresholds to exactly that
// expected target, so they convert exactly; absolute ones do not.
func pacingSteps(k *catalog.KPI) []dashboard.Threshold {
	l, ok := ratioLevels(k, false)
	if !ok || l.empty() {
		l = shortOfTarget()
	}
	return steps(catalog.HigherIsBetter, l)
}

func thresholdsConfig(s []dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

// round drops floating-point noise such as 0.9024999999999999.
func round(f float64) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	return r
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func ptr[T any](v T) *T { return &v }
