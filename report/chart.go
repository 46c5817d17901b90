package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The chart geometry, in SVG user units.
const (
	chartW, chartH     = 560, 170
	chartLeft, chartR  = 90, 10
	chartTop, chartBot = 10, 24
)

// Colours the HTML uses; tests look for them in the rendered page.
const (
	ColourOK       = "#1a7f37"
	ColourWarning  = "#bf8700"
	ColourCritical = "#cf222e"
	ColourNoData   = "#6e7781"
	ColourTarget   = "#3d444d"
	// ColourValue is the stroke of a KPI's (first) value line.
	ColourValue = "#0969da"
)

// lineColour strokes the value line of a KPI's i-th series.
func lineColour(i int) string {
	palette := [...]string{ColourValue, "#8250df", "#bc4c00", "#1b7c83", "#bf3989", "#4d2d00"}
	return palette[i%len(palette)]
}

// chart is one KPI's trend against its target, ready for the template.
type chart struct {
	W, H    int
	Lines   []chartLine
	YLabels []chartLabel
	XLabels []chartLabel
	Legend  []chartLegend
}

type chartLine struct {
	Colour string
	Dashed bool
	// Points are the polylines of the line, one per stretch without gaps.
	Points []string
}

type chartLabel struct {
	X, Y   float64
	Text   string
	Anchor string
}

type chartLegend struct {
	Colour string
	Dashed bool
	Text   string
}

// trendChart draws a KPI's value lines and their targets over the period.
// It returns nil when there is nothing to draw.
func trendChart(k KPIResult, w Window, step time.Duration) *chart {
	type line struct {
		name   string
		pts    []Point
		target bool
		colour string
	}
	var lines []line
	add := func(name string, f Figures, i int) {
		c := lineColour(i)
		lines = append(lines, line{name, f.Trend, false, c})
		if len(f.TargetTrend) > 0 {
			lines = append(lines, line{"target", f.TargetTrend, true, ColourTarget})
		}
	}
	switch {
	case k.Headline != nil && len(k.Headline.Trend) > 0:
		add("value", *k.Headline, 0)
	default:
		for i, f := range k.Series {
			add(f.Labels, f, i)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, p := range l.pts {
			lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
		}
	}
	if math.IsInf(lo, 1) {
		return nil
	}
	// The padding never takes the axis across zero: a wait of a minute
	// does not read as "-5m" at the bottom of its chart.
	floor := math.Inf(-1)
	if lo >= 0 {
		floor = 0
	}
	if hi == lo {
		hi, lo = hi+1, math.Max(lo-1, floor)
	}
	pad := (hi - lo) * 0.08
	lo, hi = math.Max(lo-pad, floor), hi+pad
	x0, x1 := float64(chartLeft), float64(chartW-chartR)
	y0, y1 := float64(chartH-chartBot), float64(chartTop)
	span := w.End.Sub(w.Start).Seconds()
	xOf := func(t time.Time) float64 { return x0 + (x1-x0)*t.Sub(w.Start).Seconds()/span }
	yOf := func(v float64) float64 { return y0 + (y1-y0)*(v-lo)/(hi-lo) }
	c := &chart{W: chartW, H: chartH}
	seenTarget := false
	for _, l := range lines {
		cl := chartLine{Colour: l.colour, Dashed: l.target}
		for _, seg := range stretches(l.pts, step) {
			seg = thin(seg, maxChartPoints)
			if len(seg) == 1 {
				seg = []Point{seg[0], seg[0]} // a single point still shows
			}
			xy := make([]string, len(seg))
			for i, p := range seg {
				xy[i] = coord(xOf(p.T)) + "," + coord(yOf(p.V))
			}
			cl.Points = append(cl.Points, strings.Join(xy, " "))
		}
		c.Lines = append(c.Lines, cl)
		if l.target && seenTarget {
			continue
		}
		seenTarget = seenTarget || l.target
		c.Legend = append(c.Legend, chartLegend{Colour: l.colour, Dashed: l.target, Text: l.name})
	}
	c.YLabels = []chartLabel{
		{X: x0 - 6, Y: y1 + 4, Text: FormatValue(k.KPI, num(hi)), Anchor: "end"},
		{X: x0 - 6, Y: y0, Text: FormatValue(k.KPI, num(lo)), Anchor: "end"},
	}
	c.XLabels = []chartLabel{
		{X: x0, Y: chartH - 6, Text: w.Start.Format("Jan 2"), Anchor: "start"},
		{X: x1, Y: chartH - 6, Text: w.End.Add(-time.Nanosecond).Format("Jan 2"), Anchor: "end"},
	}
	return c
}

// stretches splits a line where a point is missing, so that no data is
// never drawn as a line across it.
func stretches(pts []Point, step time.Duration) [][]Point {
	var out [][]Point
	start := 0
	for i := 1; i <= len(pts); i++ {
		if i == len(pts) || pts[i].T.Sub(pts[i-1].T) > step {
			out = append(out, pts[start:i])
			start = i
		}
	}
	if len(pts) == 0 {
		return nil
	}
	return out
}

// maxChartPoints bounds the points of one line, so that a quarter at a
// five-minute step (26,000 points) does not make a mail of megabytes.
const maxChartPoints = 2 * (chartW - chartLeft - chartR)

// thin keeps at most about limit points: of each run of points it keeps the
// lowest and the highest, in time order, so that a short breach still shows.
func thin(pts []Point, limit int) []Point {
	if len(pts) <= limit {
		return pts
	}
	run := (len(pts) + limit/2 - 1) / (limit / 2)
	out := make([]Point, 0, limit+2)
	for i := 0; i < len(pts); i += run {
		j := min(i+run, len(pts))
		lo, hi := i, i
		for k := i; k < j; k++ {
			if pts[k].V < pts[lo].V {
				lo = k
			}
			if pts[k].V > pts[hi].V {
				hi = k
			}
		}
		out = append(out, pts[min(lo, hi)])
		if lo != hi {
			out = append(out, pts[max(lo, hi)])
		}
	}
	return out
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
