package main

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
	"github.com/kpi-exporter/kpi_exporter/report"
)

// The history the report is tested on: October and November 2026 in UTC,
// one sample an hour, piecewise constant so that every figure of the review
// of November can be worked out by hand. The catalog is
// testdata/report/catalog.yml.

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
}

// in reports whether t lies in [from, to).
func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// historySeries is one series of the history: its name and labels, and its
// value at each hour (false: no sample).
type historySeries struct {
	name   string
	labels string
	value  func(t time.Time) (float64, bool)
}

func always(v float64) func(time.Time) (float64, bool) {
	return func(time.Time) (float64, bool) { return v, true }
}

func reportHistory() []historySeries {
	nov := at(11, 1, 0)
	const exp = `job="kpi_exporter",instance="exporter:9187"`
	// ALERTS as Prometheus records them for the generated threshold alerts
	// (for: 2h, keep_firing_for: 5h): firing from two hours into a breach
	// until five hours after it.
	firing := func(spans ...[2]time.Time) func(time.Time) (float64, bool) {
		return func(t time.Time) (float64, bool) {
			for _, s := range spans {
				if !t.Before(s[0]) && !t.After(s[1]) {
					return 1, true
				}
			}
			return 0, false
		}
	}
	alertLabels := `alertstate="firing",kpi="delivery_ratio",owner="alice@example.com",region="north",team="ops"`
	return []historySeries{
		// delivery_ratio, north: 0.97 in November, in warning (0.85) for
		// three days from Nov 10, critical (0.70) for 12 hours on Nov 20,
		// and 0.92 (short of 0.95, not in warning) from Nov 28. October 0.96.
		{"kpi_delivery_ratio", exp + `,region="north"`, func(t time.Time) (float64, bool) {
			switch {
			case t.Before(nov):
				return 0.96, true
			case in(t, at(11, 10, 0), at(11, 13, 0)):
				return 0.85, true
			case in(t, at(11, 20, 0), at(11, 20, 12)):
				return 0.70, true
			case !t.Before(at(11, 28, 0)):
				return 0.92, true
			}
			return 0.97, true
		}},
		// south: 0.98 in October, 0.96 in November.
		{"kpi_delivery_ratio", exp + `,region="south"`, func(t time.Time) (float64, bool) {
			if t.Before(nov) {
				return 0.98, true
			}
			return 0.96, true
		}},
		{"kpi_delivery_target_ratio", exp + `,region="north"`, always(0.95)},
		{"kpi_delivery_target_ratio", exp + `,region="south"`, always(0.95)},
		// ticket_backlog (lower is better, target 100, warning 120,
		// critical 150): 110 in October; 90 in November, 130 on Nov 5, 95
		// on Nov 30.
		{"kpi_ticket_backlog", exp, func(t time.Time) (float64, bool) {
			switch {
			case t.Before(nov):
				return 110, true
			case in(t, at(11, 5, 0), at(11, 6, 0)):
				return 130, true
			case !t.Before(at(11, 30, 0)):
				return 95, true
			}
			return 90, true
		}},
		{"kpi_ticket_backlog_target", exp, always(100)},
		// revenue_eur per channel (warning 90%, critical 75% of target):
		// web 1000 in October; 1100 in November, 700 (critical) for six
		// hours on Nov 15, 800 (warning) from Nov 25. Store 450 in October,
		// 480 in November.
		{"kpi_revenue_eur", exp + `,channel="web"`, func(t time.Time) (float64, bool) {
			switch {
			case t.Before(nov):
				return 1000, true
			case in(t, at(11, 15, 0), at(11, 15, 6)):
				return 700, true
			case !t.Before(at(11, 25, 0)):
				return 800, true
			}
			return 1100, true
		}},
		{"kpi_revenue_eur", exp + `,channel="store"`, func(t time.Time) (float64, bool) {
			if t.Before(nov) {
				return 450, true
			}
			return 480, true
		}},
		{"kpi_revenue_target_eur", exp + `,channel="web"`, always(1000)},
		{"kpi_revenue_target_eur", exp + `,channel="store"`, always(500)},
		// nps_score has no samples at all.
		{"ALERTS", `alertname="KPIThresholdWarning",` + alertLabels + `,severity="warning"`,
			firing([2]time.Time{at(11, 10, 2), at(11, 13, 4)}, [2]time.Time{at(11, 20, 2), at(11, 20, 16)})},
		{"ALERTS", `alertname="KPIThresholdCritical",` + alertLabels + `,severity="critical"`,
			firing([2]time.Time{at(11, 20, 2), at(11, 20, 16)})},
	}
}

