package collector

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// valueKind is what a scanned value turned out to be.
type valueKind uint8

const (
	valueOK valueKind = iota
	valueNull
	valueNotNumber
)

// valueHolder is the sql.Scanner of a value column. Numbers, decimals (also
// as text), booleans (1 or 0) and timestamps (Unix seconds) are accepted. NaN
// and infinities are not: a KPI value is a measured number, and NaN would
// make every alert comparison silently false. It never fails the scan: a bad
// value is a row to skip and count.
type valueHolder struct {
	v    float64
	kind valueKind
}

func (h *valueHolder) Scan(src any) error {
	h.kind = valueOK
	switch x := src.(type) {
	case nil:
		h.kind = valueNull
	case int64:
		h.v = float64(x)
	case float64:
		h.v = x
	case float32:
		h.v = float64(x)
	case int32:
		h.v = float64(x)
	case uint64:
		h.v = float64(x)
	case bool:
		h.v = b2f(x)
	case time.Time:
		h.v = float64(x.UnixNano()) / 1e9
	case []byte:
		h.parse(string(x))
	case string:
		h.parse(x)
	default:
		h.kind = valueNotNumber
	}
	if h.kind == valueOK && (math.IsNaN(h.v) || math.IsInf(h.v, 0)) {
		h.kind = valueNotNumber
	}
	return nil
}

// parse reads a number written as text, such as a DECIMAL, or a boolean.
func (h *valueHolder) parse(s string) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		h.v = f
		return
	}
	switch strings.ToLower(s) {
	case "true", "t":
		h.v = 1
	case "false", "f":
		h.v = 0
	default:
		h.kind = valueNotNumber
	}
}

// labelHolder is the sql.Scanner of a label column. NULL becomes the empty
// string, which Prometheus treats as an absent label; text that is not UTF-8
// marks the row invalid.
type labelHolder struct {
	s       string
	invalid bool
}

func (h *labelHolder) Scan(src any) error {
	h.invalid = false
	switch x := src.(type) {
	case nil:
		h.s = ""
	case []byte:
		h.s = string(x) // copied: the driver reuses its buffer
	case string:
		h.s = x
	case int64:
		h.s = strconv.FormatInt(x, 10)
	case float64:
		h.s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		h.s = strconv.FormatBool(x)
	case time.Time:
		h.s = x.UTC().Format(time.RFC3339)
	default:
		h.s = fmt.Sprint(x)
	}
	h.invalid = !utf8.ValidString(h.s)
	return nil
}

// rowReader scans a query's rows into a KPI's labels and value with one set
// of holders.
type rowReader struct {
	rows    *sql.Rows
	columns []string
	labels  []labelHolder
	value   valueHolder
	dest    []any // one per column, pointing at a holder or a discard
	// raw holds each column of the current row as the driver returned it,
	// after keepRaw: what explain shows.
	raw []any
}

// keepRaw makes the reader keep each column's value as the driver returned
// it, in raw, before the holders convert it.
func (r *rowReader) keepRaw() {
	r.raw = make([]any, len(r.dest))
	for i, d := range r.dest {
		r.dest[i] = &rawScanner{into: d, raw: &r.raw[i]}
	}
}

// rawScanner keeps a copy of the driver's value and hands it on to the
// column's holder.
type rawScanner struct {
	into any // a sql.Scanner, or a *any that discards
	raw  *any
}

func (s *rawScanner) Scan(src any) error {
	if b, ok := src.([]byte); ok {
		src = string(b) // copied: the driver reuses its buffer
	}
	*s.raw = src
	if sc, ok := s.into.(sql.Scanner); ok {
		return sc.Scan(src)
	}
	return nil
}

// newRowReader maps the KPI's label and value columns onto the result's
// columns. Column names match exactly, or else ignoring case (PostgreSQL folds
// unquoted aliases to lower case).
func newRowReader(rows *sql.Rows, labelCols []string, valueCol string) (*rowReader, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, readError{err}
	}
	r := &rowReader{rows: rows, columns: cols, labels: make([]labelHolder, len(labelCols)), dest: make([]any, len(cols))}
	for i := range r.dest {
		r.dest[i] = new(any)
	}
	var missing []string
	for i, lc := range labelCols {
		if c := findColumn(cols, lc); c >= 0 {
			r.dest[c] = &r.labels[i]
		} else {
			missing = append(missing, lc)
		}
	}
	if c := findColumn(cols, valueCol); c >= 0 {
		r.dest[c] = &r.value
	} else {
		missing = append(missing, valueCol)
	}
	if len(missing) > 0 {
		return r, fmt.Errorf("%w: result has no column %s (columns: %s)", ErrMissingColumn, strings.Join(quoteAll(missing), ", "), strings.Join(quoteAll(cols), ", "))
	}
	return r, nil
}

