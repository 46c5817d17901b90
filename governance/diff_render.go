package governance

import (
	"bytes"
	"fmt"
	"strings"
)

// summary is the one-line count of a report.
func (r DiffReport) summary() string {
	if r.Changes() == 0 {
		return "no KPI changes"
	}
	return fmt.Sprintf("%d changes in %d KPIs: %d breaking, %d change numbers, %d info",
		r.Changes(), len(r.KPIs), r.Count(ImpactBreaking), r.Count(ImpactNumbers), r.Count(ImpactInfo))
}

func hashes(d KPIDiff) string {
	switch {
	case d.OldHash == "":
		return "definition " + d.NewHash
	case d.NewHash == "":
		return "definition " + d.OldHash
	case d.OldHash == d.NewHash:
		return "definition " + d.NewHash + " (unchanged)"
	}
	return "definition " + d.OldHash + " -> " + d.NewHash
}

func impactTag(i Impact) string {
	if i == ImpactBreaking {
		return "BREAKING"
	}
	return string(i)
}

// DiffText renders the report for a terminal or a CI log.
func DiffText(r DiffReport) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "KPI catalog diff: %s.\n", r.summary())
	for _, d := range r.KPIs {
		fmt.Fprintf(&b, "\n%s (team %s) %s, %s\n", d.Name, d.Team, d.Status, hashes(d))
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "  %-15s %s", impactTag(c.Impact), c.What)
			if c.Field == "sql" {
				b.WriteString(":\n")
				for _, l := range lineDiff(c.Old, c.New) {
					fmt.Fprintf(&b, "      %s\n", strings.TrimRight(l, " "))
				}
				continue
			}
			b.WriteString(oldNew(c, func(s string) string { return s }))
			b.WriteByte('\n')
		}
	}
	if missing := r.missing(); len(missing) > 0 {
		fmt.Fprintf(&b, "\n%s without a new change-log entry:\n", definitionChanges(len(missing)))
		for _, d := range missing {
			fmt.Fprintf(&b, "%s: kpi %s: %s\n", d.Pos, d.Name, d.ChangeLogProblem())
		}
	}
	return b.Bytes()
}

func definitionChanges(n int) string {
	if n == 1 {
		return "1 definition change"
	}
	return fmt.Sprintf("%d definition changes", n)
}

// ChangeLogProblem says why the KPI fails a required change log: its
// definition changed without a new entry, or its earlier entries were
// edited or removed.
func (d KPIDiff) ChangeLogProblem() string {
	var p []string
	if d.ChangeLogMissing {
		p = append(p, "the definition changed ("+d.OldHash+" -> "+d.NewHash+") without a new changelog entry (date, author, approver, reason)")
	}
	if d.ChangeLogRewritten {
		p = append(p, "earlier changelog entries were edited or removed; the change log is append-only")
	}
	return strings.Join(p, "; ")
}

// missing is MissingChangeLog when the report requires a change log.
func (r DiffReport) missing() []KPIDiff {
	if !r.RequireChangeLog {
		return nil
	}
	return r.MissingChangeLog()
}

func oldNew(c Change, quote func(string) string) string {
	if c.Field != "kpi" && c.Field != "labels" && c.Field != "changelog" && c.Old != c.New {
		// A key set or unset on one side: say so rather than print nothing.
		o, n := c.Old, c.New
		if o == "" {
			o = "none"
		}
		if n == "" {
			n = "none"
		}
		return ": " + quote(o) + " -> " + quote(n)
	}
	switch {
	case c.Old != "" && c.New != "":
		return ": " + quote(c.Old) + " -> " + quote(c.New)
	case c.Old != "":
		return ": " + quote(c.Old)
	case c.New != "":
		return ": " + quote(c.New)
	}
	return ""
}

// DiffMarkdown renders the report as Markdown to paste into a code review.
func DiffMarkdown(r DiffReport) []byte {
	var b bytes.Buffer
	b.WriteString("### KPI catalog changes\n\n")
	if r.Changes() == 0 {
		b.WriteString("No KPI changes.\n")
		return b.Bytes()
	}
	fmt.Fprintf(&b, "%s.\n\n", r.summary())
	if missing := r.missing(); len(missing) > 0 {
		fmt.Fprintf(&b, "**%s without a change-log entry.** Add one (date, author, approver, reason) under `changelog` of:\n\n", definitionChanges(len(missing)))
		for _, d := range missing {
			fmt.Fprintf(&b, "- [ ] `%s` (%s)", d.Name, cell(d.Pos))
			if d.ChangeLogRewritten {
				b.WriteString(": restore its earlier entries, the change log is append-only")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	table := false // written before the first row: a diff may only add change-log entries
	code := func(s string) string { return "`" + cell(s) + "`" }
	var sql, logged []KPIDiff
	for _, d := range r.KPIs {
		if len(d.NewEntries) > 0 {
			logged = append(logged, d)
		}
		first := true
		for _, c := range d.Changes {
			if c.Field == "changelog" {
				continue // in the change-log table below
			}
			if !table {
				table = true
				b.WriteString("| KPI | Change | Impact | Definition |\n| --- | --- | --- | --- |\n")
			}
			name, def := "", ""
			if first {
				first = false
				name = code(d.Name)
				def = strings.ReplaceAll(strings.TrimPrefix(hashes(d), "definition "), "->", "→")
			}
			what := c.What
			if c.Field == "sql" {
				what += " (below)"
				sql = append(sql, d)
			} else {
				what += strings.ReplaceAll(oldNew(c, code), "->", "→")
			}
			imp := string(c.Impact)
			if c.Impact == ImpactBreaking {
				imp = "**breaking**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, what, imp, def)
		}
	}
	for _, d := range sql {
		for _, c := range d.Changes {
			if c.Field != "sql" {
				continue
			}
			fmt.Fprintf(&b, "\n<details><summary>SQL of <code>%s</code></summary>\n\n```diff\n", d.Name)
			for _, l := range lineDiff(c.Old, c.New) {
				b.WriteString(strings.TrimRight(l, " ") + "\n")
			}
			b.WriteString("```\n\n</details>\n")
		}
	}
	if len(logged) > 0 {
		b.WriteString("\n#### Change log\n\n| KPI | Date | Author | Approver | Reason | Definition |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, d := range logged {
			for _, e := range d.NewEntries {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", cell(d.Name), cell(e.Date), cell(e.Author), cell(e.Approver), cell(e.Reason),
					strings.ReplaceAll(strings.TrimPrefix(hashes(d), "definition "), "->", "→"))
			}
		}
	}
	return b.Bytes()
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}

// lineDiff returns a unified-style line diff of two texts ("- ", "+ ", "  "),
// from their longest common subsequence of lines.
func lineDiff(a, b string) []string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out = append(out, "  "+x[i])
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] > lcs[i+1][j]):
			out = append(out, "+ "+y[j])
			j++
		default:
			out = append(out, "- "+x[i])
			i++
		}
	}
	return out
}