// writeOpenMetrics writes the history as OpenMetrics, every family's
// samples together, as promtool's backfill reads them.
func writeOpenMetrics(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	typed := map[string]bool{}
	for _, s := range reportHistory() {
		if !typed[s.name] {
			fmt.Fprintf(w, "# TYPE %s gauge\n", s.name)
			typed[s.name] = true
		}
		for ts := at(10, 1, 0); ts.Before(at(12, 1, 0)); ts = ts.Add(time.Hour) {
			if v, ok := s.value(ts); ok {
				fmt.Fprintf(w, "%s{%s} %s %d\n", s.name, s.labels, strconv.FormatFloat(v, 'g', -1, 64), ts.Unix())
			}
		}
	}
	w.WriteString("# EOF\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// historyPrometheus is a real Prometheus serving the history and the
// generated recording rules backfilled over it.
type historyPrometheus struct {
	url     string
	catalog string
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startPrometheus(t *testing.T, bin, dir, data string) (*testproc.Process, string) {
	t.Helper()
	addr := freePort(t)
	p := testproc.Start(t, "prometheus", dir, bin, nil,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address="+addr)
	url := "http://" + addr
	p.WaitHTTP(t, http.DefaultClient, url+"/-/ready", true, 60*time.Second)
	return p, url
}

func runTool(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
}

func newHistoryPrometheus(t *testing.T) historyPrometheus {
	t.Helper()
	prom := testdb.RequireBinary(t, "prometheus", "prometheus")
	promtool := testdb.RequireBinary(t, "promtool", "prometheus")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeFile(t, dir, "prometheus.yml", "global:\n  evaluation_interval: 1h\n")
	om := filepath.Join(dir, "history.om")
	writeOpenMetrics(t, om)
	runTool(t, promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=1500h", om, data)

	// The recording rules the catalog generates, evaluated over the raw
	// history by the real Prometheus and backfilled beside it. A rule that
	// reads another rule's records waits for a later pass, once those are
	// in the data (promtool's rule backfill evaluates each rule on its own,
	// one query and one block per rule and per two hours: nine minutes for
	// this history, and nothing for a rule that reads another's records).
	gen := filepath.Join(dir, "generated")
	cat := filepath.Join("testdata", "report", "catalog.yml")
	if code, _, stderr := execCLI(t, "generate", "--config.file", cat, "--output.dir", gen); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	pending := recordingRules(t, filepath.Join(gen, "rules"))
	p, url := startPrometheus(t, prom, dir, data)
	for pass := 1; len(pending) > 0; pass++ {
		var ready, later []recordingRule
		for _, r := range pending {
			if slices.ContainsFunc(pending, func(o recordingRule) bool { return o.Record != r.Record && reads(r.Expr, o.Record) }) {
				later = append(later, r)
			} else {
				ready = append(ready, r)
			}
		}
		if len(ready) == 0 {
			t.Fatalf("the generated recording rules read each other in a cycle: %v", pending)
		}
		om := filepath.Join(dir, fmt.Sprintf("recorded-%d.om", pass))
		evaluateRules(t, url, ready, om)
		recorded := filepath.Join(dir, fmt.Sprintf("recorded-%d", pass))
		runTool(t, promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=1500h", om, recorded)
		p.Stop(15 * time.Second)
		blocks, _ := os.ReadDir(recorded)
		for _, b := range blocks {
			if err := os.Rename(filepath.Join(recorded, b.Name()), filepath.Join(data, b.Name())); err != nil {
				t.Fatal(err)
			}
		}
		p, url = startPrometheus(t, prom, dir, data)
		pending = later
	}
	return historyPrometheus{url: url, catalog: cat}
}

type recordingRule struct {
	Record, Expr string
	Labels       map[string]string
}

// recordingRules reads the recording rules of every generated rule file.
func recordingRules(t *testing.T, dir string) []recordingRule {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	var out []recordingRule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		groups, errs := rulefmt.Parse(data, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			t.Fatalf("%s: %v", f, errs)
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					out = append(out, recordingRule{r.Record, r.Expr, r.Labels})
				}
			}
		}
	}
	return out
}

// reads reports whether a PromQL expression selects the series name.
func reads(expr, name string) bool {
	for i := 0; ; {
		j := strings.Index(expr[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(expr) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:", rune(expr[end])) {
			return true
		}
		i = end
	}
}

// evaluateRules evaluates recording rules hourly over the history, as
// Prometheus's rule manager would have, and writes what they record as
// OpenMetrics: the result's labels with the rule's labels over them.
func evaluateRules(t *testing.T, url string, rules []recordingRule, path string) {
	t.Helper()
	client, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	promAPI := v1.NewAPI(client)
	var b strings.Builder
	for _, r := range rules {
		v, _, _, err := promAPI.QueryRange(context.Background(), r.Expr, v1.Range{Start: at(10, 1, 0), End: at(11, 30, 23), Step: time.Hour})
		if err != nil {
			t.Fatalf("evaluate %s: %v", r.Record, err)
		}
		fmt.Fprintf(&b, "# TYPE %s gauge\n", r.Record)
		for _, s := range v.(model.Matrix) {
			ls := model.LabelSet{}
			for n, lv := range s.Metric {
				ls[n] = lv
			}
			delete(ls, model.MetricNameLabel)
			for n, lv := range r.Labels {
				ls[model.LabelName(n)] = model.LabelValue(lv)
			}
			var pairs []string
			for n, lv := range ls {
				pairs = append(pairs, string(n)+"="+strconv.Quote(string(lv)))
			}
			slices.Sort(pairs)
			for _, p := range s.Values {
				fmt.Fprintf(&b, "%s{%s} %s %d\n", r.Record, strings.Join(pairs, ","), strconv.FormatFloat(float64(p.Value), 'g', -1, 64), p.Timestamp.Unix())
			}
		}
	}
	b.WriteString("# EOF\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReportAgainstARealPrometheus(t *testing.T) {
	hp := newHistoryPrometheus(t)
	reportArgs := func(extra ...string) []string {
		return append([]string{"report", "--config.file", hp.catalog, "--prometheus.url", hp.url, "--query.step=1h"}, extra...)
	}
	const decemberFourth = "--report.at=2026-12-04T10:00:00Z"

	t.Run("every figure of a closed month is the one worked out by hand", func(t *testing.T) {
		code, stdout, stderr := execCLI(t, reportArgs(decemberFourth, "--period=month")...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stderr != "" {
			t.Errorf("a closed month warns: %s", stderr)
		}
		want := []string{
			"# KPI review: month 2026-11",
			"Period: 2026-11-01 00:00 to 2026-12-01 00:00 (UTC), compared with 2026-10-01 00:00 to 2026-11-01 00:00.",
			"## Team ops",
			// north ends at 0.92 (0.92/0.95 = 96.8%), 72 hours at 0.85, 12 at 0.70.
			"| delivery_ratio | region=north | 92.0% | 95.0% | 96.8% | OK | 3d | 12h | 96.0% | -4.0 pp (worse) |",
			"| delivery_ratio | region=south | 96.0% | 95.0% | 101.1% | OK | 0h | 0h | 98.0% | -2.0 pp (worse) |",
			// 100/95 = 105.3%; 24 hours at 130.
			"| ticket_backlog |  | 95 | 100 | 105.3% | OK | 1d | 0h | 110 | -15 (better) |",
			// 800 + 480 against 1000 + 500: 85.3%; web 144 hours at 800, 6 at 700.
			"| revenue_eur | all | 1,280.00 EUR | 1,500.00 EUR | 85.3% | Warning | 6d | 6h | 1,450.00 EUR | -170.00 EUR (worse) |",
			"| revenue_eur | channel=store | 480.00 EUR | 500.00 EUR | 96.0% | OK | 0h | 0h | 450.00 EUR | +30.00 EUR (better) |",
			"| revenue_eur | channel=web | 800.00 EUR | 1,000.00 EUR | 80.0% | Warning | 6d | 6h | 1,000.00 EUR | -200.00 EUR (worse) |",
			"| nps_score |  | no data | no data | no data | No data | no data | no data | no data | no data |",
			// Warning fired Nov 10 02:00 to Nov 13 04:00 (75 h) and Nov 20
			// 02:00 to 16:00 (15 h); critical Nov 20 02:00 to 16:00.
			"| KPIThresholdWarning | warning | region=north | 2 | 3d 18h | 2026-11-10 02:00 |",
			"| KPIThresholdCritical | critical | region=north | 1 | 15h | 2026-11-20 02:00 |",
			// The gap to target: north 0.95 - 0.92; south is above target.
			"Contributors to the gap to target:\n\n| Series | Amount | Share |\n|---|---|---|\n| region=north | 3.0% | - |\n\n",
			"Contributors to the change against the previous period:\n\n| Series | Amount | Share |\n|---|---|---|\n| region=north | -4.0 pp | - |\n| region=south | -2.0 pp | - |\n\n",
			// Revenue's gap of 220: web 200 (90.9%), store 20 (9.1%); its
			// change of -170: web -200 (117.6%), store +30 (-17.6%).
			"| channel=web | 200.00 EUR | 90.9% |\n| channel=store | 20.00 EUR | 9.1% |\n",
			"| channel=web | -200.00 EUR | 117.6% |\n| channel=store | +30.00 EUR | -17.6% |\n",
			"## Act\n\n| KPI | Team | Owner | Attainment | Status | Runbook |\n|---|---|---|---|---|---|\n" +
				"| delivery_ratio | ops | alice@example.com | 96.8% | OK | https://runbooks.example.com/delivery |\n" +
				"| revenue_eur | sales | bob@example.com | 85.3% | Warning | https://runbooks.example.com/revenue |\n",
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("the review lacks\n%s\n---- review ----\n%s", w, stdout)
			}
		}
		if strings.Contains(stdout, "### ticket_backlog") || strings.Contains(stdout, "### nps_score") {
			t.Errorf("a KPI without alerts or label columns has a details section:\n%s", stdout)
		}
	})

	t.Run("explicit dates review the same days as the calendar month", func(t *testing.T) {
		_, month, _ := execCLI(t, reportArgs(decemberFourth, "--period=month")...)
		code, dates, stderr := execCLI(t, reportArgs(decemberFourth, "--from=2026-11-01", "--to=2026-11-30")...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		// The same days, compared with the 30 days before them.
		if !strings.Contains(dates, "Period: 2026-11-01 00:00 to 2026-12-01 00:00 (UTC), compared with 2026-10-02 00:00 to 2026-11-01 00:00.") {
			t.Errorf("--from/--to reviews other days:\n%s", dates)
		}
		_, mBody, _ := strings.Cut(month, "## Team")
		_, dBody, _ := strings.Cut(dates, "## Team")
		if mBody != dBody {
			t.Errorf("--from/--to and --period=month differ:\n%s\n----\n%s", dates, month)
		}
	})

	t.Run("a period not yet closed is reviewed up to now with a warning", func(t *testing.T) {
		code, stdout, stderr := execCLI(t, reportArgs("--period=month", "--period.offset=0", "--report.at=2026-11-20T12:00:00Z")...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "warning: the month 2026-11 has not ended yet: the review is partial, up to 2026-11-20T12:00:00Z") {
			t.Errorf("no partial warning on stderr: %q", stderr)
		}
		for _, w := range []string{
			"> **Partial.** This period had not ended when the review was made (2026-11-20 12:00)",
			// October up to the same point.
			"compared with 2026-10-01 00:00 to 2026-10-20 12:00.",
			// The last hour before noon on Nov 20: 0.70 against 0.95.
			"| delivery_ratio | region=north | 70.0% | 95.0% | 73.7% | Critical | 3d | 12h | 96.0% | -26.0 pp (worse) |",
		} {
			if !strings.Contains(stdout, w) {
				t.Errorf("the partial review lacks\n%s\n---- review ----\n%s", w, stdout)
			}
		}
	})

	t.Run("the HTML shows statuses and trend charts in a real browser", func(t *testing.T) {
		dir := t.TempDir()
		page := filepath.Join(dir, "report.html")
		code, _, stderr := execCLI(t, reportArgs(decemberFourth, "--period=month", "--output.html", page)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<link", "src=", "url("} {
			if strings.Contains(string(html), bad) {
				t.Errorf("the page is not self-contained: it has %q", bad)
			}
		}
		// The least number of pixels of each colour: a status badge is some
		// 300 pixels, a chart's value line over a thousand, its dashed
		// target line some 400; the legends alone stay well below.
		img := screenshot(t, "file://"+page)
		for _, c := range []struct {
			what, colour string
			least        int
		}{
			{"the ok statuses", report.ColourOK, 1500},
			{"the warning statuses", report.ColourWarning, 1500},
			{"the no-data statuses", report.ColourNoData, 1000},
			{"three value lines", report.ColourValue, 3000},
			{"three target lines", report.ColourTarget, 600},
		} {
			if n := countColour(img, c.colour); n < c.least {
				t.Errorf("the screenshot shows %s (%s) in %d pixels, want at least %d", c.what, c.colour, n, c.least)
			}
		}
		// No KPI ended November critical; on Nov 20 at noon one was.
		if n := countColour(img, report.ColourCritical); n > 0 {
			t.Errorf("the review of November shows a critical status (%s) in %d pixels", report.ColourCritical, n)
		}
		partial := filepath.Join(dir, "partial.html")
		if code, _, stderr := execCLI(t, reportArgs("--period.offset=0", "--report.at=2026-11-20T12:00:00Z", "--output.html", partial)...); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := countColour(screenshot(t, "file://"+partial), report.ColourCritical); n < 300 {
			t.Errorf("the review of Nov 20 shows the critical status (%s) in %d pixels, want at least 300", report.ColourCritical, n)
		}
	})

	t.Run("the review is mailed through the catalog's SMTP settings", func(t *testing.T) {
		inbox := startInbox(t)
		dir := t.TempDir()
		src, err := os.ReadFile(hp.catalog)
		if err != nil {
			t.Fatal(err)
		}
		cat := writeFile(t, dir, "catalog.yml", strings.Replace(string(src), "smarthost: 127.0.0.1:25", "smarthost: "+inbox.addr, 1))
		code, _, stderr := execCLI(t, "report", "--config.file", cat, "--prometheus.url", hp.url, "--query.step=1h",
			"--report.at=2026-12-04T10:00:00Z", "--output.markdown", filepath.Join(dir, "r.md"),
			"--mail.to", "managers@example.com", "--mail.to", "ops@example.com")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		msgs := inbox.messages()
		if len(msgs) != 1 {
			t.Fatalf("got %d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if m.from != "kpi-report@example.com" || strings.Join(m.to, ",") != "managers@example.com,ops@example.com" {
			t.Errorf("envelope from %q to %q", m.from, m.to)
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		if s := msg.Header.Get("Subject"); s != "KPI review: month 2026-11" {
			t.Errorf("subject %q", s)
		}
		parts := mimeParts(t, msg)
		md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
		if strings.ReplaceAll(parts["text/plain"], "\r\n", "\n") != string(md) {
			t.Errorf("the text part is not the Markdown review:\n%s", parts["text/plain"])
		}
		if !strings.Contains(parts["text/html"], "<svg") || !strings.Contains(parts["text/html"], "1,280.00 EUR") {
			t.Errorf("the HTML part is not the review:\n%.500s", parts["text/html"])
		}
	})
}

func TestReportOfAnUnreachablePrometheusIsAClearFailure(t *testing.T) {
	addr := freePort(t) // closed again: nothing listens there
	code, stdout, stderr := execCLI(t, "report", "--config.file", filepath.Join("testdata", "report", "catalog.yml"),
		"--prometheus.url", "http://"+addr, "--report.at=2026-12-04T10:00:00Z")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if stdout != "" {
		t.Errorf("a failed review printed: %s", stdout)
	}
	if !strings.Contains(stderr, "kpi_exporter report: read Prometheus at http://"+addr+": ") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr does not say Prometheus is unreachable: %s", stderr)
	}
}

func TestReportRefusesAPeriodItCannotMake(t *testing.T) {
	for name, args := range map[string][]string{
		"--from without --to":      {"--from=2026-11-01"},
		"--to before --from":       {"--from=2026-11-02", "--to=2026-11-01"},
		"an unknown calendar":      {"--calendar=mars"},
		"a negative period offset": {"--period.offset=-1"},
		"days that have not begun": {"--from=2026-12-05", "--to=2026-12-06"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := execCLI(t, append([]string{"report", "--config.file", filepath.Join("testdata", "report", "catalog.yml"),
				"--report.at=2026-12-04T10:00:00Z"}, args...)...)
			if code != exitUsage || !strings.HasPrefix(stderr, "kpi_exporter report: ") {
				t.Errorf("exit %d, stderr %q; want exit %d with the reason", code, stderr, exitUsage)
			}
		})
	}
}

// screenshot opens the page (a URL) in headless Chromium and decodes what it
// shows.
func screenshot(t *testing.T, page string) image.Image {
	t.Helper()
	chromium := testdb.RequireBinary(t, "chromium", "chromium")
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1200,4000",
		"--hide-scrollbars", page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	return img
}

// countColour counts the pixels within a small distance of a #rrggbb colour.
func countColour(img image.Image, hex string) int {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	want := [3]int{int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff)}
	near := func(a, b int) bool { return a-b <= 3 && b-a <= 3 }
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(int(r>>8), want[0]) && near(int(g>>8), want[1]) && near(int(bl>>8), want[2]) {
				n++
			}
		}
	}
	return n
}

// inbox is a plain SMTP receiver on a loopback port: the few commands of
// RFC 5321 a client sending one message uses, no STARTTLS, no AUTH.
type inbox struct {
	addr string
	mu   sync.Mutex
	msgs []inboxMessage
}

type inboxMessage struct {
	from string
	to   []string
	data string
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{addr: l.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); in.session(c) }()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return in
}

func (in *inbox) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func(s string) { io.WriteString(c, s+"\r\n") }
	reply("220 inbox ready")
	var m inboxMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(cmd, " ", 2)[0])
		switch {
		case verb == "EHLO":
			reply("250 inbox")
		case verb == "HELO", verb == "NOOP", verb == "RSET":
			reply("250 ok")
		case strings.HasPrefix(strings.ToUpper(cmd), "MAIL FROM:"):
			m = inboxMessage{from: strings.Trim(cmd[len("MAIL FROM:"):], "<> ")}
			reply("250 ok")
		case strings.HasPrefix(strings.ToUpper(cmd), "RCPT TO:"):
			m.to = append(m.to, strings.Trim(cmd[len("RCPT TO:"):], "<> "))
			reply("250 ok")
		case verb == "DATA":
			reply("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			in.mu.Lock()
			in.msgs = append(in.msgs, m)
			in.mu.Unlock()
			reply("250 queued")
		case verb == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (in *inbox) messages() []inboxMessage {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]inboxMessage(nil), in.msgs...)
}

// mimeParts decodes the parts of a multipart message by media type.
func mimeParts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out[pt] = string(b)
	}
}
