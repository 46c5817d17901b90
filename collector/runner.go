package collector

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// maxStartJitter bounds a KPI's phase: the delay its second run gets beyond
// one interval, which spreads the KPIs of a catalog over their interval.
const maxStartJitter = 5 * time.Second

// runner runs one KPI on its interval and publishes each successful run as a
// cachedPage. It belongs to one catalog version: a changed KPI gets a new
// runner.
type runner struct {
	k      *catalog.KPI
	cat    *catalog.Catalog
	srcs   map[string]*Source // the KPI's source and its target's source
	key    string
	clock  Clock
	logger *slog.Logger

	// value and target describe the KPI's two gauge families; a
	// comparison's runner has no target.
	value, target *prometheus.Desc
	// earlier is the comparison the runner runs, "" for the KPI itself;
	// interval and maxAge are the KPI's, or the comparison's.
	earlier  calendar.Earlier
	interval time.Duration
	maxAge   time.Duration
	// of is the KPI's runner when this one runs the KPI's control
	// (control.go): its values make the difference; difference describes it.
	of         *runner
	difference *prometheus.Desc
	waited     bool          // the control waited for the KPI's first run
	ran        chan struct{} // closed once the first run is over
	ranOnce    sync.Once

	cancel context.CancelFunc
	done   chan struct{}
	primed bool // ran once before its loop started (set before start)

	mu    sync.Mutex
	state runState
	page  *cachedPage
}

// runState is what the self-metrics and the landing page show of a KPI.
type runState struct {
	started      time.Time
	lastRun      time.Time
	lastSuccess  time.Time
	lastDuration time.Duration
	lastErr      string
	up           bool
	series       int
	runs         uint64
	errors       map[string]uint64
	// values are the last successful run's series, for the scorecard.
	values []Series
}

func newRunner(k *catalog.KPI, cat *catalog.Catalog, srcs map[string]*Source, key string, clock Clock, logger *slog.Logger) *runner {
	constLabels := cat.Global.Labels
	help := kpiHelp(k)
	errs := make(map[string]uint64, len(catalog.Reasons))
	for _, r := range catalog.Reasons {
		errs[r] = 0
	}
	return &runner{
		k: k, cat: cat, srcs: srcs, key: key, clock: clock,
		logger:   logger.With("kpi", k.Name, "source", k.Source),
		value:    prometheus.NewDesc(k.MetricName(), help, k.Labels, constLabels),
		target:   prometheus.NewDesc(k.TargetMetricName(), "Target of: "+help, k.Labels, constLabels),
		done:     make(chan struct{}),
		ran:      make(chan struct{}),
		state:    runState{started: clock.Now(), errors: errs},
		interval: k.Interval.D(),
		maxAge:   k.MaxAge.D(),
	}
}

// newCompareRunner runs the KPI's SQL over the same elapsed part of the
// earlier period e, every compare_interval, and exports the values as the
// KPI's CompareMetricName(e). Its queries wait for the source's query slots
// like every other. Its values stay served for an interval past the KPI's
// max_age, since they are refreshed that much more rarely.
func newCompareRunner(k *catalog.KPI, cat *catalog.Catalog, srcs map[string]*Source, key string, e calendar.Earlier, clock Clock, logger *slog.Logger) *runner {
	r := newRunner(k, cat, srcs, key, clock, logger)
	r.logger = r.logger.With("compare", string(e))
	r.value = prometheus.NewDesc(k.CompareMetricName(e), "The same SQL over the same elapsed part of the "+strings.ReplaceAll(string(e), "_", " ")+" of: "+kpiHelp(k), k.Labels, cat.Global.Labels)
	r.target = nil
	r.earlier, r.interval = e, k.CompareInterval.D()
	r.maxAge = r.interval + k.MaxAge.D()
	return r
}

func kpiHelp(k *catalog.KPI) string {
	if k.Help == "" {
		return "KPI " + k.Name + "."
	}
	return k.Help
}

// phase is the KPI's delay before its first run, stable for a KPI name.
func (r *runner) phase() time.Duration {
	span := min(r.interval, maxStartJitter)
	h := fnv.New64a()
	_, _ = h.Write([]byte(r.k.Name))
	return time.Duration(h.Sum64() % uint64(span))
}

// prime runs the KPI once, before its loop starts; the loop's first run then
// comes one interval later.
func (r *runner) prime(ctx context.Context) {
	r.runOnce(ctx)
	r.primed = true
}

