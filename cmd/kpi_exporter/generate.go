package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/dashboards"
	"github.com/kpi-exporter/kpi_exporter/governance"
	"github.com/kpi-exporter/kpi_exporter/internal/hugeheap"
	"github.com/kpi-exporter/kpi_exporter/output"
	"github.com/kpi-exporter/kpi_exporter/rules"
)

// generateCmd writes everything that watches the catalog: rules, their
// tests, the Alertmanager configuration, and whatever other generators add.
type generateCmd struct {
	cmd            *kingpin.CmdClause
	configFiles    *[]string
	outputDir      *string
	prometheusRule *bool
	amVersion      *string
}

// producer is one pure generator: catalog in, files out into a sink, each
// as soon as it is rendered. Adding an output to generate is adding one
// producer to producers.
type producer func(*catalog.Catalog, output.Sink) error

// returning adapts a generator that returns its files.
func returning(gen func(*catalog.Catalog) ([]output.File, error)) producer {
	return func(c *catalog.Catalog, sink output.Sink) error {
		files, err := gen(c)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := sink.Write(f.Path, f.Data); err != nil {
				return err
			}
		}
		return nil
	}
}

func newGenerateCmd(app *kingpin.Application) *generateCmd {
	g := &generateCmd{cmd: app.Command("generate", "Write Prometheus rules, their promtool tests and the Alertmanager routing tree for the catalog.")}
	g.configFiles = g.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable.").Required().Strings()
	g.outputDir = g.cmd.Flag("output.dir", "Directory to write into (rules/, rules/tests/, alertmanager/, kubernetes/).").Required().String()
	g.prometheusRule = g.cmd.Flag("prometheus-rule", "Also write the rules as a Kubernetes PrometheusRule resource (prometheus-operator).").Bool()
	g.amVersion = g.cmd.Flag("alertmanager.version", "Oldest Alertmanager the configuration must load in. Receivers whose secret file field is newer (webhook url_file: 0.26, wechat api_secret_file: 0.31) are left out below it, never written with inline secrets.").
		Default(rules.DefaultAMVersion.String()).String()
	return g
}

func (g *generateCmd) FullCommand() string { return g.cmd.FullCommand() }

// producers lists the generators, in output order.
func (g *generateCmd) producers(stderr io.Writer) ([]producer, error) {
	v, err := rules.ParseAMVersion(*g.amVersion)
	if err != nil {
		return nil, err
	}
	ruleFiles := func(c *catalog.Catalog, sink output.Sink) error {
		warnings, err := rules.GenerateTo(c, rules.Options{AlertmanagerVersion: v, PrometheusRule: *g.prometheusRule}, sink)
		for _, w := range warnings {
			fmt.Fprintf(stderr, "kpi_exporter generate: alertmanager %s: not routed: %s\n", v, w)
		}
		return err
	}
	return []producer{
		ruleFiles,
		returning(governance.DocsFiles),
		dashboards.GenerateTo,
	}, nil
}

func (g *generateCmd) Run(_ context.Context, stdout, stderr io.Writer) int {
	ps, err := g.producers(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		return exitUsage
	}
	// Advice only: where the kernel grants no huge pages, the run is as
	// it would have been.
	hugeheap.Advise(heapAdvice)
	tune := tuneGC()
	c, err := catalog.Load(*g.configFiles...)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		return exitFailure
	}
	tune()
	// The producers run side by side, so that one's tail keeps the cores
	// busy while another finishes; the Writer takes their files in any
	// order and shows none of them unless all succeed.
	w := output.NewWriter(*g.outputDir)
	w.Manifest = true
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { errs[i] = p(c, w) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		w.Abort()
		fmt.Fprintf(stderr, "kpi_exporter generate: nothing written: %v\n", err)
		return exitFailure
	}
	n, err := w.Commit()
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "kpi_exporter generate: wrote %d files to %s\n", n, *g.outputDir)
	return exitOK
}

// heapAdvice is how much of its heap generate asks the kernel to back with
// huge pages: the most tuneGC lets the heap grow to while loading (320 MiB),
// with room for a catalog of tens of thousands of KPIs after. With 4 KiB
// pages, generate on 10,000 KPIs took about 90,000 page faults on a 2-core
// virtual machine, and a fifth of its CPU time with them; with 2 MiB pages,
// about 7,000 (bench/README.md).
const heapAdvice = 384 << 20

// tuneGC trades memory the generators may use for collector work, unless
// the user set GOGC or GOMEMLIMIT. generate is a batch that allocates
// gigabytes for a large catalog while keeping only the catalog and the
// teams in hand alive; at the default GOGC the collector cost a seventh of
// its CPU time. The heap may grow to five times the live data, within a
// limit: 320 MiB while the catalog loads, then 256 MiB above the heap the
// loaded catalog holds, which the returned function sets, so that a larger
// catalog is never squeezed into a limit its own size fills.
func tuneGC() (loaded func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(320 << 20)
	return func() {
		// The loader's garbage is collected first, so that HeapAlloc is
		// the catalog alone.
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		debug.SetMemoryLimit(int64(m.HeapAlloc) + 256<<20)
	}
}
