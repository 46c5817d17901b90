package collector

import (
	"bytes"
	"database/sql"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// FuzzConvert feeds arbitrary driver values to the value and label holders.
// Text and bytes must convert alike; a value is either a finite number or
// rejected; every finite number is read as strconv reads it; a label is valid
// UTF-8 or flagged, and never aliases the driver's buffer.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"42", "-0.125", " 7.50 ", "1e3", "1e400", "1e-400", "NaN", "+Inf", "-inf", "Infinity",
		"true", "F", "0x1p-2", "1_000", "", " ", "north", "süd", "\xff\xfe", "a\xc3", "2026-01-02 03:04:05"} {
		f.Add([]byte(s), int64(len(s)), float64(len(s))/3)
	}
	f.Add([]byte("x"), int64(math.MinInt64), math.Inf(-1))
	f.Add([]byte("y"), int64(math.MaxInt64), math.NaN())
	f.Fuzz(func(t *testing.T, data []byte, i int64, fl float64) {
		text := string(data)
		var fromBytes, fromText valueHolder
		_ = fromBytes.Scan(data)
		_ = fromText.Scan(text)
		if fromBytes.kind != fromText.kind || math.Float64bits(fromBytes.v) != math.Float64bits(fromText.v) && fromBytes.kind == valueOK {
			t.Fatalf("%q: bytes give (%d, %v), text gives (%d, %v)", text, fromBytes.kind, fromBytes.v, fromText.kind, fromText.v)
		}
		if fromText.kind == valueOK && (math.IsNaN(fromText.v) || math.IsInf(fromText.v, 0)) {
			t.Fatalf("%q: accepted non-finite %v", text, fromText.v)
		}
		if want, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil && !math.IsNaN(want) && !math.IsInf(want, 0) {
			if fromText.kind != valueOK || fromText.v != want {
				t.Fatalf("%q: got (%d, %v), want %v", text, fromText.kind, fromText.v, want)
			}
		}
		for _, src := range []any{i, fl, float32(fl), uint64(i), int32(i)} {
			var h valueHolder
			_ = h.Scan(src)
			finite := !math.IsNaN(h.v) && !math.IsInf(h.v, 0)
			if h.kind == valueOK && !finite {
				t.Fatalf("%T %v: accepted non-finite %v", src, src, h.v)
			}
		}

		var lb, ls labelHolder
		buf := bytes.Clone(data)
		_ = lb.Scan(buf)
		_ = ls.Scan(text)
		valid := utf8.Valid(data)
		if lb.invalid == valid || ls.invalid == valid {
			t.Fatalf("%q: valid UTF-8 %v, but bytes flagged %v and text flagged %v", text, valid, lb.invalid, ls.invalid)
		}
		if valid {
			for j := range buf {
				buf[j] ^= 0xff // the driver reuses its buffer for the next row
			}
			if lb.s != text || ls.s != text {
				t.Fatalf("%q: labels %q and %q", text, lb.s, ls.s)
			}
		}
	})
}

// FuzzConvertRows runs fuzzed rows through the real SQLite driver and the
// converter. Each line of the input is a row "label,value"; the words NULL
// stand for SQL NULL, and odd rows store the value with numeric affinity.
// Whatever the rows, every row is either exported or counted under exactly
// one reason, the exported series are unique, valid and finite, and at most
// max_series are kept.
func FuzzConvertRows(f *testing.F) {
	f.Add([]byte("north,1\nsouth,2.5\nnorth,3\nNULL,4\neast,NULL\nwest,NaN\n\xff,5\nx,+Inf\ny,true\nz, 12.50 "), uint8(3))
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("a,1\nb,2\nc,3\nd,4"), uint8(1))
	f.Add([]byte("same,1\nsame,1\nsame,x"), uint8(9))
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	if _, err := db.Exec("CREATE TABLE r (n INTEGER, l, v)"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, maxSeries uint8) {
		if _, err := db.Exec("DELETE FROM r"); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(data, []byte("\n"))
		if len(lines) > 200 {
			lines = lines[:200]
		}
		for n, line := range lines {
			label, value, _ := bytes.Cut(line, []byte(","))
			var l, v any = label, value
			if string(label) == "NULL" {
				l = nil
			}
			if string(value) == "NULL" {
				v = nil
			}
			q := "INSERT INTO r VALUES (?, CAST(? AS TEXT), CAST(? AS TEXT))"
			if n%2 == 1 {
				q = "INSERT INTO r VALUES (?, CAST(? AS TEXT), CAST(? AS NUMERIC))"
			}
			if _, err := db.Exec(q, n, l, v); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.Query("SELECT l AS region, v AS v FROM r ORDER BY n")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		k := &catalog.KPI{Name: "k", Labels: []string{"region"}, Value: "v", MaxSeries: int(maxSeries%8) + 1}
		var res Result
		if err := convertRows(rows, k, &res, nil); err != nil {
			t.Fatal(err)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		st := res.Stats
		if st.Rows != len(lines) {
			t.Fatalf("read %d rows of %d", st.Rows, len(lines))
		}
		if sum := st.Exported + st.Nulls + st.NonNumeric + st.InvalidLabels + st.Duplicates + st.OverLimit; sum != st.Rows {
			t.Fatalf("%d rows but %d accounted for: %+v", st.Rows, sum, st)
		}
		if st.Exported != len(res.Series) || st.Exported > k.MaxSeries {
			t.Fatalf("exported %d (%d series), max_series %d", st.Exported, len(res.Series), k.MaxSeries)
		}
		seen := map[string]bool{}
		for _, s := range res.Series {
			if len(s.Labels) != 1 || seen[s.Labels[0]] || !utf8.ValidString(s.Labels[0]) {
				t.Fatalf("bad or duplicate labels %q in %+v", s.Labels, res.Series)
			}
			seen[s.Labels[0]] = true
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
				t.Fatalf("non-finite value %v exported", s.Value)
			}
		}
	})
}
