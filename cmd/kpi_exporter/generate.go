package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/dashboards"
	"github.com/kpi-exporter/kpi_exporter/governance"
	"github.com/kpi-exporter/kpi_exporter/output"
	"github.com/kpi-exporter/kpi_exporter/rules"
)

// generateCmd writes everything that watches the catalog: rules, their
// tests, the Alertmanager configuration, the KPI dictionary and the
// dashboards.
type generateCmd struct {
	cmd            *kingpin.CmdClause
	configFiles    *[]string
	outputDir      *string
	prometheusRule *bool
	amVersion      *string
}

// outputHelp names every folder generate writes below --output.dir.
const outputHelp = "Directory to write into: rules/ (recording and alerting rules), rules/tests/ (promtool unit tests), rules/tests/rules/ (the rules each test loads), " +
	"alertmanager/ (routing tree), kubernetes/ (PrometheusRule, with --prometheus-rule), docs/ (KPI dictionary), " +
	"dashboards/ (Grafana dashboards) and dashboards/provisioning/ (Grafana provisioning). " +
	"A file an earlier run wrote and this one does not is removed; no other file is touched."

func newGenerateCmd(app *kingpin.Application) *generateCmd {
	g := &generateCmd{cmd: app.Command("generate", "Write Prometheus rules, their promtool tests, the Alertmanager routing tree, the KPI dictionary and Grafana dashboards for the catalog.")}
	g.configFiles = g.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable.").Required().Strings()
	g.outputDir = g.cmd.Flag("output.dir", outputHelp).Required().String()
	g.prometheusRule = g.cmd.Flag("prometheus-rule", "Also write the rules as a Kubernetes PrometheusRule resource (prometheus-operator).").Bool()
	g.amVersion = g.cmd.Flag("alertmanager.version", "Oldest Alertmanager the configuration must load in (default: the Alertmanager whose configuration package checks the output). Receivers whose secret file field is newer (webhook url_file: 0.26, wechat api_secret_file: 0.31) are left out below it, never written with inline secrets; Debian 12 has 0.25.").
		Default(rules.DefaultAMVersion.String()).String()
	return g
}

func (g *generateCmd) FullCommand() string { return g.cmd.FullCommand() }

func (g *generateCmd) Run(_ context.Context, stdout, stderr io.Writer) int {
	v, err := rules.ParseAMVersion(*g.amVersion)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		return exitUsage
	}
	c, err := catalog.Load(*g.configFiles...)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		if errors.Is(err, catalog.ErrInvalid) {
			return exitLint
		}
		return exitFailure
	}
	// What check's lint calls an error is refused here too, so that no
	// alert is written for a catalog check rejects; warnings are shown.
	findings := governance.Lint(c)
	for _, f := range findings {
		fmt.Fprintf(stderr, "kpi_exporter generate: lint: %s\n", f)
	}
	if governance.HasErrors(findings) {
		fmt.Fprintln(stderr, "kpi_exporter generate: nothing written: the catalog has lint errors (kpi_exporter check lists them)")
		return exitLint
	}
	w := output.NewWriter(*g.outputDir)
	warnings, err := stageGenerated(w, c, rules.Options{AlertmanagerVersion: v, PrometheusRule: *g.prometheusRule})
	for _, w := range warnings {
		fmt.Fprintf(stderr, "kpi_exporter generate: alertmanager %s: not routed: %s\n", v, w)
	}
	if err != nil {
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

// stageGenerated runs the rules generator, stages its files, then runs the
// dictionary and dashboard generators side by side and stages theirs, so
// that the rules and their tests, the largest output, are not in memory
// beside the dashboards (for 1,000 KPIs that would be about 100 MiB more).
// Each generator reads the catalog alone. On error nothing stays staged.
// Warnings name the receivers left out of the Alertmanager configuration.
func stageGenerated(w *output.Writer, c *catalog.Catalog, o rules.Options) (warnings []string, err error) {
	r, err := rules.Generate(c, o)
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("rules: %w", err)
	}
	warnings = r.Warnings()
	if err := w.Stage(r.Files()); err != nil {
		return warnings, err
	}
	var (
		wg            sync.WaitGroup
		d             *dashboards.Output
		docs          []output.File
		dashErr, dErr error
	)
	wg.Go(func() { d, dashErr = dashboards.Generate(c) })
	wg.Go(func() { docs, dErr = governance.DocsFiles(c) })
	wg.Wait()
	switch {
	case dashErr != nil:
		w.Abort()
		return warnings, fmt.Errorf("dashboards: %w", dashErr)
	case dErr != nil:
		w.Abort()
		return warnings, fmt.Errorf("docs: %w", dErr)
	}
	return warnings, w.Stage(append(docs, d.Files()...))
}
