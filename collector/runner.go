package collector

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// maxStartJitter bounds the delay of a KPI's first run. The delays spread the
// KPIs of a catalog over the first seconds, and keep that spread afterwards.
const maxStartJitter = 5 * time.Second

// runner runs one KPI on its interval and publishes each successful run as a
// block. It belongs to one catalog version: a changed KPI gets a new runner.
type runner struct {
	k      *catalog.KPI
	cat    *catalog.Catalog
	srcs   map[string]*Source // the KPI's source and its target's source
	key    string
	clock  Clock
	logger *slog.Logger

	value, target *gaugeFamily
	// lastSeries and lastText size the next run's tables and buffer; only
	// the loop's goroutine uses them.
	lastSeries, lastText int
	// spare is the text buffer of a replaced block that no scrape reads any
	// more (see block.refs). The next run writes into it instead of into
	// fresh memory: for a KPI of 200,000 rows, a new 18 MB buffer cost
	// about 18 ms per run, mostly faulting its pages in
	// (BenchmarkCollectMariaDB).
	spare atomic.Pointer[[]byte]

	cancel context.CancelFunc
	done   chan struct{}
	primed bool // ran once before its loop started (set before start)

	mu    sync.Mutex
	state runState
	blk   *block
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
}

func newRunner(k *catalog.KPI, cat *catalog.Catalog, srcs map[string]*Source, key string, clock Clock, logger *slog.Logger) *runner {
	constLabels := cat.Global.Labels
	help := k.Help
	if help == "" {
		help = "KPI " + k.Name + "."
	}
	errs := make(map[string]uint64, len(catalog.Reasons))
	for _, r := range catalog.Reasons {
		errs[r] = 0
	}
	return &runner{
		k: k, cat: cat, srcs: srcs, key: key, clock: clock,
		logger: logger.With("kpi", k.Name, "source", k.Source),
		value:  newGaugeFamily(k.MetricName(), help, k.Labels, constLabels),
		target: newGaugeFamily(k.TargetMetricName(), "Target of: "+help, k.Labels, constLabels),
		done:   make(chan struct{}),
		state:  runState{started: clock.Now(), errors: errs},
	}
}

