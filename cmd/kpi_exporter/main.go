// Command kpi_exporter serves a KPI catalog's SQL results to Prometheus and
// generates the rules, dashboards and documents that watch them. This package
// holds flags and wiring only: each subcommand lives in its own file and calls
// into the packages that do the work.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Exit codes, as promtool uses them.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitLint    = 3
)

// subcommand is one kpi_exporter command. Each registers its flags on the
// kingpin application when it is created.
type subcommand interface {
	// FullCommand is the name kingpin reports when the command is selected.
	FullCommand() string
	Run(ctx context.Context, stdout, stderr io.Writer) int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the selected command. stdout and stderr are
// injected so that tests can read them.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("kpi_exporter", "Serves a catalog of business KPIs, defined as SQL, to Prometheus, and generates the rules, alerts, dashboards and documents that watch them.")
	app.Version(version.Print("kpi_exporter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	// kingpin calls Terminate after printing --help or --version. It must
	// not exit the process (tests call run), and parsing goes on after it,
	// so the request is recorded and honoured once Parse returns: required
	// flags are not asked for, and no command runs.
	printed := false
	app.Terminate(func(int) { printed = true })

	cmds := []subcommand{
		// Each subcommand file adds its constructor here.
		newServeCmd(app),
		newCheckCmd(app),
		newDiffCmd(app),
		newExplainCmd(app),
		newGenerateCmd(app),
		newReportCmd(app),
	}
	selected, err := app.Parse(args)
	if printed {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter: %v\n", err)
		return exitUsage
	}
	for _, c := range cmds {
		if c.FullCommand() == selected {
			return c.Run(ctx, stdout, stderr)
		}
	}
	return exitOK
}

// loadCatalog loads the catalog files for the command name. When it fails
// it prints every error and returns a nil catalog and the exit code: exitLint
// for a catalog that is invalid, exitFailure for one that cannot be read.
func loadCatalog(name string, files []string, stderr io.Writer) (*catalog.Catalog, int) {
	cat, err := catalog.Load(files...)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter %s: load catalog:\n%v\n", name, err)
		if errors.Is(err, catalog.ErrInvalid) {
			return nil, exitLint
		}
		return nil, exitFailure
	}
	return cat, exitOK
}

// writeJSON writes v as --output=json does for every command: indented, one
// document. It reports false after printing why it could not.
func writeJSON(name string, v any, stdout, stderr io.Writer) bool {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "kpi_exporter %s: %v\n", name, err)
		return false
	}
	return true
}
