package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// testPage builds a page with n KPIs of series each, encoded as a run would.
func testPage(t testing.TB, kpis, series int, at time.Time) *page {
	t.Helper()
	cat := loadCatalog(t, "sources: {db: {driver: sqlite, dsn: x.db}}\nkpis:\n"+kpiYAML(kpis))
	var blocks []*block
	for _, k := range cat.KPIs {
		r := newRunner(k, cat, nil, "", realClock{}, slog.New(slog.DiscardHandler))
		res := &Result{}
		for i := range series {
			res.Series = append(res.Series, Series{Labels: []string{fmt.Sprintf("store%04d", i/100), fmt.Sprintf("product%03d", i%100)},
				Value: float64(i) * 1.5, Target: 1000, HasTarget: i%2 == 0})
		}
		blocks = append(blocks, r.encode(res, at))
	}
	live := prometheus.NewRegistry()
	live.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "kpi_exporter_catalog_kpis", Help: "KPIs."}))
	return &page{
		live:   live,
		blocks: func(now time.Time) []*block { return blocks },
		now:    time.Now,
		logger: slog.New(slog.DiscardHandler),
	}
}

func kpiYAML(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: k%d, unit: count, team: t, source: db, sql: SELECT 1 AS v, labels: [store, product], value: v, target: {sql: SELECT 1 AS target}}\n", i)
	}
	return b.String()
}

func serve(t testing.TB, p *page, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := newRecorder()
	p.ServeHTTP(rec, req)
	return &http.Response{StatusCode: rec.code, Header: rec.header}, rec.body.Bytes()
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}, code: 200} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func parseText(t testing.TB, body []byte) map[string]*model.Sample {
	t.Helper()
	out := map[string]*model.Sample{}
	dec := expfmt.SampleDecoder{Dec: expfmt.NewDecoder(bytes.NewReader(body), expfmt.NewFormat(expfmt.TypeTextPlain)), Opts: &expfmt.DecodeOptions{}}
	for {
		var v model.Vector
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		for _, s := range v {
			out[s.Metric.String()] = s
		}
	}
	return out
}

func TestPageFormats(t *testing.T) {
	p := testPage(t, 3, 250, time.Now())
	plain, body := serve(t, p)
	if ct := plain.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("default content type %q", ct)
	}
	if cl := plain.Header.Get("Content-Length"); cl != fmt.Sprint(len(body)) {
		t.Fatalf("Content-Length %s for %d bytes", cl, len(body))
	}
	samples := parseText(t, body)
	if len(samples) != 1+3*(250+125) {
		t.Fatalf("%d samples, want %d", len(samples), 1+3*(250+125))
	}

	t.Run("gzip is one valid member with the same content", func(t *testing.T) {
		resp, gz := serve(t, p, "Accept-Encoding", "gzip")
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatal("not gzip")
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gzip stream: %v", err)
		}
		if !bytes.Equal(got, body) {
			t.Fatal("gzip content differs from the plain page")
		}
	})
	t.Run("gzip with q=0 is not used", func(t *testing.T) {
		resp, _ := serve(t, p, "Accept-Encoding", "gzip;q=0, identity")
		if resp.Header.Get("Content-Encoding") != "" {
			t.Fatal("gzip used although refused")
		}
	})
	t.Run("OpenMetrics ends with exactly one EOF", func(t *testing.T) {
		for _, enc := range []string{"", "gzip"} {
			resp, om := serve(t, p, "Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5", "Accept-Encoding", enc)
			if enc == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(om))
				if err != nil {
					t.Fatal(err)
				}
				om, _ = io.ReadAll(zr)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0") {
				t.Fatalf("content type %q", ct)
			}
			if !bytes.HasSuffix(om, []byte("\n# EOF\n")) || bytes.Count(om, []byte("# EOF")) != 1 {
				t.Fatalf("OpenMetrics page (%s) does not end with one # EOF", enc)
			}
			if !bytes.Contains(om, []byte(`k1{product="product001",store="store0000"} 1.5`)) {
				t.Fatalf("OpenMetrics page lacks a series")
			}
		}
	})
	t.Run("protobuf requests get text", func(t *testing.T) {
		resp, _ := serve(t, p, "Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("content type %q", ct)
		}
	})
}

func TestStaleBlockIsNotFresh(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &block{at: at, maxAge: time.Minute}
	if !b.fresh(at.Add(time.Minute)) || b.fresh(at.Add(time.Minute+time.Nanosecond)) {
		t.Fatal("freshness boundary wrong")
	}
}
