package governance

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// ControlCheck is a KPI's control query run beside the KPI: each label set's
// value, control value and difference, and whether it is within the
// tolerance, as the KPIControlMismatch alert would judge it.
type ControlCheck struct {
	Source    string `json:"source"`
	Tolerance string `json:"tolerance"`
	Rows      int    `json:"rows"`
	// Series are every label set of the KPI or the control, in the KPI's
	// row order, then the control's label sets the KPI lacks.
	Series []ControlSeries `json:"series,omitempty"`
	// OutOfTolerance counts the label sets with both values that differ by
	// more than the tolerance.
	OutOfTolerance int `json:"out_of_tolerance"`
}

// ControlSeries is one label set of a control check. Value or Control is
// nil when only the other query returned the label set.
type ControlSeries struct {
	Labels     map[string]string `json:"labels,omitempty"`
	Value      *float64          `json:"value,omitempty"`
	Control    *float64          `json:"control,omitempty"`
	Difference *float64          `json:"difference,omitempty"`
	Within     bool              `json:"within_tolerance"`
	labelText  string
}

// checkControl runs the KPI's control query through r and reconciles it
// with the KPI's run: the control's own problems (a failed query, a missing
// column) fail the check like the KPI's; a drift beyond the tolerance is a
// warning, since it is the data, not the catalog, that disagrees.
func (c *KPICheck) checkControl(ctx context.Context, r Runner, k *catalog.KPI, res *DryRun) {
	q := k.ControlQuery()
	if q == nil {
		return
	}
	cres, err := r.RunOnce(ctx, q)
	cc := CheckKPI(q, cres, err)
	for _, p := range cc.Problems {
		c.Problems = append(c.Problems, "control: "+p)
	}
	for _, w := range cc.Warnings {
		c.Warnings = append(c.Warnings, "control: "+w)
	}
	ctl := &ControlCheck{Source: k.Control.Source, Tolerance: k.ToleranceText(), Rows: cc.Rows}
	c.Control = ctl
	if err != nil || cres == nil || res == nil {
		return
	}
	ctl.reconcile(k, res.Series, cres.Series)
	only := ctl.oneSided()
	if ctl.OutOfTolerance > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("control: %d of %d label sets differ from the control by more than %s (see Controls)", ctl.OutOfTolerance, len(ctl.Series)-only, ctl.Tolerance))
	}
	if only > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("control: %d label sets are returned by only one of the KPI and its control", only))
	}
}

// reconcile pairs the KPI's and the control's series by label set.
func (ctl *ControlCheck) reconcile(k *catalog.KPI, values, controls []DrySeries) {
	key := func(s DrySeries) string { return strings.Join(s.Labels, "\xff") }
	byKey := map[string]int{}
	add := func(s DrySeries) *ControlSeries {
		cs := ControlSeries{}
		var parts []string
		for j, l := range k.Labels {
			if j < len(s.Labels) {
				if cs.Labels == nil {
					cs.Labels = map[string]string{}
				}
				cs.Labels[l] = s.Labels[j]
				parts = append(parts, l+"="+s.Labels[j])
			}
		}
		cs.labelText = strings.Join(parts, ",")
		byKey[key(s)] = len(ctl.Series)
		ctl.Series = append(ctl.Series, cs)
		return &ctl.Series[len(ctl.Series)-1]
	}
	for _, s := range values {
		v := s.Value
		add(s).Value = &v
	}
	for _, s := range controls {
		v := s.Value
		if i, ok := byKey[key(s)]; ok {
			ctl.Series[i].Control = &v
			continue
		}
		add(s).Control = &v
	}
	tol := k.Control.Tolerance
	for i := range ctl.Series {
		s := &ctl.Series[i]
		if s.Value == nil || s.Control == nil {
			continue
		}
		d := *s.Value - *s.Control
		s.Difference = &d
		limit := 0.0
		if tol.Absolute != nil {
			limit = *tol.Absolute
		} else if tol.Relative != nil {
			limit = *tol.Relative * math.Abs(*s.Control)
		}
		s.Within = math.Abs(d) <= limit
		if !s.Within {
			ctl.OutOfTolerance++
		}
	}
}

// oneSided counts the label sets only one query returned.
func (ctl *ControlCheck) oneSided() int {
	n := 0
	for _, s := range ctl.Series {
		if s.Value == nil || s.Control == nil {
			n++
		}
	}
	return n
}

// controlTable renders every KPI's control beside its value, one row per
// label set: value, control, difference and whether it is within the
// tolerance. Nothing when no KPI has a control.
func controlTable(r CheckReport) []byte {
	var b bytes.Buffer
	tw := newTable(&b)
	found := false
	for _, k := range r.KPIs {
		ctl := k.Control
		if ctl == nil {
			continue
		}
		if !found {
			fmt.Fprintln(tw, "KPI\tCONTROL SOURCE\tLABELS\tVALUE\tCONTROL\tDIFFERENCE\tTOLERANCE\tRECONCILED")
			found = true
		}
		if len(ctl.Series) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t%s\t-\n", k.KPI, ctl.Source, ctl.Tolerance)
		}
		for _, s := range ctl.Series {
			verdict := "ok"
			switch {
			case s.Value == nil:
				verdict = "only in control"
			case s.Control == nil:
				verdict = "only in KPI"
			case !s.Within:
				verdict = "OUT OF TOLERANCE"
			}
			labels := s.labelText
			if labels == "" {
				labels = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.KPI, ctl.Source, labels,
				optSample(s.Value), optSample(s.Control), optSample(s.Difference), ctl.Tolerance, verdict)
		}
	}
	if !found {
		return nil
	}
	tw.Flush()
	return append([]byte("\nControls:\n"), b.Bytes()...)
}

func optSample(f *float64) string {
	if f == nil {
		return "-"
	}
	return fmtSample(*f)
}
