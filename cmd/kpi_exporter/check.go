package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/mattn/go-isatty"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/collector"
	"github.com/kpi-exporter/kpi_exporter/demo"
	"github.com/kpi-exporter/kpi_exporter/governance"
)

// checkCmd loads and lints a catalog, then runs every KPI's SQL once against
// its source. Exit codes: exitLint (3) when the catalog does not load or the
// lint finds an error; exitFailure (1) when a query fails or its result is
// wrong (missing column, duplicates, rows over max_series, ...); exitOK
// otherwise. Lint warnings and dry-run warnings are shown but do not fail.
type checkCmd struct {
	cmd         *kingpin.CmdClause
	configFiles *[]string
	output      *string
	queries     *bool
}

func newCheckCmd(app *kingpin.Application) *checkCmd {
	c := &checkCmd{cmd: app.Command("check", "Lint the catalog and dry-run every KPI's SQL once against its source.")}
	c.configFiles = c.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable.").Required().Strings()
	c.output = c.cmd.Flag("output", "Report format: table or json.").Default("table").Enum("table", "json")
	c.queries = c.cmd.Flag("queries", "Run each KPI's SQL once (--no-queries only loads and lints).").Default("true").Bool()
	return c
}

func (c *checkCmd) FullCommand() string { return c.cmd.FullCommand() }

func (c *checkCmd) Run(ctx context.Context, stdout, stderr io.Writer) int {
	cat, code := loadCatalog("check", *c.configFiles, stderr)
	if cat == nil {
		return code
	}
	report := governance.CheckReport{Files: cat.Files, Lint: governance.Lint(cat)}
	if *c.queries {
		runner := newSourceRunner(cat)
		report.KPIs = governance.Check(ctx, cat, runner, time.Now(), newProgress(stderr))
		runner.Close()
	} else {
		for _, k := range cat.KPIs {
			report.KPIs = append(report.KPIs, governance.NotRunKPI(k))
		}
	}
	if *c.output == "json" {
		if !writeJSON("check", report, stdout, stderr) {
			return exitFailure
		}
	} else {
		stdout.Write(governance.CheckTable(report))
	}
	switch {
	case report.LintFailed():
		return exitLint
	case report.QueriesFailed():
		return exitFailure
	}
	return exitOK
}

// sourceRunner is the check's governance.Runner: it opens each source the
// KPIs use on first need (preparing demo databases as serve does) and runs a
// KPI through the collector, as serve would.
type sourceRunner struct {
	cat     *catalog.Catalog
	srcs    map[string]*collector.Source
	openErr map[string]error
}

func newSourceRunner(cat *catalog.Catalog) *sourceRunner {
	return &sourceRunner{cat: cat, srcs: map[string]*collector.Source{}, openErr: map[string]error{}}
}

func (r *sourceRunner) Close() {
	for _, s := range r.srcs {
		s.Close()
	}
}

func (r *sourceRunner) open(ctx context.Context, name string) error {
	if _, done := r.srcs[name]; done || r.openErr[name] != nil {
		return r.openErr[name]
	}
	src := r.cat.Source(name)
	if src == nil {
		return nil
	}
	if src.Demo {
		if err := demo.Prepare(ctx, src.DSN(), time.Now()); err != nil {
			r.openErr[name] = fmt.Errorf("prepare demo database of source %q: %w", name, err)
			return r.openErr[name]
		}
	}
	// The report counts what the collector would log.
	s, err := collector.Open(ctx, src, slog.New(slog.DiscardHandler))
	if err != nil {
		r.openErr[name] = err
		return err
	}
	r.srcs[name] = s
	return nil
}

func (r *sourceRunner) RunOnce(ctx context.Context, k *catalog.KPI) (*governance.DryRun, error) {
	if err := r.open(ctx, k.Source); err != nil {
		return nil, err
	}
	if k.Target != nil && !k.Target.IsConstant() {
		_ = r.open(ctx, k.Target.Source) // a failure shows as the target's error
	}
	res, err := collector.RunOnce(ctx, r.cat, k, r.srcs)
	if res == nil {
		return nil, err
	}
	st := res.Stats
	out := &governance.DryRun{
		Columns: res.Columns, Rows: st.Rows, Exported: st.Exported,
		Nulls: st.Nulls, NonNumeric: st.NonNumeric, Duplicates: st.Duplicates, OverLimit: st.OverLimit,
		InvalidLabels: st.InvalidLabels, TargetSkipped: st.TargetSkipped, TargetErr: res.TargetErr, Duration: st.Duration,
	}
	for _, s := range res.Series {
		out.Series = append(out.Series, governance.DrySeries{Labels: s.Labels, Value: s.Value, Target: s.Target, HasTarget: s.HasTarget})
	}
	return out, err
}

// newProgress returns a progress reporter that rewrites one line on stderr
// when stderr is a terminal, and does nothing otherwise (pipes, CI logs,
// tests).
func newProgress(stderr io.Writer) func(i, n int, k *catalog.KPI) {
	f, ok := stderr.(*os.File)
	if !ok || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return func(int, int, *catalog.KPI) {}
	}
	return func(i, n int, k *catalog.KPI) {
		if k == nil {
			fmt.Fprint(f, "\r\033[K")
			return
		}
		fmt.Fprintf(f, "\r\033[K[%d/%d] running %s on %s", i+1, n, k.Name, k.Source)
	}
}
