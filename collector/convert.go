package collector

import (
	"database/sql/driver"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// valueKind is what a scanned value turned out to be.
type valueKind uint8

const (
	valueOK valueKind = iota
	valueNull
	valueNotNumber
)

// valueHolder scans a value column straight from the driver's value, without
// an intermediate copy. Numbers, decimals (also as text), booleans (1 or 0)
// and timestamps (Unix seconds) are accepted. NaN and infinities are not: a
// KPI value is a measured number, and NaN would make every alert comparison
// silently false.
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
		h.v = 0
		if x {
			h.v = 1
		}
	case time.Time:
		h.v = float64(x.UnixNano()) / 1e9
	case []byte:
		h.parse(unsafe.String(unsafe.SliceData(x), len(x)))
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

// parse reads a decimal number written as text. It never keeps s, which may
// point into the driver's buffer.
func (h *valueHolder) parse(s string) {
	if f, ok := parsePlainDecimal(s); ok {
		h.v = f
		return
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "t":
			h.v = 1
			return
		case "false", "f":
			h.v = 0
			return
		}
		h.kind = valueNotNumber
		return
	}
	h.v = f
}

// exactPow10 are the powers of ten that a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parsePlainDecimal parses what databases write for DECIMAL and most
// floating-point values, an optional sign, digits and an optional point, as
// strconv.ParseFloat would, when the digits make an integer below 2^53 and
// there are at most 22 after the point: the integer and the power of ten are
// then exact doubles, and their quotient is correctly rounded. It reports
// false for anything else, which strconv then parses. strconv's own parser
// handles every syntax it accepts first and took about a tenth of a
// 200,000-row run. FuzzParsePlainDecimal holds it to strconv.
func parsePlainDecimal(s string) (float64, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		i, neg = 1, s[0] == '-'
	}
	var m uint64
	seen := false
	digits, frac := 0, -1 // frac counts the digits after the point, once there is one
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 19 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			if m > 0 { // leading zeros do not count
				digits++
			}
			seen = true
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if !seen || m >= 1<<53 || frac > 22 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= exactPow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// labelHolder scans a label column. Text from the driver's buffer is copied
// into the run's textArena; NULL becomes the empty string, which Prometheus
// treats as an absent label.
type labelHolder struct {
	s       string
	invalid bool
	arena   *textArena
}

