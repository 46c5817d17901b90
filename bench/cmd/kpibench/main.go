// Command kpibench runs the kpi_exporter benchmark (make bench) and prints
// one table of medians, ratios and targets. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/kpi-exporter/kpi_exporter/bench"
)

func main() {
	var o bench.Options
	sizes := flag.String("sizes", "1k,10k,100k,1M", "comma-separated series counts to compare at (k and M suffixes)")
	flag.IntVar(&o.Scrapes, "scrapes", 15, "timed scrapes per endpoint and format (the peer gets at most 3 at 1M series and more)")
	flag.DurationVar(&o.Interval, "interval", 0, "KPI interval of both exporters in the scrape comparison (default 30s)")
	loadSize := flag.String("load.size", "100k", "series of the load test's largest KPI")
	flag.DurationVar(&o.LoadDuration, "load.duration", 0, "how long the load test scrapes (default 3m)")
	flag.DurationVar(&o.LoadInterval, "load.interval", 0, "KPI interval in the load test (default 30s)")
	flag.IntVar(&o.LoadScrapers, "load.scrapers", 2, "concurrent scrapers in the load test, each once a second")
	overheadRows := flag.String("overhead.rows", "200k", "rows of the collection-overhead query")
	flag.IntVar(&o.OverheadRuns, "overhead.runs", 9, "collections timed for the overhead")
	genKPIs := flag.String("generate.kpis", "1k", "KPIs in the generator benchmark catalog (the target is at 1k; 10k is information)")
	flag.IntVar(&o.GenerateRuns, "generate.runs", 5, "generate runs, each into an empty directory; the median is quoted")
	flag.DurationVar(&o.GenerateTimeout, "generate.timeout", 0, "kill a generate run that takes longer (default 10m)")
	flag.IntVar(&o.PromtoolKPIs, "promtool.kpis", 100, "KPIs of the one team whose generated tests promtool runs (the target is at 100)")
	flag.DurationVar(&o.PromtoolTimeout, "promtool.timeout", 0, "kill promtool when it takes longer (default 20m)")
	flag.StringVar(&o.Exporter, "exporter", "", "kpi_exporter binary (default: build this module's)")
	flag.StringVar(&o.Peer, "peer", "", "prometheus-sql-exporter binary (default: look it up)")
	skip := flag.String("skip", "", "comma-separated steps not to run: compare, load, overhead, generate, promtool")
	flag.StringVar(&o.WorkDir, "work.dir", "", "keep configs and logs here (default: a temporary directory, removed)")
	flag.Parse()

	var err error
	for _, s := range strings.Split(*sizes, ",") {
		n, e := parseCount(s)
		if e != nil {
			err = e
		}
		o.Sizes = append(o.Sizes, n)
	}
	var e1, e2, e3 error
	o.LoadSize, e1 = parseCount(*loadSize)
	o.OverheadRows, e2 = parseCount(*overheadRows)
	o.GenerateKPIs, e3 = parseCount(*genKPIs)
	for _, e := range []error{err, e1, e2, e3} {
		if e != nil {
			fmt.Fprintln(os.Stderr, "kpibench:", e)
			os.Exit(2)
		}
	}
	if *skip != "" {
		o.Skip = strings.Split(*skip, ",")
	}
	o.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := bench.Run(ctx, o)
	if r != nil {
		r.WriteTable(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kpibench:", err)
		os.Exit(1)
	}
	if len(r.Failures) > 0 {
		os.Exit(1)
	}
}

// parseCount reads 1000, 1k or 1M.
func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1_000, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad count %q: want a number such as 1000, 10k or 1M", s)
	}
	return n * mult, nil
}
