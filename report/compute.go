package report

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// Status is where a KPI stood against its thresholds: the scorecard's
// statuses, so that the landing page and the review read alike.
type Status = scorecard.Status

// StatusNoData is the status of a KPI or series without data in the period.
// It is never a number: such a KPI is shown as such, never as zero.
const (
	StatusOK       = scorecard.StatusOK
	StatusWarning  = scorecard.StatusWarning
	StatusCritical = scorecard.StatusCritical
	StatusNoData   = scorecard.StatusUnknown
)

// rank orders the statuses of data from best to worst; no data is below
// all of them, so that any data outranks it.
func rank(s Status) int {
	switch s {
	case StatusOK:
		return 1
	case StatusWarning:
		return 2
	case StatusCritical:
		return 3
	}
	return 0
}

// Num is a figure that may be missing.
type Num struct {
	V  float64
	OK bool
}

func num(v float64) Num { return Num{V: v, OK: true} }

// Figures are one series of a KPI, or the KPI as a whole, over the period.
type Figures struct {
	// Labels are the series' label values, such as region=north; empty for
	// the KPI as a whole.
	Labels string
	// Value, Target and Attainment are the last evaluation in the period;
	// Previous is the value at the end of the earlier period.
	Value, Target, Attainment, Previous Num
	Status                              Status
	// InWarning and InCritical are how long the value was beyond the
	// warning threshold (but not the critical one) and beyond the critical
	// threshold.
	InWarning, InCritical time.Duration
	// Trend and TargetTrend are the value and the target over the period.
	Trend, TargetTrend []Point
}

// Change is the value against the end of the earlier period.
func (f Figures) Change() Num {
	if !f.Value.OK || !f.Previous.OK {
		return Num{}
	}
	return num(f.Value.V - f.Previous.V)
}

// Contributor is one series' share of a KPI's gap to target or change.
type Contributor struct {
	Labels string
	// Amount is in the KPI's unit: the shortfall against the target (always
	// positive for the gap), or the change (signed).
	Amount float64
	// Share is Amount over the KPI's total, for KPIs whose values add up.
	Share Num
}

// Alert is one alert of a KPI that fired in the period.
type Alert struct {
	Name, Severity, Labels string
	// Firings counts the separate times it started firing in the period.
	Firings int
	// Firing is how long it fired in total.
	Firing time.Duration
	First  time.Time
}

// KPIResult is the review of one KPI.
type KPIResult struct {
	KPI *catalog.KPI
	// Headline is the KPI as one figure: its only series, or for a KPI whose
	// values add up, the team rollup over its label sets. It is nil for a
	// KPI with label columns whose values do not add up (ratios, scores).
	Headline *Figures
	// Series are the KPI's label sets, for KPIs with label columns.
	Series []Figures
	// Status is the worst status of any series at the end of the period.
	Status Status
	// InWarning and InCritical count the time at least one series was
	// beyond that threshold (in warning: none was critical).
	InWarning, InCritical time.Duration
	Alerts                []Alert
	// GapContributors are the series short of their targets, largest
	// shortfall first; ChangeContributors the series by size of change.
	GapContributors, ChangeContributors []Contributor
	// Missed is set when the KPI ended the period short of its target.
	Missed bool
}

// NoData reports whether the KPI had no value in the period.
func (r KPIResult) NoData() bool { return r.Status == StatusNoData }

// Team is the review of one team's KPIs.
type Team struct {
	Name string
	// Title is the team's display title: its title, else its name.
	Title string
	KPIs  []KPIResult
}

// Report is the review of a period.
type Report struct {
	Window   Window
	Step     time.Duration
	Teams    []Team
	Warnings []string
	// Act lists the KPIs that missed their targets, the step after the
	// review.
	Act []KPIResult
}

// maxContributors is how many contributors a KPI lists.
const maxContributors = 5

// Compute turns gathered data into the review.
func Compute(cat *catalog.Catalog, d *Data) *Report {
	rep := &Report{Window: d.Window, Step: d.Step, Warnings: d.Warnings}
	for _, team := range cat.OwningTeams() {
		t := Team{Name: team, Title: cat.TeamTitle(team)}
		for _, k := range cat.TeamKPIs(team) {
			kd := d.KPIs[k.Name]
			if kd == nil {
				kd = &KPIData{}
			}
			r := computeKPI(k, kd, d.Window, d.Step)
			t.KPIs = append(t.KPIs, r)
			if r.Missed {
				rep.Act = append(rep.Act, r)
			}
		}
		rep.Teams = append(rep.Teams, t)
	}
	return rep
}

