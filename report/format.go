package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// The formatting of figures for a reader, shared by the renderers.

// noData is how a missing figure reads: never as zero.
const noData = "no data"

// FormatValue renders v in the KPI's unit.
func FormatValue(k *catalog.KPI, n Num) string {
	if !n.OK {
		return noData
	}
	v := n.V
	switch k.Unit {
	case catalog.UnitRatio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case catalog.UnitPercent:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case catalog.UnitCurrency:
		return strconv.FormatFloat(v, 'f', 2, 64) + " " + k.Currency
	case catalog.UnitSeconds:
		return time.Duration(v * float64(time.Second)).Round(time.Second).String()
	case catalog.UnitBytes:
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	return plain(v)
}

// FormatDelta renders a difference of two values in the KPI's unit, signed:
// percentage points for ratios and percents.
func FormatDelta(k *catalog.KPI, n Num) string {
	if !n.OK {
		return noData
	}
	sign := "+"
	if n.V < 0 || (n.V == 0 && math.Signbit(n.V)) {
		sign = "-"
	}
	a := math.Abs(n.V)
	switch k.Unit {
	case catalog.UnitRatio:
		return sign + strconv.FormatFloat(a*100, 'f', 1, 64) + " pp"
	case catalog.UnitPercent:
		return sign + strconv.FormatFloat(a, 'f', 1, 64) + " pp"
	}
	return sign + FormatValue(k, num(a))
}

// FormatRatio renders an attainment or a share as a percentage.
func FormatRatio(n Num) string {
	if !n.OK {
		return noData
	}
	return strconv.FormatFloat(n.V*100, 'f', 1, 64) + "%"
}

func plain(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// FormatDuration renders a time spent, in days, hours and minutes.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0h"
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hours := d / time.Hour
	mins := (d - hours*time.Hour) / time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hours))
	}
	if mins > 0 {
		parts = append(parts, fmt.Sprintf("%dm", mins))
	}
	return strings.Join(parts, " ")
}

// better says whether a change is good news in the KPI's direction.
func better(k *catalog.KPI, change Num) string {
	if !change.OK || change.V == 0 || k.Direction == "" {
		return ""
	}
	if (change.V > 0) == (k.Direction != catalog.LowerIsBetter) {
		return "better"
	}
	return "worse"
}

// title is how a KPI is named to a reader.
func title(k *catalog.KPI) string { return k.Name }

// windowText describes the period and the one it is compared with, in the
// calendar's zone.
func windowText(w Window) string {
	const f = "2006-01-02 15:04"
	zone := w.Start.Location().String()
	return fmt.Sprintf("%s to %s (%s), compared with %s to %s", w.Start.Format(f), w.End.Format(f), zone, w.PrevStart.Format(f), w.PrevCut.Format(f))
}

// partialText warns that a period had not ended when the review was made.
func partialText(w Window) string {
	return fmt.Sprintf("This period had not ended when the review was made (%s): its figures are partial, up to that time.", w.Now.In(w.Start.Location()).Format("2006-01-02 15:04"))
}

// timeIn is the time a series spent beyond a threshold; for a series
// without data it is unknown, not zero.
func timeIn(f Figures, d time.Duration) string {
	if len(f.Trend) == 0 {
		return noData
	}
	return FormatDuration(d)
}
