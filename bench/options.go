package bench

import (
	"io"
	"time"
)

// Options says what to measure. The zero value of a field means its default.
type Options struct {
	// Sizes are the numbers of series to compare at (stores × 100 products,
	// three labels each). Default 1k, 10k, 100k.
	Sizes []int
	// Scrapes is how many timed scrapes each endpoint gets per format; the
	// peer gets at most 3 at 1M series and more.
	Scrapes int
	// Interval is the KPI interval of both exporters in the scrape comparison.
	Interval time.Duration

	// LoadSize is the series count of the load test's largest KPI.
	LoadSize int
	// LoadDuration is how long the load test scrapes (default 3m).
	LoadDuration time.Duration
	// LoadInterval is the KPI interval during the load test (default 30s).
	LoadInterval time.Duration
	// LoadScrapers scrape concurrently, each once a second (default 2).
	LoadScrapers int

	// OverheadRows is the row count of the collection-overhead query.
	OverheadRows int
	// OverheadRuns is how many collections (and bare scans) are timed.
	OverheadRuns int

	// GenerateKPIs is the catalog size for the generator measurement.
	GenerateKPIs int
	// GenerateRuns is how many times generate runs, each into an empty
	// directory; the table quotes the median wall time (default 5).
	GenerateRuns int
	// GenerateTimeout stops a generate run that takes longer (default 10m);
	// the table then says it did not finish.
	GenerateTimeout time.Duration

	// PromtoolKPIs is the size of the team whose generated tests promtool
	// runs (default 100).
	PromtoolKPIs int
	// PromtoolTimeout stops promtool when it takes longer (default 20m).
	PromtoolTimeout time.Duration

	// Skip names steps not to run: "compare", "load", "overhead", "generate",
	// "promtool".
	Skip []string

	// Exporter is the kpi_exporter binary; empty builds it from this module.
	Exporter string
	// Peer is the prometheus-sql-exporter binary; empty looks it up.
	Peer string
	// WorkDir holds configs, logs and generated files; empty uses a temp dir.
	WorkDir string
	// Progress receives one line per step; nil discards it.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{1_000, 10_000, 100_000}
	}
	if o.Scrapes <= 0 {
		o.Scrapes = 15
	}
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.LoadSize <= 0 {
		o.LoadSize = 100_000
	}
	if o.LoadDuration <= 0 {
		o.LoadDuration = 3 * time.Minute
	}
	if o.LoadInterval <= 0 {
		o.LoadInterval = 30 * time.Second
	}
	if o.LoadScrapers <= 0 {
		o.LoadScrapers = 2
	}
	if o.OverheadRows <= 0 {
		o.OverheadRows = 200_000
	}
	if o.OverheadRuns <= 0 {
		o.OverheadRuns = 5
	}
	if o.GenerateKPIs <= 0 {
		o.GenerateKPIs = 1_000
	}
	if o.GenerateRuns <= 0 {
		o.GenerateRuns = 5
	}
	if o.GenerateTimeout <= 0 {
		o.GenerateTimeout = 10 * time.Minute
	}
	if o.PromtoolKPIs <= 0 {
		o.PromtoolKPIs = 100
	}
	if o.PromtoolTimeout <= 0 {
		o.PromtoolTimeout = 20 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}
