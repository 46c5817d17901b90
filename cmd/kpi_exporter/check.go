package main

import (
	"context"
	"encoding/json"
	"errors"
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
	cat, err := catalog.Load(*c.configFiles...)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter check: load catalog:\n%v\n", err)
		if errors.Is(err, catalog.ErrInvalid) {
			return exitLint
		}
		return exitFailure
	}
	report := governance.CheckReport{Files: cat.Files, Lint: governance.Lint(cat)}
	if *c.queries {
		report.KPIs = dryRun(ctx, cat, report.Lint, newProgress(stderr))
	} else {
		for _, k := range cat.KPIs {
			report.KPIs = append(report.KPIs, governance.NotRunKPI(k))
		}
	}
	if *c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "kpi_exporter check: %v\n", err)
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

// dryRun opens each source the KPIs use (preparing demo databases as serve
// does) and runs every KPI once, one at a time so that a check never loads a
// business database more than one query at a time.
func dryRun(ctx context.Context, cat *catalog.Catalog, lint []governance.Finding, progress func(i, n int, k *catalog.KPI)) []governance.KPICheck {
	logger := slog.New(slog.DiscardHandler) // the report counts what the collector would log
	srcs := map[string]*collector.Source{}
	openErr := map[string]error{}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	open := func(name string) {
		if _, done := srcs[name]; done || openErr[name] != nil {
			return
		}
		src := cat.Source(name)
		if src == nil {
			return
		}
		if src.Demo {
			if err := demo.Prepare(ctx, src.DSN(), time.Now()); err != nil {
				openErr[name] = fmt.Errorf("prepare demo database of source %q: %w", name, err)
				return
			}
		}
		s, err := collector.Open(ctx, src, logger)
		if err != nil {
			openErr[name] = err
			return
		}
		srcs[name] = s
	}
	var out []governance.KPICheck
	for i, k := range cat.KPIs {
		open(k.Source)
		if k.Target != nil && !k.Target.IsConstant() {
			open(k.Target.Source)
		}
		if err := openErr[k.Source]; err != nil {
			out = append(out, governance.CheckKPI(k, nil, err))
			continue
		}
		progress(i, len(cat.KPIs), k)
		res, err := collector.RunOnce(ctx, cat, k, srcs)
		out = append(out, governance.CheckKPI(k, res, err))
	}
	progress(len(cat.KPIs), len(cat.KPIs), nil)
	return out
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
