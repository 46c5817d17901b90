package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/collector"
	"github.com/kpi-exporter/kpi_exporter/governance"
)

// explainCmd runs one KPI's SQL once and shows, row by row, what the
// exporter makes of the result. Exit codes: exitLint (3) when the catalog
// does not load; exitUsage (2) for an unknown KPI; exitFailure (1) when the
// query fails; exitOK otherwise, whatever rows were skipped.
type explainCmd struct {
	cmd         *kingpin.CmdClause
	configFiles *[]string
	kpi         *string
	rows        *int
	output      *string
	at          *string
}

// maxExplainRows bounds --rows: explain is a spot check, not an export.
const maxExplainRows = 1000

func newExplainCmd(app *kingpin.Application) *explainCmd {
	c := &explainCmd{cmd: app.Command("explain", "Run one KPI's SQL once and show the query as sent with its parameters, the first rows the database returned, and the series each became or why it was skipped.")}
	c.configFiles = c.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable.").Required().Strings()
	c.kpi = c.cmd.Arg("kpi", "Name of the KPI to explain.").Required().String()
	c.rows = c.cmd.Flag("rows", fmt.Sprintf("How many rows of each query to show (1 to %d); the counts cover every row.", maxExplainRows)).Default("20").Int()
	c.output = c.cmd.Flag("output", "Report format: text or json.").Default("text").Enum("text", "json")
	c.at = c.cmd.Flag("at", "Run as of this time (RFC 3339, such as 2026-11-30T18:00:00Z), which decides the period parameters; default now.").String()
	return c
}

func (c *explainCmd) FullCommand() string { return c.cmd.FullCommand() }

func (c *explainCmd) Run(ctx context.Context, stdout, stderr io.Writer) int {
	if *c.rows < 1 || *c.rows > maxExplainRows {
		fmt.Fprintf(stderr, "kpi_exporter explain: --rows must be between 1 and %d, got %d\n", maxExplainRows, *c.rows)
		return exitUsage
	}
	at := time.Now()
	if *c.at != "" {
		t, err := time.Parse(time.RFC3339, *c.at)
		if err != nil {
			fmt.Fprintf(stderr, "kpi_exporter explain: --at: %q is not an RFC 3339 time such as 2026-11-30T18:00:00Z\n", *c.at)
			return exitUsage
		}
		at = t
	}
	cat, code := loadCatalog("explain", *c.configFiles, stderr)
	if cat == nil {
		return code
	}
	k := cat.KPI(*c.kpi)
	if k == nil {
		names := make([]string, 0, len(cat.KPIs))
		for _, x := range cat.KPIs {
			names = append(names, x.Name)
		}
		if len(names) > 20 {
			names = append(names[:20], "...")
		}
		fmt.Fprintf(stderr, "kpi_exporter explain: the catalog has no KPI %q (KPIs: %s)\n", *c.kpi, strings.Join(names, ", "))
		return exitUsage
	}
	runner := newSourceRunner(cat)
	e := runner.explain(ctx, k, at, *c.rows)
	runner.Close()
	if *c.output == "json" {
		if !writeJSON("explain", e, stdout, stderr) {
			return exitFailure
		}
	} else {
		stdout.Write(governance.ExplainText(e))
	}
	if e.Error != "" {
		return exitFailure
	}
	return exitOK
}

// explain runs k once at at through the collector's conversion and fills
// the spot check's report.
func (r *sourceRunner) explain(ctx context.Context, k *catalog.KPI, at time.Time, rows int) governance.Explanation {
	p := k.Pos()
	e := governance.Explanation{
		KPI: k.Name, Team: k.Team, Source: k.Source, DefinedAt: fmt.Sprintf("%s:%d", p.File, p.Line),
		DefinitionHash: k.DefinitionHash(), At: at, Labels: k.Labels, Value: k.Value, MaxSeries: k.MaxSeries, RowLimit: rows,
		Query: governance.ExplainQuery{SQL: k.SQL},
	}
	if s := r.cat.Source(k.Source); s != nil {
		e.Driver = string(s.Driver)
	}
	if err := r.open(ctx, k.Source); err != nil {
		e.Error = err.Error()
		return e
	}
	if k.Target != nil && !k.Target.IsConstant() {
		_ = r.open(ctx, k.Target.Source) // a failure shows as the target's error
	}
	ex, err := collector.Explain(ctx, r.cat, k, r.srcs, at, rows)
	if err != nil {
		e.Error = err.Error()
	}
	if ex == nil {
		return e
	}
	e.Query = explainQuery(ex.Query, ex.Rows)
	if ex.Target != nil {
		t := explainQuery(*ex.Target, ex.TargetRows)
		e.Target = &t
	}
	res := ex.Result
	if res == nil {
		return e
	}
	e.Query.Columns = res.Columns // also when no row came back
	st := res.Stats
	e.Rows, e.Exported, e.Nulls, e.NonNumeric, e.InvalidLabels, e.Duplicates, e.OverLimit = st.Rows, st.Exported, st.Nulls, st.NonNumeric, st.InvalidLabels, st.Duplicates, st.OverLimit
	e.TargetRows, e.TargetSkipped = st.TargetRows, st.TargetSkipped
	if res.TargetErr != nil {
		e.TargetError = res.TargetErr.Error()
	}
	if k.Target != nil && k.Target.IsConstant() {
		v := k.Target.Value
		e.TargetValue = &v
	}
	sets := make([][]string, len(res.Series))
	for i, s := range res.Series {
		sets[i] = s.Labels
	}
	e.SetSeries(sets)
	return e
}

func explainQuery(q collector.BoundQuery, rows []collector.ExplainedRow) governance.ExplainQuery {
	out := governance.ExplainQuery{SQL: q.Text, Columns: q.Columns, Rows: make([]governance.ExplainRow, len(rows))}
	for _, p := range q.Params {
		out.Params = append(out.Params, governance.ExplainParam(p))
	}
	for i, r := range rows {
		out.Rows[i] = governance.ExplainRow(r)
	}
	return out
}