// start runs the loop in the background until stop.
func (r *runner) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go r.loop(ctx)
}

// stop ends the loop, cancelling a query in flight, and waits for it.
func (r *runner) stop() {
	r.cancel()
	<-r.done
}

func (r *runner) loop(ctx context.Context) {
	defer close(r.done)
	interval := r.interval
	// On the first start a KPI runs at once, so that values are served
	// within moments (the source's max_concurrent_queries queues the rest);
	// its second run comes after its phase and an interval, which keeps the
	// KPIs of a catalog spread over the interval and one run per interval.
	start := r.clock.Now()
	next, first := start, !r.primed
	if r.primed {
		next = start.Add(interval)
	}
	var back <-chan struct{} // set while the source backs off
	var retry <-chan time.Time
	for {
		woken := false
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(next.Sub(r.clock.Now())):
		case <-back:
			// The source answers again: run now rather than an interval
			// after the skipped slot, and keep one run per interval.
			woken = true
		case <-retry:
			// The source's backoff, capped at this KPI's interval, is over:
			// try it now, so the KPI recovers within one interval.
			woken = true
		}
		var retryAt time.Time
		back, retryAt = r.runOnce(ctx)
		now := r.clock.Now()
		retry = nil
		if !retryAt.IsZero() {
			retry = r.clock.After(retryAt.Sub(now))
		}
		if woken {
			next = now
		}
		if first {
			next, first = start.Add(r.phase()), false
		}
		next = next.Add(interval)
		for !next.After(now) { // a run longer than the interval skips the missed slots
			next = next.Add(interval)
		}
	}
}

// runOnce runs the KPI, unless its source is backing off, and records the
// outcome. When it skips the run, it returns a channel that is closed once the
// source answers again, and the time at which the KPI may retry on its own.
func (r *runner) runOnce(ctx context.Context) (<-chan struct{}, time.Time) {
	defer r.ranOnce.Do(func() { close(r.ran) })
	if !r.waitForKPI(ctx) {
		return nil, time.Time{}
	}
	now := r.clock.Now()
	src := r.srcs[r.k.Source]
	if ok, back, retryAt := src.allow(now, r.interval); !ok {
		// The run is skipped, not sent: another KPI found the source
		// unreachable moments ago. It still counts as this KPI's connection
		// error, so its error rate and alerts tell the truth.
		r.mu.Lock()
		r.state.up, r.state.lastRun = false, now
		r.state.errors[catalog.ReasonConnection]++
		r.state.lastErr = "source " + src.Name() + " is down; waiting before the next attempt"
		r.mu.Unlock()
		return back, retryAt
	}
	w := WindowOf(r.cat, r.k, now, r.earlier)
	var res *Result
	var err error
	if r.earlier == "" {
		res, err = RunWindow(ctx, r.k, r.srcs, w)
	} else {
		res, err = runValues(ctx, r.k, r.srcs, w, nil)
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil, time.Time{} // stopped by a reload or shutdown
	}
	var page *cachedPage
	if err == nil {
		page, err = r.encode(res, r.clock.Now())
	}
	end := r.clock.Now()
	if err != nil {
		r.failed(now, end, err)
		return nil, time.Time{}
	}
	src.report(now, true)
	r.mu.Lock()
	st := &r.state
	st.runs++
	st.up, st.lastRun, st.lastSuccess, st.lastDuration = true, now, end, end.Sub(now)
	st.lastErr, st.series, st.values = "", len(res.Series), res.Series
	s := res.Stats
	st.errors[catalog.ReasonNull] += uint64(s.Nulls)
	st.errors[catalog.ReasonType] += uint64(s.NonNumeric)
	st.errors[catalog.ReasonDuplicate] += uint64(s.Duplicates)
	st.errors[catalog.ReasonCardinality] += uint64(s.OverLimit)
	st.errors[catalog.ReasonInvalidLabel] += uint64(s.InvalidLabels)
	if res.TargetErr != nil || s.TargetSkipped > 0 {
		st.errors[catalog.ReasonTarget]++
	}
	r.page = page
	r.mu.Unlock()
	// Published: scrapes serve it already. The compressed forms are made
	// now, on this goroutine, which idles until the next run anyway.
	page.prepare()

	if skipped := s.Nulls + s.NonNumeric + s.Duplicates + s.OverLimit + s.InvalidLabels; skipped > 0 {
		r.logger.Warn("rows skipped", "rows", s.Rows, "exported", s.Exported, "null", s.Nulls, "type", s.NonNumeric,
			"duplicate", s.Duplicates, "cardinality", s.OverLimit, "invalid_label", s.InvalidLabels)
	}
	if res.TargetErr != nil {
		r.logger.Warn("target query failed; values exported without targets", "err", res.TargetErr)
	} else if s.TargetSkipped > 0 {
		r.logger.Warn("target rows skipped", "rows", s.TargetRows, "skipped", s.TargetSkipped)
	}
	return nil, time.Time{}
}

