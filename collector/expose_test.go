package collector

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// constGauges is the reference: the same series as const gauges through
// client_golang, gathered by a registry and encoded by expfmt.
type constGauges struct {
	value, target *prometheus.Desc
	series        []Series
}

func (c constGauges) Describe(ch chan<- *prometheus.Desc) { ch <- c.value; ch <- c.target }

func (c constGauges) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.series {
		ch <- prometheus.MustNewConstMetric(c.value, prometheus.GaugeValue, s.Value, s.Labels...)
		if s.HasTarget {
			ch <- prometheus.MustNewConstMetric(c.target, prometheus.GaugeValue, s.Target, s.Labels...)
		}
	}
}

// clientGolangPage encodes series through client_golang, in text or
// OpenMetrics (without # EOF).
func clientGolangPage(t *testing.T, name, help string, labels []string, constLabels map[string]string, series []Series, om bool) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(constGauges{
		value:  prometheus.NewDesc(name, help, labels, constLabels),
		target: prometheus.NewDesc(name+"_target", "Target of: "+help, labels, constLabels),
		series: series,
	})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("client_golang refuses the series: %v", err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if om {
			_, err = expfmt.MetricFamilyToOpenMetrics(&buf, mf)
		} else {
			_, err = expfmt.MetricFamilyToText(&buf, mf)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// ourPage writes series as a run does, in row order.
func ourPage(name, help string, labels []string, constLabels map[string]string, series []Series, om bool) []byte {
	r := &runner{
		value:  newGaugeFamily(name, help, labels, constLabels),
		target: newGaugeFamily(name+"_target", "Target of: "+help, labels, constLabels),
	}
	return r.exposition(series, om)
}

// parseFamilies parses a text page, with each family's samples in a fixed
// order, since the text format does not order them.
func parseFamilies(t *testing.T, page []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("page does not parse: %v\n%s", err, page)
	}
	for _, mf := range mfs {
		slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int {
			return strings.Compare(fmt.Sprint(a.GetLabel()), fmt.Sprint(b.GetLabel()))
		})
	}
	return mfs
}

// sameLines reports whether two pages have the same lines, in any order
// within a family, and the same family headers in the same order.
func sameLines(a, b []byte) bool {
	norm := func(p []byte) string {
		var out, fam []string
		flush := func() { slices.Sort(fam); out = append(out, fam...); fam = nil }
		for l := range strings.SplitSeq(string(p), "\n") {
			if strings.HasPrefix(l, "#") {
				flush()
				out = append(out, l)
			} else {
				fam = append(fam, l)
			}
		}
		flush()
		return strings.Join(out, "\n")
	}
	return norm(a) == norm(b)
}

var oddValues = []float64{
	0, math.Copysign(0, -1), 1, -1, 42, -7, 2.5, -0.125, 0.1, 1e21, 1e-300, -1e300, 123456789012345678,
	1 << 53, math.MaxFloat64, math.SmallestNonzeroFloat64, 1234.56, 1e6, 1e-7, 3.0000000000000004,
}

func oddSeries(labelValues ...[]string) []Series {
	out := make([]Series, len(labelValues))
	for i, lv := range labelValues {
		out[i] = Series{Labels: lv, Value: oddValues[i%len(oddValues)]}
		if i%3 != 1 {
			out[i].Target, out[i].HasTarget = oddValues[(i+5)%len(oddValues)], true
		}
	}
	return out
}

