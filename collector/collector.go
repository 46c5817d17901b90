package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Options configure a Collector. The zero value works: real clock, no logs.
type Options struct {
	Logger *slog.Logger
	Clock  Clock
	// Prepare runs before a source's pool is opened, such as to create the
	// demo database. An error fails the Apply that opens the source.
	Prepare func(ctx context.Context, src *catalog.Source) error
	// Registry, when set, is where the self-metrics are registered and what
	// /metrics serves live; a fresh registry otherwise.
	Registry *prometheus.Registry
}

// Collector schedules every KPI of the current catalog and serves their
// latest results. Apply swaps in a new catalog; scrapes never wait on it.
type Collector struct {
	logger  *slog.Logger
	clock   Clock
	prepare func(context.Context, *catalog.Source) error

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // serialises Apply and Close
	sources map[string]*Source
	runners map[string]*runner

	view     atomic.Pointer[view]
	registry *prometheus.Registry
	handler  *metricsHandler
}

// view is what scrapes read: one catalog and its runners, swapped whole.
type view struct {
	cat     *catalog.Catalog
	runners []*runner // in KPI name order
	// compares run the KPIs' comparisons, with self-metrics by kpi and
	// compare.
	compares []*runner
	// controls run the KPIs' control queries, in KPI name order.
	controls []*runner
	sources  []*Source // in source name order
}

// New makes a Collector with no catalog; Apply gives it one.
func New(opts Options) *Collector {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := opts.Clock
	if clock == nil {
		clock = realClock{}
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Collector{
		logger: logger, clock: clock, prepare: opts.Prepare,
		ctx: ctx, cancel: cancel,
		sources: map[string]*Source{}, runners: map[string]*runner{},
		registry: reg,
	}
	c.view.Store(&view{})
	reg.MustRegister(
		newSelfMetrics(c),
		newCalendarMetrics(c.clock, func() []catalog.CalendarUse {
			if cat := c.view.Load().cat; cat != nil {
				return cat.CalendarUses()
			}
			return nil
		}),
		versioncollector.NewCollector("kpi_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	c.handler = &metricsHandler{live: reg, pages: c.freshPages, now: clock.Now, logger: logger}
	return c
}

// Registry is the registry of the self-metrics, for other live metrics (such
// as the reload metrics) to join.
func (c *Collector) Registry() *prometheus.Registry { return c.registry }

// Handler serves /metrics.
func (c *Collector) Handler() http.Handler { return c.handler }

// Catalog is the catalog in use, or nil before the first Apply.
func (c *Collector) Catalog() *catalog.Catalog { return c.view.Load().cat }

// Apply makes cat the running catalog. Sources whose settings did not change
// keep their pools, unchanged KPIs keep running with their values, removed
// KPIs stop and changed KPIs restart. If a new source cannot be opened, the
// running catalog stays and the error says why.
func (c *Collector) Apply(ctx context.Context, cat *catalog.Catalog) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return errors.New("collector is closed")
	}

	sources := map[string]*Source{}
	var opened []*Source
	var errs []error
	for _, s := range cat.Sources {
		if old, ok := c.sources[s.Name]; ok && old.key == sourceKey(s) {
			sources[s.Name] = old
			continue
		}
		if c.prepare != nil {
			if err := c.prepare(ctx, s); err != nil {
				errs = append(errs, fmt.Errorf("prepare source %q: %w", s.Name, err))
				continue
			}
		}
		src, err := Open(ctx, s, c.logger)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sources[s.Name] = src
		opened = append(opened, src)
	}
	if len(errs) > 0 {
		for _, s := range opened {
			_ = s.Close()
		}
		return errors.Join(errs...)
	}

	runners := map[string]*runner{}
	var started, stopped []*runner
	for _, k := range cat.KPIs {
		srcs := map[string]*Source{k.Source: sources[k.Source]}
		if k.Target != nil && !k.Target.IsConstant() {
			srcs[k.Target.Source] = sources[k.Target.Source]
		}
		key := runKey(cat, k, srcs)
		if old, ok := c.runners[k.Name]; ok && old.key == key {
			runners[k.Name] = old
			continue
		}
		r := newRunner(k, cat, srcs, key, c.clock, c.logger)
		runners[k.Name] = r
		started = append(started, r)
	}
	for _, k := range cat.KPIs {
		r := runners[k.Name]
		for _, e := range k.Compare {
			name, key := compareKey(k, e), r.key+"\x00"+k.CompareInterval.String()
			if old, ok := c.runners[name]; ok && old.key == key {
				runners[name] = old
				continue
			}
			cr := newCompareRunner(k, cat, r.srcs, key, e, c.clock, c.logger)
			runners[name] = cr
			started = append(started, cr)
		}
	}
	for _, k := range cat.KPIs {
		q := k.ControlQuery()
		if q == nil {
			continue
		}
		kr := runners[k.Name]
		srcs := map[string]*Source{q.Source: sources[q.Source]}
		name, key := controlKey(k), kr.key+"\x00control\x00"+q.Value+"\x00"+runKey(cat, q, srcs)
		if old, ok := c.runners[name]; ok && old.key == key {
			runners[name] = old
			continue
		}
		cr := newControlRunner(k, kr, cat, srcs, key, c.clock, c.logger)
		runners[name] = cr
		started = append(started, cr)
	}
	for name, old := range c.runners {
		if runners[name] != old {
			stopped = append(stopped, old)
		}
	}
	if c.view.Load().cat != nil {
		// A reload: run every new or changed KPI once before the new
		// catalog is served, so that no scrape shows it half collected.
		// The first start keeps its jitter instead, to spare the databases.
		var wg sync.WaitGroup
		for _, r := range started {
			wg.Go(func() { r.prime(c.ctx) })
		}
		wg.Wait()
	}
	for _, r := range stopped {
		r.stop()
	}
	for _, r := range started {
		r.start(c.ctx)
	}
	for name, old := range c.sources {
		if sources[name] != old {
			_ = old.Close()
		}
	}
	c.sources, c.runners = sources, runners

	v := &view{cat: cat}
	for _, k := range cat.KPIs {
		v.runners = append(v.runners, runners[k.Name])
		for _, e := range k.Compare {
			v.compares = append(v.compares, runners[compareKey(k, e)])
		}
		if k.Control != nil {
			v.controls = append(v.controls, runners[controlKey(k)])
		}
	}
	for _, s := range cat.Sources {
		v.sources = append(v.sources, sources[s.Name])
	}
	c.view.Store(v)
	c.logger.Info("catalog applied", "kpis", len(cat.KPIs), "sources", len(cat.Sources),
		"started", len(started), "stopped", len(stopped), "opened", len(opened))
	return nil
}

// compareKey names a comparison's runner; no KPI name holds a NUL.
func compareKey(k *catalog.KPI, e calendar.Earlier) string { return k.Name + "\x00" + string(e) }

// runKey is what decides whether a KPI must restart on reload: its
// definition, schedule, exported help and constant labels, and its sources.
// A comparison's runner adds its compare_interval.
func runKey(cat *catalog.Catalog, k *catalog.KPI, srcs map[string]*Source) string {
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%v\x00%v\x00%v\x00%d\x00%q\x00%v",
		k.DefinitionHash(), k.SQL, k.Help, k.Interval, k.Timeout, k.MaxAge, k.MaxSeries, k.Labels, cat.Global.Labels)
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		key += "\x00" + srcs[n].key
	}
	return key
}

