package scorecard

import (
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// judgement holds what is the same for every series of one KPI.
type judgement struct {
	k      *catalog.KPI
	higher bool
	// elapsed is the period's elapsed share, nil without a period.
	elapsed *float64
}

func judgeOf(k *catalog.KPI) judgement {
	return judgement{k: k, higher: k.Direction != catalog.LowerIsBetter}
}

// ratio is a/b when b > 0, as the rules' "a / (b > 0)": nil otherwise.
func ratio(a, b float64) *float64 {
	if b <= 0 {
		return nil
	}
	r := a / b
	return &r
}

// good is "a reads as good against b" turned into a ratio above 1 when
// good: value/target when higher is better, target/value when lower.
func (j judgement) good(v, t float64) *float64 {
	if j.higher {
		return ratio(v, t)
	}
	return ratio(t, v)
}

// Breached reports whether v is on the wrong side of level for k, as the
// threshold alerts compare: below it when higher is better, above when
// lower. The review report judges its history the same way.
func Breached(k *catalog.KPI, v, level float64) bool {
	if k.Direction == catalog.LowerIsBetter {
		return v > level
	}
	return v < level
}

// level is the value of a threshold for a series, the way the rules
// record it: absolute, or a share of the target (of the expected-to-date
// target for a period KPI). A percent threshold without a target does not
// exist; one of a period KPI is silent during the period's warm-up
// (catalog.ThresholdWarmUp), as the alerts are.
func (j judgement) level(t *catalog.Threshold, target, expected *float64) (lvl *float64, gated bool) {
	if t == nil {
		return nil, false
	}
	if !t.OfTarget {
		v := t.Value
		return &v, false
	}
	base := target
	if j.elapsed != nil {
		base = expected
	}
	if base == nil {
		return nil, false
	}
	v := *base * t.Ratio()
	return &v, j.elapsed != nil && *j.elapsed < catalog.ThresholdWarmUp
}

func (j judgement) row(s *Series) Row {
	k := j.k
	r := Row{Value: s.Value, Status: StatusNone}
	if len(k.Labels) > 0 {
		r.Labels = make(map[string]string, len(k.Labels))
		parts := make([]string, 0, len(k.Labels))
		for i, l := range k.Labels {
			if i < len(s.Labels) {
				r.Labels[l] = s.Labels[i]
				parts = append(parts, l+"="+s.Labels[i])
			}
		}
		r.Text.Labels = strings.Join(parts, ", ")
	}
	r.Text.Value = FormatValue(k, s.Value)
	if s.HasTarget {
		t := s.Target
		r.Target = &t
		r.Attainment = j.good(s.Value, t)
		r.Text.Target = FormatValue(k, t)
		r.Text.Attainment = FormatShare(r.Attainment)
		if j.elapsed != nil {
			e := t * *j.elapsed
			r.Expected = &e
			r.Pacing = j.good(s.Value, e)
			r.Text.Expected = FormatValue(k, e)
			r.Text.Pacing = FormatShare(r.Pacing)
		}
	}
	var th catalog.Thresholds
	if k.Thresholds != nil {
		th = *k.Thresholds
	}
	warn, warnGated := j.level(th.Warning, r.Target, r.Expected)
	crit, critGated := j.level(th.Critical, r.Target, r.Expected)
	r.Warning, r.Critical = warn, crit
	if warn != nil || crit != nil {
		r.Status = StatusOK
	}
	switch {
	case crit != nil && !critGated && Breached(k, s.Value, *crit):
		r.Status = StatusCritical
	case warn != nil && !warnGated && Breached(k, s.Value, *warn):
		r.Status = StatusWarning
	}
	return r
}
