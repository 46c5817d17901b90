package collector

import (
	"context"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Explanation is one run of a KPI told row by row, for a reviewer to compare
// with the business system: each query as sent with its parameters, the
// first rows it returned, and what the conversion did with each of them.
// The rows come from the conversion itself (convertRows, convertTargets),
// through a hook, so that explain shows what the exporter does.
type Explanation struct {
	Query BoundQuery
	// Rows are the KPI query's first rows, up to the limit Explain got.
	Rows []ExplainedRow
	// Target is the target query, nil for a KPI without target SQL or when
	// the KPI query failed first.
	Target *BoundQuery
	// TargetRows are the target query's first rows.
	TargetRows []ExplainedRow
	// Result is the whole run, as the exporter would serve it.
	Result *Result
}

// BoundQuery is a query as the driver gets it: its text with the driver's
// placeholders, and the values of the period parameters in their order.
type BoundQuery struct {
	Text   string
	Params []Param
	// Columns are the result's columns, once a row came back.
	Columns []string
}

// Param is one bound period parameter.
type Param struct {
	Name  string
	Value any
}

// ExplainedRow is one row of a query and what became of it.
type ExplainedRow struct {
	// Row is the row's number in the result, from 1.
	Row int
	// Values are the row's columns as the driver returned them: nil for
	// NULL, text with the source's secrets redacted.
	Values []any
	// Skipped is the reason the row was skipped, as the reason label of
	// kpi_exporter_kpi_errors_total counts it (null, type, invalid_label,
	// duplicate, cardinality); "" for a row that became a series, or a
	// target.
	Skipped string
	// Labels and Value are what the row converted to.
	Labels []string
	Value  float64
	// First is the earlier row that made the series a duplicate repeats.
	First int
}

// Explain runs k once at now, as RunWindow does, and reports the first
// maxRows rows of each query and what became of them.
func Explain(ctx context.Context, cat *catalog.Catalog, k *catalog.KPI, srcs map[string]*Source, now time.Time, maxRows int) (*Explanation, error) {
	ex := &Explanation{}
	redact := func(source string) func(string) string {
		if s := srcs[source]; s != nil {
			return s.Redact
		}
		return func(s string) string { return s }
	}
	made := map[string]int{} // label set -> the row that made its series, at most max_series
	rows, targetRows := 0, 0
	hook := &rowHook{
		query: func(target bool, text string, names []string, args []any) {
			q := &BoundQuery{Text: text}
			for i, n := range names {
				q.Params = append(q.Params, Param{Name: n, Value: args[i]})
			}
			if target {
				ex.Target = q
			} else {
				ex.Query = *q
			}
		},
		row: func(r *rowReader, skipped string) {
			rows++
			first := 0
			if skipped == "" || skipped == catalog.ReasonDuplicate {
				key := labelKey(r.labelValues())
				if skipped == "" {
					made[key] = rows
				}
				first = made[key]
			}
			ex.Query.Columns = r.columns
			if rows <= maxRows {
				ex.Rows = append(ex.Rows, explainedRow(r, rows, skipped, first, redact(k.Source)))
			}
		},
		target: func(r *rowReader, skipped string) {
			targetRows++
			ex.Target.Columns = r.columns
			if targetRows <= maxRows {
				ex.TargetRows = append(ex.TargetRows, explainedRow(r, targetRows, skipped, 0, redact(k.Target.Source)))
			}
		},
	}
	res, err := runWindow(ctx, k, srcs, WindowOf(cat, k, now, ""), hook)
	ex.Result = res
	return ex, err
}

func explainedRow(r *rowReader, n int, skipped string, first int, redact func(string) string) ExplainedRow {
	row := ExplainedRow{Row: n, Skipped: skipped, Values: make([]any, len(r.raw))}
	for i, v := range r.raw {
		if s, ok := v.(string); ok {
			v = redact(s)
		}
		row.Values[i] = v
	}
	if skipped != catalog.ReasonNull && skipped != catalog.ReasonType {
		row.Value = r.value.v
	}
	if skipped != catalog.ReasonInvalidLabel {
		row.Labels = r.labelValues()
		for i, l := range row.Labels {
			row.Labels[i] = redact(l)
		}
	}
	if skipped == catalog.ReasonDuplicate {
		row.First = first
	}
	return row
}
