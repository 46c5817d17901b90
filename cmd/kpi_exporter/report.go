package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/kpi-exporter/kpi_exporter/calendar"
	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/report"
)

// reportCmd writes the review of a closed period from a Prometheus server's
// history: HTML, Markdown, and optionally an e-mail. Exit codes: exitFailure
// when the catalog does not load, Prometheus cannot be read or a file or
// mail cannot be written; exitUsage for a period that cannot be made;
// exitOK otherwise, also for a period that has not ended (with a warning).
type reportCmd struct {
	cmd          *kingpin.CmdClause
	configFiles  *[]string
	promURL      *string
	period       *string
	offset       *int
	from, to     *string
	calendar     *string
	step         *time.Duration
	timeout      *time.Duration
	parallel     *int
	at           *string
	htmlFile     *string
	markdownFile *string
	mailTo       *[]string
}

func newReportCmd(app *kingpin.Application) *reportCmd {
	r := &reportCmd{cmd: app.Command("report", "Write the review of a closed week, month or quarter from Prometheus's history: per team and KPI the value against its target, time in warning and critical, alerts, change, contributors, and the KPIs to act on.")}
	r.configFiles = r.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable.").Required().Strings()
	r.promURL = r.cmd.Flag("prometheus.url", "Base URL of the Prometheus that evaluates the generated rules.").Default("http://localhost:9090").String()
	r.period = r.cmd.Flag("period", "Calendar period to review.").Default("month").Enum("week", "month", "quarter")
	r.offset = r.cmd.Flag("period.offset", "Which period: 1 is the last closed one, 2 the one before, 0 the current one (partial).").Default("1").Int()
	r.from = r.cmd.Flag("from", "First day to review, YYYY-MM-DD, instead of --period (with --to).").String()
	r.to = r.cmd.Flag("to", "Last day to review, YYYY-MM-DD, included (with --from).").String()
	r.calendar = r.cmd.Flag("calendar", "Catalog calendar the period is counted in (default: global.calendar, or UTC).").String()
	r.step = r.cmd.Flag("query.step", "Resolution of the review: time in warning and critical and the charts are counted in steps of this length.").Default("5m").Duration()
	r.timeout = r.cmd.Flag("query.timeout", "Time allowed for each query to Prometheus.").Default("2m").Duration()
	r.parallel = r.cmd.Flag("query.parallel", "Queries sent to Prometheus at the same time.").Default("4").Int()
	r.at = r.cmd.Flag("report.at", "Instant the review is made at, RFC 3339 (default now): periods are counted back from it.").String()
	r.htmlFile = r.cmd.Flag("output.html", "Write the review as one self-contained HTML file here.").String()
	r.markdownFile = r.cmd.Flag("output.markdown", "Write the review as Markdown here. Without any --output flag, Markdown goes to stdout.").String()
	r.mailTo = r.cmd.Flag("mail.to", "Send the review to this address through the catalog's alerting.smtp settings. Repeatable.").Strings()
	return r
}

func (r *reportCmd) FullCommand() string { return r.cmd.FullCommand() }

func (r *reportCmd) Run(ctx context.Context, stdout, stderr io.Writer) int {
	cat, err := catalog.Load(*r.configFiles...)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: load catalog: %v\n", err)
		return exitFailure
	}
	w, err := r.window(cat)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: %v\n", err)
		return exitUsage
	}
	if w.Partial() {
		fmt.Fprintf(stderr, "kpi_exporter report: warning: the %s has not ended yet: the review is partial, up to %s\n", w.Label, w.Now.Format(time.RFC3339))
	}
	client, err := api.NewClient(api.Config{Address: *r.promURL})
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: --prometheus.url: %v\n", err)
		return exitUsage
	}
	data, err := report.Gather(ctx, timeoutQuerier{v1.NewAPI(client), *r.timeout}, cat, w, *r.step, *r.parallel)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: read Prometheus at %s: %v\n", *r.promURL, err)
		return exitFailure
	}
	rep := report.Compute(cat, data)
	md := report.Markdown(rep)
	html, err := report.HTML(rep)
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: %v\n", err)
		return exitFailure
	}
	if err := r.write(stdout, md, html); err != nil {
		fmt.Fprintf(stderr, "kpi_exporter report: %v\n", err)
		return exitFailure
	}
	if len(*r.mailTo) > 0 {
		m := report.Mail{From: cat.Alerting.SMTP.From, To: *r.mailTo, Subject: "KPI review: " + w.Label, Date: w.Now, HTML: html, Text: md}
		if err := report.Send(ctx, cat.Alerting.SMTP, m); err != nil {
			fmt.Fprintf(stderr, "kpi_exporter report: mail: %v\n", err)
			return exitFailure
		}
	}
	return exitOK
}

// window is the period the flags ask for.
func (r *reportCmd) window(cat *catalog.Catalog) (report.Window, error) {
	now := time.Now()
	if *r.at != "" {
		t, err := time.Parse(time.RFC3339, *r.at)
		if err != nil {
			return report.Window{}, fmt.Errorf("--report.at %q is not an RFC 3339 time", *r.at)
		}
		now = t
	}
	cal := cat.NamedCalendar(*r.calendar)
	if cal == nil {
		return report.Window{}, fmt.Errorf("--calendar: the catalog defines no calendar %q", *r.calendar)
	}
	if (*r.from == "") != (*r.to == "") {
		return report.Window{}, errors.New("--from and --to go together")
	}
	if *r.from != "" {
		from, err := calendar.ParseDate(*r.from)
		if err != nil {
			return report.Window{}, fmt.Errorf("--from: %w", err)
		}
		to, err := calendar.ParseDate(*r.to)
		if err != nil {
			return report.Window{}, fmt.Errorf("--to: %w", err)
		}
		return report.DatesWindow(cal, from, to, now)
	}
	return report.PeriodWindow(cal, calendar.Period(*r.period), *r.offset, now)
}

func (r *reportCmd) write(stdout io.Writer, md, html []byte) error {
	if *r.htmlFile == "" && *r.markdownFile == "" {
		_, err := stdout.Write(md)
		return err
	}
	if *r.htmlFile != "" {
		if err := os.WriteFile(*r.htmlFile, html, 0o644); err != nil {
			return fmt.Errorf("write html: %w", err)
		}
	}
	if *r.markdownFile != "" {
		if err := os.WriteFile(*r.markdownFile, md, 0o644); err != nil {
			return fmt.Errorf("write markdown: %w", err)
		}
	}
	return nil
}

// timeoutQuerier bounds each query to Prometheus.
type timeoutQuerier struct {
	api     v1.API
	timeout time.Duration
}

func (q timeoutQuerier) QueryRange(ctx context.Context, query string, rg v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	return q.api.QueryRange(ctx, query, rg, opts...)
}