// phase is the KPI's delay before its first run, stable for a KPI name.
func (r *runner) phase() time.Duration {
	span := min(r.k.Interval.D(), maxStartJitter)
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
	interval := r.k.Interval.D()
	next := r.clock.Now().Add(r.phase())
	if r.primed {
		next = r.clock.Now().Add(interval)
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
	now := r.clock.Now()
	src := r.srcs[r.k.Source]
	if ok, back, retryAt := src.allow(now, r.k.Interval.D()); !ok {
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
	res, text, err := r.run(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil, time.Time{} // stopped by a reload or shutdown
	}
	end := r.clock.Now()
	if err != nil {
		r.failed(now, end, err)
		return nil, time.Time{}
	}
	src.report(now, true)
	b := r.newBlock(res, text, end)
	r.mu.Lock()
	st := &r.state
	st.runs++
	st.up, st.lastRun, st.lastSuccess, st.lastDuration = true, now, end, end.Sub(now)
	st.lastErr, st.series = "", len(res.Series)
	s := res.Stats
	st.errors[catalog.ReasonNull] += uint64(s.Nulls)
	st.errors[catalog.ReasonType] += uint64(s.NonNumeric)
	st.errors[catalog.ReasonDuplicate] += uint64(s.Duplicates)
	st.errors[catalog.ReasonCardinality] += uint64(s.OverLimit)
	st.errors[catalog.ReasonInvalidLabel] += uint64(s.InvalidLabels)
	if res.TargetErr != nil || s.TargetSkipped > 0 {
		st.errors[catalog.ReasonTarget]++
	}
	r.setBlockLocked(b)
	r.mu.Unlock()
	// Published: scrapes serve the text form already. The other forms are
	// made now, on this goroutine, which idles until the next run anyway.
	b.prepare()

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

// run runs the KPI once and writes its text exposition as the rows arrive:
// each value line while its row is scanned, the target lines once the
// targets are known. Nothing is sorted: the text format and OpenMetrics do
// not order a family's samples, and the row order is what the SQL chose.
func (r *runner) run(ctx context.Context) (*Result, []byte, error) {
	out := &lineSink{f: r.value, series: r.lastSeries, buf: r.textBuffer(r.lastText + r.lastText/8 + len(r.value.head[0]))}
	out.buf = r.value.appendHeader(out.buf, false)
	res, err := runOnce(ctx, r.k, r.srcs, out)
	if err != nil {
		return res, nil, err
	}
	if len(res.Series) == 0 {
		out.buf = out.buf[:0] // no family without samples, as client_golang
	}
	out.buf = r.appendTargets(out.buf, res.Series, false)
	r.lastSeries, r.lastText = len(res.Series), len(out.buf)
	return res, out.buf, nil
}

// textBuffer returns an empty buffer of at least size bytes for a run's text:
// the spare one when it is large enough.
func (r *runner) textBuffer(size int) []byte {
	if p := r.spare.Swap(nil); p != nil && cap(*p) >= size {
		return (*p)[:0]
	}
	return make([]byte, 0, size)
}

// appendTargets appends the target family's lines, for the series that have
// a target.
func (r *runner) appendTargets(b []byte, series []Series, om bool) []byte {
	head := false
	for i := range series {
		s := &series[i]
		if !s.HasTarget {
			continue
		}
		if !head {
			b, head = r.target.appendHeader(b, om), true
		}
		b = r.target.appendSample(b, s.Labels, s.Target, om)
	}
	return b
}

// exposition writes a run's series whole: the value family, then the target
// family, each only if it has samples.
func (r *runner) exposition(series []Series, om bool) []byte {
	return r.appendExposition(nil, series, om)
}

// appendExposition is exposition appending to b.
func (r *runner) appendExposition(b []byte, series []Series, om bool) []byte {
	if len(series) > 0 {
		b = r.value.appendHeader(b, om)
		for i := range series {
			b = r.value.appendSample(b, series[i].Labels, series[i].Value, om)
		}
	}
	return r.appendTargets(b, series, om)
}

// encode makes the block of a result whose text was not streamed.
func (r *runner) encode(res *Result, at time.Time) *block {
	return r.newBlock(res, r.exposition(res.Series, false), at)
}

// newBlock makes the block of a run from its text; the OpenMetrics form is
// written from the same series when first needed.
func (r *runner) newBlock(res *Result, text []byte, at time.Time) *block {
	series := res.Series
	b := newBlock(r.k.Name, at, r.k.MaxAge.D(), text, func() []byte {
		// OpenMetrics adds at most ".0" to each sample and a few bytes to
		// the headers; sized once, the buffer is never copied to grow.
		size := len(text) + 2*len(series) + 2*len(r.value.head[1]) + 2*len(r.target.head[1])
		return r.appendExposition(make([]byte, 0, size), series, true)
	})
	b.recycle = func(text []byte) { r.spare.Store(&text) }
	return b
}

// setBlockLocked publishes b in place of the previous run's block, which is
// retired. r.mu is held.
func (r *runner) setBlockLocked(b *block) {
	if r.blk != nil {
		r.blk.retire()
	}
	r.blk = b
}

// snapshot returns the KPI's state.
func (r *runner) snapshot() runState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	st.errors = maps.Clone(st.errors)
	return st
}

// acquire returns the KPI's block if it may be served at now, acquired for a
// scrape that must release it once written.
func (r *runner) acquire(now time.Time) *block {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.blk
	if b == nil || !b.fresh(now) {
		return nil
	}
	b.acquire()
	return b
}

// stale reports whether the KPI's values are withheld because its last
// success, or its start when it never succeeded, is older than max_age.
func (r *runner) stale(st runState, now time.Time) bool {
	since := st.lastSuccess
	if since.IsZero() {
		since = st.started
	}
	return now.Sub(since) > r.k.MaxAge.D()
}
