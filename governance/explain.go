package governance

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Explanation is a spot check of one KPI: its SQL as the database got it,
// with the bound period parameters, the first rows the database returned
// and what became of each, and the counts of the whole run. A reviewer
// compares it with the business system. cmd fills it from the collector.
type Explanation struct {
	KPI            string    `json:"kpi"`
	Team           string    `json:"team"`
	Source         string    `json:"source"`
	Driver         string    `json:"driver"`
	DefinedAt      string    `json:"defined_at"`
	DefinitionHash string    `json:"definition_hash"`
	At             time.Time `json:"at"`
	Labels         []string  `json:"label_columns,omitempty"`
	Value          string    `json:"value_column"`
	MaxSeries      int       `json:"max_series"`
	// RowLimit is how many rows of each query are shown.
	RowLimit int `json:"row_limit"`

	Query  ExplainQuery  `json:"query"`
	Target *ExplainQuery `json:"target,omitempty"`

	// Counts of the whole run, as kpi_exporter_kpi_errors_total counts
	// them by reason.
	Rows          int `json:"rows"`
	Exported      int `json:"exported"`
	Nulls         int `json:"null"`
	NonNumeric    int `json:"type"`
	InvalidLabels int `json:"invalid_label"`
	Duplicates    int `json:"duplicate"`
	OverLimit     int `json:"cardinality"`
	TargetRows    int `json:"target_rows,omitempty"`
	TargetSkipped int `json:"target_skipped,omitempty"`

	// Error is why the KPI query failed; TargetError why the target query
	// did (the values are exported without targets then).
	Error       string `json:"error,omitempty"`
	TargetError string `json:"target_error,omitempty"`
	// TargetValue is a constant target.
	TargetValue *float64 `json:"target_value,omitempty"`
	// series holds the exported label sets (SetSeries), to tell which
	// target rows found a series.
	series map[string]bool
}

// ExplainQuery is one query as sent and its first rows.
type ExplainQuery struct {
	SQL     string         `json:"sql"`
	Params  []ExplainParam `json:"params,omitempty"`
	Columns []string       `json:"columns,omitempty"`
	Rows    []ExplainRow   `json:"rows"`
}