// seriesKey is a series' identity among a KPI's recorded series: its labels
// without the ones the rules add.
func seriesKey(m model.Metric) string {
	var parts []string
	for n, v := range m {
		switch string(n) {
		case model.MetricNameLabel, catalog.LabelKPI, catalog.LabelTeam, catalog.LabelOwner:
			continue
		}
		parts = append(parts, string(n)+"="+string(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// byTime indexes a KPI's series of one kind by series key and time.
type byTime map[string]map[int64]float64

func index(ss []Series) byTime {
	out := byTime{}
	for _, s := range ss {
		m := map[int64]float64{}
		for _, p := range s.Points {
			m[p.T.UnixMilli()] = p.V
		}
		out[seriesKey(s.Labels)] = m
	}
	return out
}

func (b byTime) at(key string, t time.Time) Num {
	v, ok := b[key][t.UnixMilli()]
	return Num{V: v, OK: ok}
}

// breaches reports whether v is beyond the threshold th in the KPI's bad
// direction, as the generated alerts compare.
func breaches(k *catalog.KPI, v float64, th Num) bool {
	return th.OK && scorecard.Breached(k, v, th.V)
}

func computeKPI(k *catalog.KPI, kd *KPIData, w Window, step time.Duration) KPIResult {
	r := KPIResult{KPI: k, Status: StatusNoData}
	target, att := index(kd.Target), index(kd.Attainment)
	warn, crit := index(kd.Warning), index(kd.Critical)
	// worst is the worst status of any series at each instant of the period.
	worst := map[int64]Status{}
	for _, s := range kd.Value {
		key := seriesKey(s.Labels)
		f := Figures{Labels: key, Status: StatusNoData}
		for _, p := range s.Points {
			if p.T.Before(w.Start) {
				if p.T.Before(w.PrevCut) {
					f.Previous = num(p.V)
				}
				continue
			}
			st := StatusOK
			switch {
			case breaches(k, p.V, crit.at(key, p.T)):
				st = StatusCritical
				f.InCritical += step
			case breaches(k, p.V, warn.at(key, p.T)):
				st = StatusWarning
				f.InWarning += step
			}
			if rank(st) > rank(worst[p.T.UnixMilli()]) {
				worst[p.T.UnixMilli()] = st
			}
			f.Status, f.Value = st, num(p.V)
			f.Trend = append(f.Trend, p)
			if t := target.at(key, p.T); t.OK {
				f.Target = t
				f.TargetTrend = append(f.TargetTrend, Point{p.T, t.V})
			}
			f.Attainment = att.at(key, p.T)
		}
		r.Series = append(r.Series, f)
	}
	for _, st := range worst {
		switch st {
		case StatusCritical:
			r.InCritical += step
		case StatusWarning:
			r.InWarning += step
		}
	}
	for _, f := range r.Series {
		if rank(f.Status) > rank(r.Status) {
			r.Status = f.Status
		}
	}
	// A KPI without label columns but with several series (through the
	// catalog's constant labels) is read like one with label columns.
	switch {
	case rolledUp(k):
		h := rollup(kd, w)
		h.Status, h.InWarning, h.InCritical = r.Status, r.InWarning, r.InCritical
		r.Headline = &h
	case len(k.Labels) == 0 && len(r.Series) == 1:
		r.Headline = &r.Series[0]
		r.Series = nil
	}
	r.Missed = missed(r)
	if len(k.Labels) > 0 {
		r.GapContributors = gapContributors(k, r)
		r.ChangeContributors = changeContributors(k, r)
	}
	r.Alerts = alerts(kd.Alerts, w, step)
	return r
}

// rollup is the KPI as a whole from its team records.
func rollup(kd *KPIData, w Window) Figures {
	f := Figures{}
	last := func(ss []Series, into *Num, prev *Num, trend *[]Point) {
		for _, s := range ss {
			for _, p := range s.Points {
				if p.T.Before(w.Start) {
					if prev != nil && p.T.Before(w.PrevCut) {
						*prev = num(p.V)
					}
					continue
				}
				*into = num(p.V)
				if trend != nil {
					*trend = append(*trend, p)
				}
			}
		}
	}
	last(kd.Sum, &f.Value, &f.Previous, &f.Trend)
	last(kd.TargetSum, &f.Target, nil, &f.TargetTrend)
	last(kd.TeamAttainment, &f.Attainment, nil, nil)
	return f
}

// missed reports whether the KPI ended the period short of its target: as a
// whole where it has a headline figure, else in any series.
func missed(r KPIResult) bool {
	if r.Headline != nil {
		return r.Headline.Attainment.OK && r.Headline.Attainment.V < 1
	}
	for _, f := range r.Series {
		if f.Attainment.OK && f.Attainment.V < 1 {
			return true
		}
	}
	return false
}

// shortfall is how far a series is from its target in the KPI's good
// direction: positive when short of it.
func shortfall(k *catalog.KPI, f Figures) Num {
	if !f.Value.OK || !f.Target.OK {
		return Num{}
	}
	if k.Direction == catalog.LowerIsBetter {
		return num(f.Value.V - f.Target.V)
	}
	return num(f.Target.V - f.Value.V)
}

// gapContributors decomposes the gap to target over the series. For a KPI
// whose values add up, the series' gaps (over- and under-achievers) sum to
// the KPI's gap, and each short series gets its share of it.
func gapContributors(k *catalog.KPI, r KPIResult) []Contributor {
	var out []Contributor
	total := 0.0
	for _, f := range r.Series {
		g := shortfall(k, f)
		if !g.OK {
			continue
		}
		total += g.V
		if g.V > 0 {
			out = append(out, Contributor{Labels: f.Labels, Amount: g.V})
		}
	}
	if k.Unit.Summable() && total > 0 {
		for i := range out {
			out[i].Share = num(out[i].Amount / total)
		}
	}
	return top(out)
}

// changeContributors decomposes the change against the earlier period over
// the series. For a KPI whose values add up, a series present in only one
// period adds all of its value to the change.
func changeContributors(k *catalog.KPI, r KPIResult) []Contributor {
	var out []Contributor
	total := 0.0
	for _, f := range r.Series {
		c := f.Change()
		if !c.OK && k.Unit.Summable() && (f.Value.OK || f.Previous.OK) {
			c = num(f.Value.V - f.Previous.V) // the missing side counts as absent, not as a reading of zero
		}
		if !c.OK || c.V == 0 {
			continue
		}
		total += c.V
		out = append(out, Contributor{Labels: f.Labels, Amount: c.V})
	}
	if k.Unit.Summable() && total != 0 {
		for i := range out {
			out[i].Share = num(out[i].Amount / total)
		}
	}
	return top(out)
}

func top(cs []Contributor) []Contributor {
	sort.SliceStable(cs, func(i, j int) bool {
		if math.Abs(cs[i].Amount) != math.Abs(cs[j].Amount) {
			return math.Abs(cs[i].Amount) > math.Abs(cs[j].Amount)
		}
		return cs[i].Labels < cs[j].Labels
	})
	if len(cs) > maxContributors {
		cs = cs[:maxContributors]
	}
	return cs
}

// alerts summarises the ALERTS series that fired in the period. A gap of
// more than one step between points starts a new firing.
func alerts(ss []Series, w Window, step time.Duration) []Alert {
	var out []Alert
	for _, s := range ss {
		a := Alert{Name: string(s.Labels[model.AlertNameLabel]), Severity: string(s.Labels[catalog.LabelSeverity])}
		rest := model.Metric{}
		for n, v := range s.Labels {
			switch n {
			case model.AlertNameLabel, "alertstate", catalog.LabelSeverity:
				continue
			}
			rest[n] = v
		}
		a.Labels = seriesKey(rest)
		var last time.Time
		for _, p := range s.Points {
			if p.T.Before(w.Start) {
				continue
			}
			if a.Firings == 0 {
				a.First = p.T
			}
			if a.Firings == 0 || p.T.Sub(last) > step {
				a.Firings++
			}
			a.Firing += step
			last = p.T
		}
		if a.Firings > 0 {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	return out
}