func TestGaugeFamilyMatchesClientGolang(t *testing.T) {
	var many [][]string
	for i := range len(oddValues) * 2 {
		many = append(many, []string{fmt.Sprintf("store%03d", 40-i), fmt.Sprintf("p%d", i%3)})
	}
	cases := []struct {
		name, metric, help string
		labels             []string
		constLabels        map[string]string
		series             []Series
	}{
		{name: "plain labels and every kind of finite value", metric: "kpi_sales", help: "Sales.",
			labels: []string{"store", "product"}, series: oddSeries(many...)},
		{name: "quotes, backslashes, newlines and unicode in label values", metric: "kpi_odd", help: "Odd.",
			labels: []string{"region", "note"}, series: oddSeries(
				[]string{`say "hi"`, `C:\path\`},
				[]string{"line1\nline2", `\n is not a newline`},
				[]string{"süd 東京 🙂", "tab\there"},
				[]string{`{a="b",c}`, `\"`},
				[]string{"", "empty region"},
				[]string{"", ""},
				[]string{" leading and trailing ", "\u00a0nbsp\u200b"},
			)},
		{name: "constant labels sort between the KPI's labels", metric: "kpi_merge", help: "Merge.",
			labels: []string{"zone", "alpha"}, constLabels: map[string]string{"middle": `m"x\y` + "\n", "env": "prod"},
			series: oddSeries([]string{"z1", "a1"}, []string{"z0", "a2"}, []string{"z1", "a0"})},
		{name: "no labels at all", metric: "kpi_total", help: "Total.",
			series: oddSeries([]string{})},
		{name: "only constant labels", metric: "kpi_const", help: "Const.",
			constLabels: map[string]string{"company": "acme"}, series: oddSeries([]string{})},
		{name: "help with backslash, newline and quotes", metric: "kpi_help", help: "Says \"why\"\\ and\nmore.",
			labels: []string{"l"}, series: oddSeries([]string{"a"}, []string{"b"})},
		{name: "names outside the legacy character set are quoted", metric: "kpi.dotted", help: "Dotted.",
			labels: []string{"label.x", "ok"}, constLabels: map[string]string{"const.y": "c"},
			series: oddSeries([]string{"v1", "w"}, []string{"v0", "w"})},
		{name: "no series writes nothing", metric: "kpi_empty", help: "Empty.", labels: []string{"l"}},
		{name: "no series with a target writes no target family", metric: "kpi_notarget", help: "No target.",
			labels: []string{"l"}, series: []Series{{Labels: []string{"a"}, Value: 1}, {Labels: []string{"b"}, Value: 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Rows arrive in any order; client_golang sorts them.
			rows := slices.Clone(c.series)
			slices.Reverse(rows)
			for _, om := range []bool{false, true} {
				want := clientGolangPage(t, c.metric, c.help, c.labels, c.constLabels, rows, om)
				got := ourPage(c.metric, c.help, c.labels, c.constLabels, rows, om)
				if !sameLines(got, want) {
					t.Fatalf("openmetrics=%v: got\n%s\nclient_golang writes\n%s", om, got, want)
				}
			}
			want := parseFamilies(t, clientGolangPage(t, c.metric, c.help, c.labels, c.constLabels, rows, false))
			got := parseFamilies(t, ourPage(c.metric, c.help, c.labels, c.constLabels, rows, false))
			if len(got) != len(want) {
				t.Fatalf("%d families, client_golang %d", len(got), len(want))
			}
			for name, w := range want {
				if !proto.Equal(got[name], w) {
					t.Errorf("family %s parses to\n%v\nclient_golang's to\n%v", name, got[name], w)
				}
			}
		})
	}
}

// TestStreamedRunMatchesClientGolang runs a KPI through SQLite, with rows
// that are skipped for every reason and a target query, and checks that the
// text streamed while scanning and the OpenMetrics form written afterwards
// are what client_golang makes of the same result.
func TestStreamedRunMatchesClientGolang(t *testing.T) {
	path := sqliteFile(t,
		"CREATE TABLE sales (n INTEGER, region TEXT, note TEXT, amount)",
		`INSERT INTO sales VALUES (1, 'north', 'say "hi"', 10), (2, 'south', 'C:\dir\', 2.5), (3, 'east', 'a
b', '12.50'),
		(4, 'north', 'say "hi"', 99), (5, 'west', 'x', NULL), (6, 'ost', 'x', 'lots'), (7, CAST(X'FF' AS TEXT), 'x', 1),
		(8, NULL, '東京', -1e300), (9, 'far', 'y', 5), (10, 'farther', 'y', 6), (11, 'north', 'say "hi"', 1), (12, 'farther', 'y', 7)`,
		"CREATE TABLE budgets (region TEXT, note TEXT, budget REAL)",
		`INSERT INTO budgets VALUES ('north', 'say "hi"', 100), ('east', 'a
b', 0.5), (NULL, '東京', 7), ('nowhere', 'z', 1)`,
	)
	cat := loadCatalog(t, fmt.Sprintf(`
global: {labels: {company: acme}}
sources:
  db: {driver: sqlite, dsn: %q}
kpis:
  - name: sales
    help: Sales "by" region.
    unit: count
    team: t
    source: db
    sql: SELECT region, note, amount FROM sales ORDER BY n
    labels: [region, note]
    value: amount
    max_series: 5
    target: {sql: "SELECT region, note, budget AS target FROM budgets"}
`, path))
	k := cat.KPI("sales")
	r := newRunner(k, cat, openAll(t, cat), "", realClock{}, discardLogger())
	for run := range 2 { // the second run is sized from the first
		res, text, err := r.run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Row 4 repeats row 1 before max_series is reached, row 11 after it;
		// rows 10 and 12 are over it.
		want := Stats{Rows: 12, Exported: 5, Nulls: 1, NonNumeric: 1, Duplicates: 2, InvalidLabels: 1, OverLimit: 2, TargetRows: 4}
		res.Stats.Duration = 0
		if res.Stats != want {
			t.Fatalf("run %d: stats %+v, want %+v", run, res.Stats, want)
		}
		ref := func(om bool) []byte {
			return clientGolangPage(t, k.MetricName(), "Sales \"by\" region.", k.Labels, cat.Global.Labels, res.Series, om)
		}
		if !sameLines(text, ref(false)) {
			t.Fatalf("run %d: streamed text\n%s\nclient_golang writes\n%s", run, text, ref(false))
		}
		blk := r.newBlock(res, text, time.Now())
		if om := blk.bytes(true); !sameLines(om, ref(true)) {
			t.Fatalf("run %d: OpenMetrics\n%s\nclient_golang writes\n%s", run, om, ref(true))
		}
		if !bytes.Contains(text, []byte(`kpi_sales_target{company="acme",note="東京",region=""} 7`)) {
			t.Fatalf("run %d: the NULL region's target is missing:\n%s", run, text)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct {
		name, in, quoted, help string
	}{
		{"plain text is kept", "abc", "abc", "abc"},
		{"backslash is doubled", `a\b`, `a\\b`, `a\\b`},
		{"newline is written as \\n", "a\nb", `a\nb`, `a\nb`},
		{"quote is escaped only in quoted text", `a"b`, `a\"b`, `a"b`},
		{"escapes at both ends", "\"x\n", `\"x\n`, "\"x\\n"},
		{"unicode is kept", "東京\t", "東京\t", "東京\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, c.in, true)); got != c.quoted {
				t.Errorf("quoted %q, want %q", got, c.quoted)
			}
			if got := string(appendEscaped(nil, c.in, false)); got != c.help {
				t.Errorf("unquoted %q, want %q", got, c.help)
			}
		})
	}
}

// TestAppendDecimal holds appendDecimal to strconv on the values it is for
// and on values it must leave to strconv, and checks that it takes the values
// it is for.
func TestAppendDecimal(t *testing.T) {
	check := func(t *testing.T, v float64) bool {
		t.Helper()
		got, ok := appendDecimal([]byte("x"), v)
		if !ok {
			if string(got) != "x" {
				t.Fatalf("%v: declined but appended %q", v, got)
			}
			return false
		}
		if want := strconv.AppendFloat([]byte("x"), v, 'g', -1, 64); !bytes.Equal(got, want) {
			t.Fatalf("%v: %q, strconv writes %q", v, got, want)
		}
		return true
	}
	taken := []float64{
		1, -1, 7, 10, 100, 1200, 99999, 100000, 123456, 999999, 1e6, 1234567, 1e14, 2e15, -2.2e15,
		0.5, 0.05, 0.0001, 0.00012, 0.00001, 1.5e-5, 0.1, 0.3, 1234.5, -1234.56, 250000.01,
		1764271234.567891, 1764271234.5, 1764271234.000001, 0.000000001, 123456789.123456789 - 0.000000089,
	}
	for _, v := range taken {
		if !check(t, v) {
			t.Errorf("%v: left to strconv", v)
		}
	}
	for _, v := range []float64{0.1 + 0.2, -2.5e15, math.Pi, 1e300, 1e-300, 1 << 52, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-10, 0.1234567891, 5e-324} {
		check(t, v)
	}
	// Every decimal with up to 9 digits after the point and up to 15 in all
	// is taken, whatever its magnitude.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		k := rng.IntN(10)
		m := rng.Int64N(int64(math.Pow10(rng.IntN(15) + 1)))
		v, err := strconv.ParseFloat(strconv.FormatInt(m, 10)+"e-"+strconv.Itoa(k), 64)
		if err != nil {
			t.Fatal(err)
		}
		if v != 0 && !check(t, v) {
			t.Fatalf("%v (%de-%d): left to strconv", v, m, k)
		}
		check(t, math.Float64frombits(rng.Uint64()))
	}
}

func FuzzAppendDecimal(f *testing.F) {
	for _, v := range []float64{1, 0.05, 1234.5, 1764271234.567891, 1e6, 0.1 + 0.2, 1.5e-5} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		if got, ok := appendDecimal(nil, v); ok {
			if want := strconv.FormatFloat(v, 'g', -1, 64); string(got) != want {
				t.Fatalf("%v: %q, strconv writes %q", v, got, want)
			}
		}
	})
}