// ExplainParam is one bound period parameter, in placeholder order.
type ExplainParam struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// ExplainRow is one row as the database returned it, and what became of it.
// Its fields are the collector's ExplainedRow's, so cmd converts one into
// the other.
type ExplainRow struct {
	Row int `json:"row"`
	// Values are the columns, nil for NULL.
	Values []any `json:"values"`
	// Skipped is the reason the row was skipped (null, type, invalid_label,
	// duplicate, cardinality), empty for a row that became a series.
	Skipped string   `json:"skipped,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Value   float64  `json:"value"`
	// First is the row whose series a duplicate repeats.
	First int `json:"first,omitempty"`
}

// SetSeries records the label sets the run exported (in the KPI's label
// order), so that the target rows can say whether they found a series.
func (e *Explanation) SetSeries(labelSets [][]string) {
	e.series = map[string]bool{}
	for _, l := range labelSets {
		e.series[strings.Join(l, "\xff")] = true
	}
}

// maxCellRunes bounds a value shown in the text table.
const maxCellRunes = 40

// ExplainText renders an explanation for a terminal or a review comment.
func ExplainText(e Explanation) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "KPI %s (team %s), defined at %s, definition %s\n", e.KPI, e.Team, e.DefinedAt, e.DefinitionHash)
	fmt.Fprintf(&b, "Run on source %s (%s) at %s\n", e.Source, e.Driver, e.At.UTC().Format(time.RFC3339))
	labels := "none"
	if len(e.Labels) > 0 {
		labels = strings.Join(e.Labels, ", ")
	}
	fmt.Fprintf(&b, "Label columns: %s; value column: %s; max_series: %d\n", labels, e.Value, e.MaxSeries)
	writeQuery(&b, "SQL", e.Query)
	if e.Error != "" {
		fmt.Fprintf(&b, "\nThe query failed: %s\n", e.Error)
		return b.Bytes()
	}
	writeRows(&b, e.Query, e.Rows, e.RowLimit, func(r ExplainRow) string { return rowOutcome(e, r) })
	fmt.Fprintf(&b, "\n%d rows: %d exported as series; skipped: %d NULL value, %d not a number, %d invalid label, %d duplicate label set, %d over max_series.\n",
		e.Rows, e.Exported, e.Nulls, e.NonNumeric, e.InvalidLabels, e.Duplicates, e.OverLimit)
	switch {
	case e.TargetValue != nil:
		fmt.Fprintf(&b, "Target: the constant %s for every series.\n", numText(*e.TargetValue))
	case e.Target != nil:
		writeQuery(&b, "Target SQL", *e.Target)
		if e.TargetError != "" {
			fmt.Fprintf(&b, "\nThe target query failed, so the values are exported without targets: %s\n", e.TargetError)
			break
		}
		writeRows(&b, *e.Target, e.TargetRows, e.RowLimit, func(r ExplainRow) string { return targetOutcome(e, r) })
		fmt.Fprintf(&b, "\n%d target rows, %d skipped.\n", e.TargetRows, e.TargetSkipped)
	}
	return b.Bytes()
}

func writeQuery(b *bytes.Buffer, title string, q ExplainQuery) {
	fmt.Fprintf(b, "\n%s as sent:\n", title)
	for _, l := range strings.Split(strings.TrimRight(q.SQL, "\n "), "\n") {
		fmt.Fprintf(b, "  %s\n", l)
	}
	if len(q.Params) == 0 {
		return
	}
	b.WriteString("Parameters, in placeholder order:\n")
	for i, p := range q.Params {
		v := cellText(p.Value)
		if sec, ok := p.Value.(int64); ok && strings.HasSuffix(p.Name, "_unix") {
			v += " (" + time.Unix(sec, 0).UTC().Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(b, "  %d. :%s = %s\n", i+1, p.Name, v)
	}
}

func writeRows(b *bytes.Buffer, q ExplainQuery, total, limit int, outcome func(ExplainRow) string) {
	rows := q.Rows
	if len(rows) == 0 {
		b.WriteString("\nThe query returned no rows.\n")
		return
	}
	fmt.Fprintf(b, "\nFirst rows (at most %d):\n", limit)
	tw := newTable(b)
	fmt.Fprintf(tw, "  ROW\t%s\tOUTCOME\n", strings.ToUpper(strings.Join(q.Columns, "\t")))
	for _, r := range rows {
		cells := make([]string, len(r.Values))
		for i, v := range r.Values {
			cells[i] = cellText(v)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", r.Row, strings.Join(cells, "\t"), outcome(r))
	}
	tw.Flush()
	if more := total - len(rows); more > 0 {
		fmt.Fprintf(b, "  ... and %d more rows (raise --rows to see them; the counts below cover every row)\n", more)
	}
}

// rowOutcome says in words what became of a row of the KPI query.
func rowOutcome(e Explanation, r ExplainRow) string {
	switch r.Skipped {
	case "":
		return "series " + seriesText(e.Labels, r.Labels) + " = " + numText(r.Value)
	case catalog.ReasonNull:
		return "skipped (null): the value is NULL"
	case catalog.ReasonType:
		return "skipped (type): the value is not a finite number"
	case catalog.ReasonInvalidLabel:
		return "skipped (invalid_label): a label is not valid UTF-8"
	case catalog.ReasonDuplicate:
		return fmt.Sprintf("skipped (duplicate): same labels as row %d", r.First)
	case catalog.ReasonCardinality:
		return fmt.Sprintf("skipped (cardinality): beyond max_series %d", e.MaxSeries)
	}
	return "skipped (" + r.Skipped + ")"
}

// targetOutcome says in words what became of a row of the target query.
func targetOutcome(e Explanation, r ExplainRow) string {
	switch r.Skipped {
	case "":
		if e.series != nil && !e.series[strings.Join(r.Labels, "\xff")] {
			return "target " + numText(r.Value) + ", but no series has these labels"
		}
		return "target " + numText(r.Value) + " of series " + seriesText(e.Labels, r.Labels)
	case catalog.ReasonDuplicate:
		return "skipped (duplicate): an earlier target row has the same labels"
	}
	return rowOutcome(e, r)
}

func seriesText(names, values []string) string {
	parts := make([]string, 0, len(names))
	for i, n := range names {
		if i < len(values) {
			parts = append(parts, n+"="+strconv.Quote(values[i]))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// cellText shows a value the driver returned: NULL, numbers as written,
// times in RFC 3339, text quoted when it is not plain, and long text cut.
func cellText(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case float64:
		return numText(x)
	case string:
		s = x
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\t\n\r") || s == "" || s == "NULL" || strings.TrimSpace(s) != s {
			s = strconv.Quote(s)
		}
	default:
		s = fmt.Sprint(x)
	}
	if utf8.RuneCountInString(s) > maxCellRunes {
		s = string([]rune(s)[:maxCellRunes-1]) + "…"
	}
	return s
}

// numText writes a number in full, as a reviewer compares it with the
// business system (1500000, not 1.5e+06), but huge ones in exponent form.
func numText(f float64) string {
	if f != 0 && (math.Abs(f) >= 1e21 || math.Abs(f) < 1e-6) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
