package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Markdown renders the review for a wiki.
func Markdown(r *Report) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# KPI review: %s\n\n", r.Window.Label)
	fmt.Fprintf(&b, "Period: %s.\n\n", windowText(r.Window))
	if r.Window.Partial() {
		fmt.Fprintf(&b, "> **Partial.** %s\n\n", partialText(r.Window))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "> Prometheus warned: %s\n\n", mdCell(w))
	}
	for _, t := range r.Teams {
		fmt.Fprintf(&b, "## Team %s\n\n", t.Title)
		b.WriteString("| KPI | Series | Value | Target | Attainment | Status | In warning | In critical | Previous | Change |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		for _, k := range t.KPIs {
			for _, row := range rows(k) {
				f := row.f
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
					mdCell(title(k.KPI)), mdCell(row.name), FormatValue(k.KPI, f.Value), FormatValue(k.KPI, f.Target),
					FormatRatio(f.Attainment), f.Status.Word(), timeIn(f, f.InWarning), timeIn(f, f.InCritical),
					FormatValue(k.KPI, f.Previous), changeText(k, f))
			}
		}
		b.WriteString("\n")
		for _, k := range t.KPIs {
			kpiDetailsMarkdown(&b, k, r.Window.Start.Location())
		}
	}
	b.WriteString("## Act\n\n")
	if len(r.Act) == 0 {
		b.WriteString("Every KPI with a target met it.\n")
		return b.Bytes()
	}
	b.WriteString("| KPI | Team | Owner | Attainment | Status | Runbook |\n|---|---|---|---|---|---|\n")
	for _, k := range r.Act {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdCell(title(k.KPI)), mdCell(k.KPI.Team), mdCell(k.KPI.Owner),
			FormatRatio(actAttainment(k)), k.Status.Word(), mdCell(orNone(k.KPI.RunbookURL)))
	}
	return b.Bytes()
}

func kpiDetailsMarkdown(b *bytes.Buffer, k KPIResult, z *time.Location) {
	if len(k.Alerts) == 0 && len(k.GapContributors) == 0 && len(k.ChangeContributors) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s\n\n", title(k.KPI))
	if len(k.Alerts) > 0 {
		b.WriteString("Alerts that fired:\n\n| Alert | Severity | Series | Firings | Firing for | First fired |\n|---|---|---|---|---|---|\n")
		for _, a := range k.Alerts {
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s |\n", mdCell(a.Name), mdCell(a.Severity), mdCell(a.Labels),
				a.Firings, FormatDuration(a.Firing), a.First.In(z).Format("2006-01-02 15:04"))
		}
		b.WriteString("\n")
	}
	contributorsMarkdown(b, k, "Contributors to the gap to target", k.GapContributors, false)
	contributorsMarkdown(b, k, "Contributors to the change against the previous period", k.ChangeContributors, true)
}

func contributorsMarkdown(b *bytes.Buffer, k KPIResult, heading string, cs []Contributor, signed bool) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "%s:\n\n| Series | Amount | Share |\n|---|---|---|\n", heading)
	for _, c := range cs {
		amount := FormatValue(k.KPI, num(c.Amount))
		if signed {
			amount = FormatDelta(k.KPI, num(c.Amount))
		}
		share := "-"
		if c.Share.OK {
			share = FormatRatio(c.Share)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", mdCell(c.Labels), amount, share)
	}
	b.WriteString("\n")
}

// row is one line of a team's table.
type row struct {
	name string
	f    Figures
}

// rows are a KPI's lines: its headline ("all" for a rollup), then its
// series; a KPI without any value gets one "no data" line.
func rows(k KPIResult) []row {
	var out []row
	if k.Headline != nil {
		name := ""
		if len(k.KPI.Labels) > 0 {
			name = "all"
		}
		out = append(out, row{name, *k.Headline})
	}
	for _, f := range k.Series {
		out = append(out, row{f.Labels, f})
	}
	if len(out) == 0 {
		out = append(out, row{"", Figures{Status: StatusNoData}})
	}
	return out
}

// changeText is the change with whether it is better or worse.
func changeText(k KPIResult, f Figures) string {
	c := f.Change()
	s := FormatDelta(k.KPI, c)
	if b := better(k.KPI, c); b != "" {
		s += " (" + b + ")"
	}
	return s
}

// actAttainment is the attainment that put a KPI on the act list: the
// whole KPI's, or its worst series'.
func actAttainment(k KPIResult) Num {
	if k.Headline != nil {
		return k.Headline.Attainment
	}
	var worst Num
	for _, f := range k.Series {
		if f.Attainment.OK && (!worst.OK || f.Attainment.V < worst.V) {
			worst = f.Attainment
		}
	}
	return worst
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