// Close stops every KPI and closes every pool.
func (c *Collector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel()
	for _, r := range c.runners {
		r.stop()
	}
	var errs []error
	for _, s := range c.sources {
		errs = append(errs, s.Close())
	}
	c.runners, c.sources = map[string]*runner{}, map[string]*Source{}
	return errors.Join(errs...)
}

// freshPages returns the pages a scrape at now serves, in KPI name order.
func (c *Collector) freshPages(now time.Time) []*cachedPage {
	v := c.view.Load()
	out := make([]*cachedPage, 0, len(v.runners)+len(v.compares)+len(v.controls))
	for _, rs := range [][]*runner{v.runners, v.compares, v.controls} {
		for _, r := range rs {
			if p := r.freshPage(now); p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// KPIState is what the landing page shows of one KPI. It holds no secret.
type KPIState struct {
	Name, Team, Owner, Source string
	Up, Stale                 bool
	Series                    int
	LastSuccess               time.Time
	LastDuration              time.Duration
	// LastError is the last run's error, redacted, or empty.
	LastError string
	// Values are the series of the last successful run, in row order,
	// whether or not they are still served. They are shared: read only.
	Values []Series
}

// States returns the state of every KPI, in name order.
func (c *Collector) States() []KPIState {
	v := c.view.Load()
	now := c.clock.Now()
	out := make([]KPIState, 0, len(v.runners))
	for _, r := range v.runners {
		st := r.snapshot()
		out = append(out, KPIState{
			Name: r.k.Name, Team: r.k.Team, Owner: r.k.Owner, Source: r.k.Source,
			Up: st.up, Stale: r.stale(st, now), Series: st.series,
			LastSuccess: st.lastSuccess, LastDuration: st.lastDuration, LastError: st.lastErr,
			Values: st.values,
		})
	}
	return out
}
