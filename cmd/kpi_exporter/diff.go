package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/governance"
)

// diffCmd prints the semantic difference between two catalogs. Exit codes:
// exitFailure (1) when the changes include what --fail-on names (breaking
// changes, or any change), or with --require-changelog when a KPI's
// definition changed without a new change-log entry; exitLint (3) when either catalog does not load;
// exitOK otherwise.
type diffCmd struct {
	cmd      *kingpin.CmdClause
	catalogs *[]string
	output   *string
	failOn   *string
	// requireLog fails a definition change without a new change-log entry.
	requireLog *bool
}

func newDiffCmd(app *kingpin.Application) *diffCmd {
	d := &diffCmd{cmd: app.Command("diff", "Compare two catalogs (files or directories) KPI by KPI, and class each change as breaking or not.")}
	d.catalogs = d.cmd.Arg("catalogs", "OLD and NEW: the catalog before and after, each a file or a directory.").Required().ExistingFilesOrDirs()
	d.output = d.cmd.Flag("output", "Report format: text, markdown (to paste into a review) or json.").Default("text").Enum("text", "markdown", "json")
	d.failOn = d.cmd.Flag("fail-on", "Exit 1 when a change of this class exists: breaking, any or none.").Default("none").Enum("breaking", "any", "none")
	d.requireLog = d.cmd.Flag("require-changelog", "Exit 1 when a KPI's definition hash changed without a new changelog entry (date, author, approver, reason), naming the KPI's file and line.").Bool()
	return d
}

func (d *diffCmd) FullCommand() string { return d.cmd.FullCommand() }

func (d *diffCmd) Run(_ context.Context, stdout, stderr io.Writer) int {
	paths := *d.catalogs
	if len(paths) != 2 {
		fmt.Fprintf(stderr, "kpi_exporter diff: want two catalogs, OLD and NEW, got %d\n", len(paths))
		return exitUsage
	}
	var cats [2]*catalog.Catalog
	for i, p := range paths {
		c, err := catalog.Load(p)
		if err != nil {
			fmt.Fprintf(stderr, "kpi_exporter diff: load %s:\n%v\n", p, err)
			if errors.Is(err, catalog.ErrInvalid) {
				return exitLint
			}
			return exitFailure
		}
		cats[i] = c
	}
	r := governance.Diff(cats[0], cats[1])
	r.RequireChangeLog = *d.requireLog
	switch *d.output {
	case "markdown":
		stdout.Write(governance.DiffMarkdown(r))
	case "json":
		if !writeJSON("diff", r, stdout, stderr) {
			return exitFailure
		}
	default:
		stdout.Write(governance.DiffText(r))
	}
	missing := r.MissingChangeLog()
	if *d.requireLog && len(missing) > 0 {
		for _, k := range missing {
			fmt.Fprintf(stderr, "%s: kpi %s: %s\n", k.Pos, k.Name, k.ChangeLogProblem())
		}
		return exitFailure
	}
	switch {
	case *d.failOn == "breaking" && r.Count(governance.ImpactBreaking) > 0,
		*d.failOn == "any" && r.Changes() > 0:
		return exitFailure
	}
	return exitOK
}