func findColumn(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	for i, c := range cols {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// next scans the next row into the holders. It returns false after the last
// row; an error reading the rows comes back as a readError.
func (r *rowReader) next() (bool, error) {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return false, readError{err}
		}
		return false, nil
	}
	if err := r.rows.Scan(r.dest...); err != nil {
		return false, readError{err}
	}
	return true, nil
}

// invalidLabel reports whether a label of the current row was not UTF-8.
func (r *rowReader) invalidLabel() bool {
	for i := range r.labels {
		if r.labels[i].invalid {
			return true
		}
	}
	return false
}

// labelValues returns the current row's label values.
func (r *rowReader) labelValues() []string {
	out := make([]string, len(r.labels))
	for i := range r.labels {
		out[i] = r.labels[i].s
	}
	return out
}

// labelKey identifies a label set. Valid UTF-8 never holds the byte 0xff, so
// the joined form is unambiguous.
func labelKey(labels []string) string { return strings.Join(labels, "\xff") }

// rowHook hears what a run does: the query as bound, and what the
// conversion did with each row (skipped names the reason, "" for a row
// that became a series). Explain sets one; the exporter runs without.
type rowHook struct {
	query  func(target bool, text string, names []string, args []any)
	row    func(r *rowReader, skipped string)
	target func(r *rowReader, skipped string)
}

// convertRows reads every row of a KPI query into res: the first row of each
// label set is kept, up to max_series; the others are counted by reason.
func convertRows(rows *sql.Rows, k *catalog.KPI, res *Result, hook *rowHook) error {
	r, err := newRowReader(rows, k.Labels, k.Value)
	if r != nil {
		res.Columns = r.columns
	}
	if err != nil {
		return err
	}
	if hook != nil {
		r.keepRaw()
	}
	st := &res.Stats
	seen := map[string]struct{}{}
	for {
		more, err := r.next()
		if err != nil {
			return err
		}
		if !more {
			break
		}
		st.Rows++
		skipped := ""
		switch {
		case r.value.kind == valueNull:
			st.Nulls++
			skipped = catalog.ReasonNull
		case r.value.kind == valueNotNumber:
			st.NonNumeric++
			skipped = catalog.ReasonType
		case r.invalidLabel():
			st.InvalidLabels++
			skipped = catalog.ReasonInvalidLabel
		default:
			labels := r.labelValues()
			key := labelKey(labels)
			if _, dup := seen[key]; dup {
				st.Duplicates++
				skipped = catalog.ReasonDuplicate
			} else if len(res.Series) >= k.MaxSeries {
				st.OverLimit++
				skipped = catalog.ReasonCardinality
			} else {
				seen[key] = struct{}{}
				res.Series = append(res.Series, Series{Labels: labels, Value: r.value.v})
			}
		}
		if hook != nil {
			hook.row(r, skipped)
		}
	}
	st.Exported = len(res.Series)
	return nil
}

// convertTargets reads target SQL rows into a map from label set to target.
// NULL, non-numeric, invalid and repeated rows are skipped and counted.
func convertTargets(rows *sql.Rows, k *catalog.KPI, st *Stats, hook *rowHook) (map[string]float64, error) {
	r, err := newRowReader(rows, k.Labels, k.Target.Column)
	if err != nil {
		return nil, err
	}
	if hook != nil {
		r.keepRaw()
	}
	targets := map[string]float64{}
	for {
		more, err := r.next()
		if err != nil {
			return nil, err
		}
		if !more {
			return targets, nil
		}
		st.TargetRows++
		skipped := ""
		switch {
		case r.value.kind == valueNull:
			skipped = catalog.ReasonNull
		case r.value.kind == valueNotNumber:
			skipped = catalog.ReasonType
		case r.invalidLabel():
			skipped = catalog.ReasonInvalidLabel
		default:
			key := labelKey(r.labelValues())
			if _, dup := targets[key]; dup {
				skipped = catalog.ReasonDuplicate
			} else {
				targets[key] = r.value.v
			}
		}
		if skipped != "" {
			st.TargetSkipped++
		}
		if hook != nil {
			hook.target(r, skipped)
		}
	}
}

// joinTargets sets each series' target from the target rows with the same
// labels.
func joinTargets(series []Series, targets map[string]float64) {
	for i := range series {
		s := &series[i]
		s.Target, s.HasTarget = targets[labelKey(s.Labels)]
	}
}
