package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Report holds every figure of one run.
type Report struct {
	Machine  machine
	Sizes    []sizeResult
	Load     *loadResult
	Overhead *overheadResult
	Generate *generateResult
	Promtool *promtoolResult
	// Failures are steps that could not be measured; the others still were.
	Failures []string
	Elapsed  time.Duration
}

// LoadInvariantHolds reports whether the load test ran and the database saw
// one execution per KPI per interval (±1).
func (r *Report) LoadInvariantHolds() bool { return r.Load != nil && r.Load.OK }

// The targets of issue 16, checked at this size of series.
const (
	targetSeries      = 100_000
	targetScrape      = 25 * time.Millisecond
	targetSpeedup     = 30.0
	targetRSSRatio    = 0.5
	targetOverhead    = 3.0
	targetGenWall     = 2 * time.Second
	targetGenRSS      = 300 << 20
	targetGenKPIs     = 1_000
	targetOverheadRow = 200_000
	// Issue 18: one team's generated promtool tests.
	targetPromtoolKPIs = 100
	targetPromtoolWall = 60 * time.Second
)

// WriteTable prints the machine and one Markdown table of medians, ratios
// and targets, then notes on anything that could not be measured.
func (r *Report) WriteTable(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s RAM, Linux %s; %s; MariaDB %s\n", m.CPUs, m.CPU, mib(m.Memory), m.Kernel, m.Go, m.MariaDB)
	fmt.Fprintf(w, "load average (1 min) at start %s, at end %s\n", m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "kpi_exporter: %s\nprometheus-sql-exporter: %s\n\n", m.Ours, m.Peer)
	fmt.Fprintln(w, "| measure | series | kpi_exporter | prometheus-sql-exporter | ratio | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	row := func(cells ...string) { fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |") }
	var notes []string
	for _, s := range r.Sizes {
		size := count(s.Series)
		at := s.Series == targetSeries
		for _, f := range formatsOurs {
			ours, peer := s.Ours.Median[f.Name], s.Peer.Median[f.Name]
			peerCell, ratio, target, met := "n/a", "", "", ""
			if peer > 0 {
				peerCell = dur(peer)
				ratio = fmt.Sprintf("%.0f× faster", float64(peer)/float64(ours))
			}
			if at && !f.OpenMetricsReq {
				target = fmt.Sprintf("≤%s and ≥%.0f× faster", dur(targetScrape), targetSpeedup)
				met = yes(ours <= targetScrape && float64(peer) >= targetSpeedup*float64(ours))
			} else if at {
				target = fmt.Sprintf("≤%s", dur(targetScrape))
				met = yes(ours <= targetScrape)
			}
			scrapes := fmt.Sprintf("%d scrapes", s.Scrapes)
			if peer > 0 && s.PeerScrapes != s.Scrapes {
				scrapes += fmt.Sprintf(", the peer %d", s.PeerScrapes)
			}
			row(fmt.Sprintf("scrape median, %s (%s)", f.Name, scrapes), size, dur(ours), peerCell, ratio, target, met)
		}
		row("page size, plain / gzip", size, mib(s.Ours.Bytes["plain"])+" / "+mib(s.Ours.Bytes["gzip"]),
			mib(s.Peer.Bytes["plain"])+" / "+mib(s.Peer.Bytes["gzip"]), "", "", "")
		row("plain scrape per 1k series", size, dur(s.Ours.Median["plain"]*1000/time.Duration(s.Series)),
			dur(s.Peer.Median["plain"]*1000/time.Duration(s.Series)), "", "", "")
		row("RSS after the scrapes (VmRSS)", size, mib(s.Ours.RSS), mib(s.Peer.RSS), ratioOf(s.Ours.RSS, s.Peer.RSS), "", "")
		target, met := "", ""
		if at {
			target, met = fmt.Sprintf("≤%.1f× the peer", targetRSSRatio), yes(float64(s.Ours.HWM) <= targetRSSRatio*float64(s.Peer.HWM))
		}
		row("peak RSS (VmHWM)", size, mib(s.Ours.HWM), mib(s.Peer.HWM), ratioOf(s.Ours.HWM, s.Peer.HWM), target, met)
		row("first collection served after start", size, dur(s.Ours.FirstCollection), dur(s.Peer.FirstCollection), "", "", "")
		for _, e := range []endpointResult{s.Ours, s.Peer} {
			for _, p := range e.Problems {
				notes = append(notes, fmt.Sprintf("%s at %s series: %s", e.Name, size, p))
			}
		}
	}
	if l := r.Load; l != nil {
		per := ""
		if len(l.Runs) > 0 {
			var parts []string
			for _, q := range loadQueries(l.Series) {
				parts = append(parts, fmt.Sprintf("%g", l.Runs[q.Name]))
			}
			per = "; runs per KPI " + strings.Join(parts, ", ")
		}
		row(fmt.Sprintf("load: Com_select during %s, %d scrapers each 1/s, %d KPIs every %s", l.Duration, l.Scrapers, l.KPIs, l.Interval),
			count(l.Series), fmt.Sprintf("%d%s", l.ComSelect, per), "", fmt.Sprintf("%.2f per KPI per interval", float64(l.ComSelect)/float64(l.KPIs)/l.Expected),
			fmt.Sprintf("%.0f ±1 per KPI (%d..%d in all)", l.Expected, int64(l.Expected-1)*int64(l.KPIs), int64(l.Expected+1)*int64(l.KPIs)), yes(l.OK))
		row("load: scrape median, OpenMetrics+gzip, under load", count(l.Series), fmt.Sprintf("%s (%d scrapes, %d failed)", dur(l.Median), l.Scrapes, l.Errors), "", "", "", "")
		notes = append(notes, l.Problems...)
	}
	if o := r.Overhead; o != nil {
		ratio := float64(o.Served) / float64(o.Bare)
		target, met := "", ""
		if o.Rows == targetOverheadRow {
			target, met = fmt.Sprintf("≤%.2f×", targetOverhead), yes(ratio <= targetOverhead)
		}
		row(fmt.Sprintf("collection: query start → values published (%d runs, each next to a bare scan)", len(o.Samples)), count(o.Rows),
			dur(o.Served), "bare database/sql query+scan: "+dur(o.Bare), fmt.Sprintf("%.2f×", ratio), target, met)
		row(fmt.Sprintf("collection: query start → values read by a poller (every %s, poll %s)", overheadPollEvery, dur(o.Poll)), count(o.Rows),
			dur(o.Seen), "", "", "", "")
	}
	if g := r.Generate; g != nil {
		target, met := "", ""
		if g.KPIs == targetGenKPIs {
			target, met = fmt.Sprintf("≤%s and ≤%s", dur(targetGenWall), mib(targetGenRSS)), yes(g.Wall <= targetGenWall && g.MaxRSS <= targetGenRSS)
		}
		what, figures := fmt.Sprintf("generate: median wall time / largest peak RSS of %d runs (%d files, %s)", len(g.Walls), g.Files, mib(g.Bytes)), dur(g.Wall)+" / "+mib(g.MaxRSS)
		if len(g.Walls) > 1 {
			notes = append(notes, "generate, wall time of each run: "+durs(g.Walls))
		}
		if g.TimedOut {
			what, figures = "generate: wall time / peak RSS", "not finished, killed after "+dur(g.Wall)
			met = yes(false)
		}
		row(what, count(g.KPIs)+" KPIs", figures, "", "", target, met)
	}
	if p := r.Promtool; p != nil {
		what, figures, target, met := p.row()
		row(what, count(p.KPIs)+" KPIs", figures, "", "", target, met)
		notes = append(notes, "promtool: "+p.Promtool)
	}
	notes = append(notes, r.Failures...)
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
	fmt.Fprintf(w, "\nbench run took %s\n", r.Elapsed.Round(time.Second))
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// durs lists durations as dur writes them.
func durs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = dur(d)
	}
	return strings.Join(s, ", ")
}

func mib(b int64) string {
	if b <= 0 {
		return "—"
	}
	if b < 10<<20 {
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func ratioOf(a, b int64) string {
	if a <= 0 || b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	default:
		return fmt.Sprint(n)
	}
}
