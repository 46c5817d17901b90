package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// The formatting of figures for a reader, shared by the renderers.

// noData is how a missing figure reads: never as zero.
const noData = "no data"

// FormatValue renders a figure in the KPI's unit, as the scorecard does.
func FormatValue(k *catalog.KPI, n Num) string {
	if !n.OK {
		return noData
	}
	return scorecard.FormatValue(k, n.V)
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
	return scorecard.FormatShare(&n.V)
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
func title(k *catalog.KPI) string { return k.DisplayTitle() }

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