func (r *runner) failed(start, end time.Time, err error) {
	reason, reached := catalog.ReasonQuery, true
	var re *RunError
	if errors.As(err, &re) {
		reason, reached = re.Reason, re.Reached && re.Reason != catalog.ReasonConnection
	}
	// The backoff counts from the start of the attempt, so that with a backoff
	// capped at the interval the KPI's next slot is always allowed to retry.
	r.srcs[r.k.Source].report(start, reached)
	r.mu.Lock()
	st := &r.state
	st.runs++
	st.errors[reason]++
	st.up, st.lastRun, st.lastDuration, st.lastErr = false, start, end.Sub(start), err.Error()
	r.mu.Unlock()
	r.logger.Warn("kpi run failed", "reason", reason, "err", err)
}

// encode makes the page of a run's series, through a registry of its own.
// It fails only if client_golang rejects the KPI's names or a label value,
// which the catalog and the row conversion rule out.
func (r *runner) encode(res *Result, at time.Time) (*cachedPage, error) {
	reg := prometheus.NewRegistry()
	err := reg.Register(runMetrics{r: r, series: r.inLabelOrder(res.Series), diffs: r.differences(res.Series, at)})
	var page *cachedPage
	if err == nil {
		page, err = newCachedPage(reg, at, r.maxAge)
	}
	if err != nil {
		err = fmt.Errorf("encode series of kpi %q: %w", r.k.Name, err)
		return nil, &RunError{Reason: catalog.ReasonScan, Reached: true, msg: err.Error(), err: err}
	}
	return page, nil
}

// inLabelOrder returns the series sorted as the registry sorts a family's
// metrics: by label values, in the order of the label names. Handed over in
// that order, the registry's sort only confirms it in one pass, instead of
// comparing label sets through their protobuf getters, which took about a
// third of encoding a 200,000-series run. The constant labels are equal in
// every series and do not change the order.
func (r *runner) inLabelOrder(series []Series) []*Series {
	byName := make([]int, len(r.k.Labels))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int { return strings.Compare(r.k.Labels[a], r.k.Labels[b]) })
	out := make([]*Series, len(series))
	for i := range series {
		out[i] = &series[i]
	}
	slices.SortFunc(out, func(a, b *Series) int {
		for _, i := range byName {
			if c := strings.Compare(a.Labels[i], b.Labels[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// runMetrics is one run's series as client_golang const metrics: the value
// family, and the target family for the series that have a target.
type runMetrics struct {
	r      *runner
	series []*Series
	// diffs are a control's differences by label set (control.go).
	diffs map[string]float64
}

func (m runMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.r.value
	if m.r.target != nil {
		ch <- m.r.target
	}
	if m.r.difference != nil {
		ch <- m.r.difference
	}
}

func (m runMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, s := range m.series {
		ch <- constGauge(m.r.value, s.Value, s.Labels)
		if s.HasTarget && m.r.target != nil {
			ch <- constGauge(m.r.target, s.Target, s.Labels)
		}
		if d, ok := m.diffs[labelKey(s.Labels)]; ok {
			ch <- constGauge(m.r.difference, d, s.Labels)
		}
	}
}

func constGauge(d *prometheus.Desc, v float64, labels []string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// snapshot returns the KPI's state.
func (r *runner) snapshot() runState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	st.errors = maps.Clone(st.errors)
	return st
}

// freshPage returns the KPI's page if it may be served at now.
func (r *runner) freshPage(now time.Time) *cachedPage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.page == nil || !r.page.fresh(now) {
		return nil
	}
	return r.page
}

// stale reports whether the KPI's values are withheld because its last
// success, or its start when it never succeeded, is older than max_age.
func (r *runner) stale(st runState, now time.Time) bool {
	since := st.lastSuccess
	if since.IsZero() {
		since = st.started
	}
	return now.Sub(since) > r.maxAge
}
