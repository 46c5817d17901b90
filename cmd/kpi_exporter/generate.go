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
	files, warnings, err := generateFiles(c, rules.Options{AlertmanagerVersion: v, PrometheusRule: *g.prometheusRule})
	for _, w := range warnings {
		fmt.Fprintf(stderr, "kpi_exporter generate: alertmanager %s: not routed: %s\n", v, w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: nothing written: %v\n", err)
		return exitFailure
	}
	n, err := output.Write(*g.outputDir, files)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter generate: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "kpi_exporter generate: wrote %d files to %s\n", n, *g.outputDir)
	return exitOK
}

// generateFiles runs the generators side by side, each on the catalog
// alone, and returns their files for output.Write. Warnings name the
// receivers left out of the Alertmanager configuration.
func generateFiles(c *catalog.Catalog, o rules.Options) (files []output.File, warnings []string, err error) {
	var (
		wg                      sync.WaitGroup
		r                       *rules.Output
		d                       *dashboards.Output
		docs                    []output.File
		rulesErr, dashErr, dErr error
	)
	wg.Go(func() { r, rulesErr = rules.Generate(c, o) })
	wg.Go(func() { d, dashErr = dashboards.Generate(c) })
	wg.Go(func() { docs, dErr = governance.DocsFiles(c) })
	wg.Wait()
	switch {
	case rulesErr != nil:
		return nil, nil, fmt.Errorf("rules: %w", rulesErr)
	case dashErr != nil:
		return nil, nil, fmt.Errorf("dashboards: %w", dashErr)
	case dErr != nil:
		return nil, nil, fmt.Errorf("docs: %w", dErr)
	}
	files = append(r.Files(), docs...)
	return append(files, d.Files()...), r.Warnings(), nil
}
