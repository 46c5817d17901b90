package catalog

import "time"

// The defaults, in one place.
const (
	DefaultInterval        = Duration(time.Minute)
	DefaultTimeout         = Duration(10 * time.Second)
	DefaultMaxSeries       = 10000
	DefaultMaxAgeIntervals = 3
	DefaultMaxOpenConns    = 2
	DefaultGrafanaURL      = "http://localhost:3000"
	DefaultTargetColumn    = "target"
	DefaultAnomalyWindow   = Duration(7 * 24 * time.Hour)
	DefaultAnomalyStdDevs  = 3.0
	DefaultGroupWait       = Duration(30 * time.Second)
	DefaultGroupInterval   = Duration(5 * time.Minute)
	DefaultRepeatInterval  = Duration(4 * time.Hour)
	DefaultResolveTimeout  = Duration(5 * time.Minute)
	DefaultScrapeInterval  = Duration(time.Minute)
)

// setDefaults fills in every value a catalog leaves out. Global and alerting
// come first, then sources, which inherit from global, then KPIs, which
// inherit from both. A value written out of range is kept for validation to
// report, and whatever would inherit from it takes the default instead.
func setDefaults(c *Catalog) {
	g := &c.Global
	setIfZero(&g.Interval, DefaultInterval)
	setIfZero(&g.Timeout, DefaultTimeout)
	setIfZero(&g.MaxSeries, DefaultMaxSeries)
	setIfZero(&g.MaxAgeIntervals, DefaultMaxAgeIntervals)
	setIfZero(&g.GrafanaURL, DefaultGrafanaURL)

	a := &c.Alerting
	setIfZero(&a.GroupWait, DefaultGroupWait)
	setIfZero(&a.GroupInterval, DefaultGroupInterval)
	setIfZero(&a.RepeatInterval, DefaultRepeatInterval)
	setIfZero(&a.ResolveTimeout, DefaultResolveTimeout)
	setIfZero(&a.ScrapeInterval, DefaultScrapeInterval)

	for _, s := range c.Sources {
		setIfZero(&s.MaxOpenConns, DefaultMaxOpenConns)
		setIfZero(&s.MaxConcurrentQueries, max(s.MaxOpenConns, 1))
		setIfZero(&s.Timeout, g.Timeout)
	}

	maxAgeIntervals, maxSeries := g.MaxAgeIntervals, g.MaxSeries
	if maxAgeIntervals < 1 {
		maxAgeIntervals = DefaultMaxAgeIntervals
	}
	if maxSeries < 1 {
		maxSeries = DefaultMaxSeries
	}
	for _, k := range c.KPIs {
		setIfZero(&k.Group, k.Team)
		setIfZero(&k.Interval, g.Interval)
		if k.Timeout == 0 {
			// An inherited timeout never exceeds the KPI's interval; one
			// written on the KPI that does is an error.
			k.Timeout = g.Timeout
			if src := c.Source(k.Source); src != nil {
				k.Timeout = src.Timeout
			}
			k.Timeout = min(k.Timeout, k.Interval)
		}
		setIfZero(&k.MaxAge, Duration(time.Duration(k.Interval)*time.Duration(maxAgeIntervals)))
		setIfZero(&k.MaxSeries, maxSeries)
		if len(k.Compare) > 0 {
			setIfZero(&k.CompareInterval, compareIntervalDefault(k))
		}
		if t := k.Target; t != nil && t.SQL != "" {
			setIfZero(&t.Column, DefaultTargetColumn)
			setIfZero(&t.Source, k.Source)
		}
		if an := k.Anomaly; an != nil {
			setIfZero(&an.Window, DefaultAnomalyWindow)
			setIfZero(&an.StdDevs, DefaultAnomalyStdDevs)
			setIfZero(&an.For, 2*k.Interval)
		}
		setControlDefaults(c, k)
	}
}

func setIfZero[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}