func (h *labelHolder) Scan(src any) error {
	h.invalid = false
	switch x := src.(type) {
	case nil:
		h.s = ""
	case []byte:
		if !utf8.Valid(x) {
			h.invalid = true
			return nil
		}
		h.s = h.arena.copy(x)
	case string:
		if !utf8.ValidString(x) {
			h.invalid = true
			return nil
		}
		h.s = x // the driver made it for this row
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
	return nil
}

// textArena copies label values out of the driver's buffer into shared
// chunks, so that a row's labels cost no allocation of their own. Copying
// is cheaper than looking each value up in an intern table, which cost about
// a tenth of a 200,000-row run; the price is that a value repeated over many
// rows is stored once per row, about 30 bytes per series for three labels.
type textArena struct{ chunk []byte }

const textChunk = 64 << 10

func (a *textArena) copy(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if len(p) > cap(a.chunk)-len(a.chunk) {
		// A new chunk: strings already handed out keep the old one.
		a.chunk = make([]byte, 0, max(textChunk, len(p)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return unsafe.String(&a.chunk[start], len(p))
}

// rowReader reads a query's rows into label sets and values with one set of
// reusable holders, so that a row costs no allocation beyond its new label
// strings.
type rowReader struct {
	columns  []string
	vals     []driver.Value // the current row, as the driver gave it
	labels   []labelHolder
	labelCol []int // the column of each label
	value    valueHolder
	valueCol int
}

// newRowReader maps the KPI's label and value columns onto the result's
// columns. Column names match exactly, or else ignoring case (PostgreSQL folds
// unquoted aliases to lower case).
func newRowReader(rows resultRows, labelCols []string, valueCol string, arena *textArena) (*rowReader, error) {
	cols := rows.Columns()
	r := &rowReader{columns: cols, vals: make([]driver.Value, len(cols)),
		labels: make([]labelHolder, len(labelCols)), labelCol: make([]int, len(labelCols))}
	var missing []string
	for i, lc := range labelCols {
		r.labels[i].arena = arena
		r.labelCol[i] = findColumn(cols, lc)
		if r.labelCol[i] < 0 {
			missing = append(missing, lc)
		}
	}
	r.valueCol = findColumn(cols, valueCol)
	if r.valueCol < 0 {
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

// next reads the next row into the holders. It returns false after the last
// row; a driver's error comes back as a readError.
func (r *rowReader) next(rows resultRows) (bool, error) {
	if err := rows.Next(r.vals); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, readError{err}
	}
	for i := range r.labels {
		_ = r.labels[i].Scan(r.vals[r.labelCol[i]])
	}
	_ = r.value.Scan(r.vals[r.valueCol])
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

// labelSet indexes label sets by hash to find duplicates without building a
// key string per row.
type labelSet struct {
	seed   maphash.Seed
	first  map[uint64]int32 // hash -> index of the first series with it
	slow   map[string]int32 // full keys, only for hashes shared by different label sets
	series func(i int32) []string
}

func newLabelSet(series func(int32) []string) *labelSet {
	return &labelSet{seed: maphash.MakeSeed(), first: map[uint64]int32{}, series: series}
}

func hashStrings(seed maphash.Seed, labels []string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, l := range labels {
		h.WriteString(l)
		h.WriteByte(0xff)
	}
	return h.Sum64()
}

func joinKey(labels []string) string { return strings.Join(labels, "\xff") }

func holderStrings(a []labelHolder) []string {
	out := make([]string, len(a))
	for i := range a {
		out[i] = a[i].s
	}
	return out
}

// lookup returns the index of the series with these labels, or -1.
func (s *labelSet) lookup(h uint64, labels []string) int32 {
	i, ok := s.first[h]
	if !ok {
		return -1
	}
	if equalStrings(labels, s.series(i)) {
		return i
	}
	if j, ok := s.slow[joinKey(labels)]; ok {
		return j
	}
	return -1
}

// add records series i under hash h.
func (s *labelSet) add(h uint64, i int32) {
	if _, ok := s.first[h]; !ok {
		s.first[h] = i
		return
	}
	if s.slow == nil {
		s.slow = map[string]int32{}
	}
	s.slow[joinKey(s.series(i))] = i
}

// labelArena hands out label slices from shared blocks, so that rows do not
// each allocate their own slice.
type labelArena struct {
	n     int
	block []string
}

func (a *labelArena) take(labels []labelHolder) []string {
	if a.n == 0 {
		return nil
	}
	if len(a.block) < a.n {
		a.block = make([]string, a.n*1024)
	}
	out := a.block[:a.n:a.n]
	a.block = a.block[a.n:]
	for i := range labels {
		out[i] = labels[i].s
	}
	return out
}

// lineSink receives the text exposition of a run's series as their rows are
// scanned.
type lineSink struct {
	f   *gaugeFamily
	buf []byte
	// series is how many series the previous run exported, to size the
	// run's tables once instead of growing them.
	series int
}

// convertRows reads every row of a KPI query into res. With out set, it also
// appends each exported series' sample line to out.buf.
//
// Two goroutines share the work, so that on a machine with two cores the
// driver's parsing overlaps the rest: this one scans the rows and converts
// their values and labels; the other indexes the label sets and writes the
// lines, in row order (see seriesBuilder).
func convertRows(rows resultRows, k *catalog.KPI, res *Result, out *lineSink) error {
	r, err := newRowReader(rows, k.Labels, k.Value, &textArena{})
	if r != nil {
		res.Columns = r.columns
	}
	if err != nil {
		return err
	}
	b := newSeriesBuilder(k, res, out)
	const batchRows = 256
	full := make(chan []Series, 2)
	empty := make(chan []Series, 3)
	for range cap(empty) {
		empty <- make([]Series, 0, batchRows)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range full {
			for i := range batch {
				b.add(batch[i].Labels, batch[i].Value)
			}
			empty <- batch[:0]
		}
	}()
	arena := labelArena{n: len(k.Labels)}
	st := &res.Stats
	batch := <-empty
	for {
		var more bool
		if more, err = r.next(rows); !more {
			break
		}
		st.Rows++
		switch {
		case r.value.kind == valueNull:
			st.Nulls++
			continue
		case r.value.kind == valueNotNumber:
			st.NonNumeric++
			continue
		case r.invalidLabel():
			st.InvalidLabels++
			continue
		}
		batch = append(batch, Series{Labels: arena.take(r.labels), Value: r.value.v})
		if len(batch) == batchRows {
			full <- batch
			batch = <-empty
		}
	}
	full <- batch
	close(full)
	<-done
	if err != nil {
		return err
	}
	b.finish()
	return nil
}

// seriesBuilder keeps the rows whose label sets were not seen before, up to
// max_series, and counts the others.
//
// Until the KPI has max_series series, rows are kept without looking up
// their labels, and the duplicates among them are dropped at the end (see
// duplicates). The first row that would go over max_series drops them
// early; from then on each row is looked up in a map.
type seriesBuilder struct {
	k      *catalog.KPI
	res    *Result
	out    *lineSink
	set    *labelSet
	hashes []uint64 // of every series while unchecked
	starts []int    // where each series' line starts in out.buf
	mapped bool     // duplicates were dropped; set holds every series
	// duplicates and overLimit are counted here and added to res.Stats by
	// finish, since the scanning goroutine writes the other counts.
	duplicates, overLimit int
}

func newSeriesBuilder(k *catalog.KPI, res *Result, out *lineSink) *seriesBuilder {
	b := &seriesBuilder{k: k, res: res, out: out}
	b.set = newLabelSet(func(i int32) []string { return res.Series[i].Labels })
	if out != nil && out.series > 0 {
		hint := min(out.series, k.MaxSeries)
		res.Series = make([]Series, 0, hint)
		b.hashes = make([]uint64, 0, hint)
		b.starts = make([]int, 0, hint)
	}
	return b
}

func (b *seriesBuilder) add(labels []string, v float64) {
	h := hashStrings(b.set.seed, labels)
	if !b.mapped && len(b.res.Series) >= b.k.MaxSeries {
		b.dropDuplicates()
		b.set.first = make(map[uint64]int32, len(b.res.Series))
		for i, h := range b.hashes {
			b.set.add(h, int32(i))
		}
		b.hashes, b.mapped = nil, true
	}
	if b.mapped {
		if b.set.lookup(h, labels) >= 0 {
			b.duplicates++
			return
		}
		if len(b.res.Series) >= b.k.MaxSeries {
			b.overLimit++
			return
		}
		b.set.add(h, int32(len(b.res.Series)))
	} else {
		b.hashes = append(b.hashes, h)
		if b.out != nil {
			b.starts = append(b.starts, len(b.out.buf))
		}
	}
	b.res.Series = append(b.res.Series, Series{Labels: labels, Value: v})
	if b.out != nil {
		b.out.buf = b.out.f.appendSample(b.out.buf, labels, v, false)
	}
}

// dropDuplicates cuts the repeated label sets among the unchecked series.
func (b *seriesBuilder) dropDuplicates() {
	res := b.res
	dups := duplicates(b.hashes, func(i int) []string { return res.Series[i].Labels })
	b.duplicates += len(dups)
	if len(dups) > 0 {
		res.Series, b.hashes = dropPositions(res.Series, dups), dropPositions(b.hashes, dups)
		if b.out != nil {
			b.out.buf = dropLines(b.out.buf, b.starts, dups)
		}
	}
	b.starts = nil
}

// finish checks the series not checked yet and completes res.Stats.
func (b *seriesBuilder) finish() {
	if !b.mapped {
		b.dropDuplicates()
	}
	st := &b.res.Stats
	st.Duplicates += b.duplicates
	st.OverLimit += b.overLimit
	st.Exported = len(b.res.Series)
}

// dropPositions removes the elements at the increasing positions drop.
func dropPositions[T any](s []T, drop []int) []T {
	w := drop[0]
	for d, p := range drop {
		end := len(s)
		if d+1 < len(drop) {
			end = drop[d+1]
		}
		w += copy(s[w:], s[p+1:end])
	}
	clear(s[w:])
	return s[:w]
}

// dropLines removes from buf the lines that start at starts[p] for the
// increasing positions p in drop; each line ends where the next one starts,
// the last at the end of buf.
func dropLines(buf []byte, starts []int, drop []int) []byte {
	lineEnd := func(p int) int {
		if p+1 < len(starts) {
			return starts[p+1]
		}
		return len(buf)
	}
	w := starts[drop[0]]
	for d, p := range drop {
		end := len(buf)
		if d+1 < len(drop) {
			end = starts[drop[d+1]]
		}
		w += copy(buf[w:], buf[lineEnd(p):end])
	}
	return buf[:w]
}

// targetRows reads target SQL rows into a map from label-set hash to target.
type targets struct {
	seed   maphash.Seed
	byHash map[uint64]int
	labels [][]string
	values []float64
}

func convertTargets(rows resultRows, k *catalog.KPI, st *Stats) (*targets, error) {
	r, err := newRowReader(rows, k.Labels, k.Target.Column, &textArena{})
	if err != nil {
		return nil, err
	}
	t := &targets{seed: maphash.MakeSeed(), byHash: map[uint64]int{}}
	for {
		more, err := r.next(rows)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		st.TargetRows++
		if r.value.kind != valueOK || r.invalidLabel() {
			st.TargetSkipped++
			continue
		}
		labels := holderStrings(r.labels)
		h := hashStrings(t.seed, labels)
		if _, dup := t.byHash[h]; dup {
			st.TargetSkipped++
			continue
		}
		t.byHash[h] = len(t.values)
		t.labels = append(t.labels, labels)
		t.values = append(t.values, r.value.v)
	}
	return t, nil
}

// join sets each series' target from the target rows with the same labels.
func (t *targets) join(series []Series) {
	for i := range series {
		s := &series[i]
		j, ok := t.byHash[hashStrings(t.seed, s.Labels)]
		if ok && equalStrings(t.labels[j], s.Labels) {
			s.Target, s.HasTarget = t.values[j], true
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
