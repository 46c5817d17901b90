package governance

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// CheckTable renders a check report as a table, one row per KPI, followed by
// the lint findings, the problems and the warnings, and a verdict line.
func CheckTable(r CheckReport) []byte {
	var b bytes.Buffer
	tw := newTable(&b)
	fmt.Fprintln(tw, "KPI\tSOURCE\tROWS\tSERIES\tNULLS\tDUPLICATES\tOVER LIMIT\tDURATION\tSAMPLES (value / target)\tCHECK\tSTATUS")
	for _, k := range r.KPIs {
		if k.NotRun {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\tnot run\t-\n", k.KPI, k.Source)
			continue
		}
		status := "ok"
		switch {
		case !k.OK():
			status = "FAIL"
		case len(k.Warnings) > 0:
			status = "warn"
		}
		dur := time.Duration(k.Seconds * float64(time.Second)).Round(time.Millisecond).String()
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", k.KPI, k.Source, k.Rows, k.Exported, k.MaxSeries,
			k.Nulls, k.Duplicates, k.OverLimit, dur, samplesText(k.Samples), status, scoreText(k))
	}
	tw.Flush()
	b.Write(controlTable(r))
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		for _, l := range lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	var lint, problems, warnings []string
	for _, f := range r.Lint {
		lint = append(lint, f.String())
	}
	for _, k := range r.KPIs {
		for _, p := range k.Problems {
			problems = append(problems, k.KPI+": "+p)
		}
		for _, w := range k.Warnings {
			warnings = append(warnings, k.KPI+": "+w)
		}
	}
	section("Lint", lint)
	section("Problems", problems)
	section("Warnings", warnings)
	b.WriteString("\n" + r.Verdict() + "\n")
	return b.Bytes()
}

// Verdict is the one-line summary of a check.
func (r CheckReport) Verdict() string {
	var lintErrs, lintWarns, failed int
	for _, f := range r.Lint {
		if f.Severity == SeverityError {
			lintErrs++
		} else {
			lintWarns++
		}
	}
	for _, k := range r.KPIs {
		if !k.OK() {
			failed++
		}
	}
	verdict := "OK"
	if lintErrs > 0 || failed > 0 {
		verdict = "FAILED"
	}
	return fmt.Sprintf("check %s: %d KPIs, %d lint errors, %d lint warnings, %d KPIs with problems", verdict, len(r.KPIs), lintErrs, lintWarns, failed)
}

// scoreText is the status column: the worst standing of the KPI's values
// against their thresholds, in the landing page's words, and how many
// series stand there when there are several.
func scoreText(k KPICheck) string {
	if k.Status == "" {
		return "-"
	}
	w := strings.ToLower(k.Status.Word())
	if k.Exported > 1 && k.StatusCount > 0 {
		w += fmt.Sprintf(" (%d of %d)", k.StatusCount, k.Exported)
	}
	return w
}

func samplesText(ss []Sample) string {
	if len(ss) == 0 {
		return "-"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		v := fmtSample(s.Value)
		if s.Target != nil {
			v += " / " + fmtSample(*s.Target)
		}
		if s.labelText != "" {
			v = s.labelText + " " + v
		}
		parts[i] = v
	}
	return strings.Join(parts, "; ")
}

// fmtSample renders a value readably: whole numbers in full, large ones with
// one decimal, small ones with four significant digits.
func fmtSample(f float64) string {
	switch a := math.Abs(f); {
	case f == math.Trunc(f) && a < 1e15:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case a >= 1000:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}
