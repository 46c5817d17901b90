package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// testHandler builds a /metrics handler serving kpis KPIs of series each,
// encoded as a run encodes them.
func testHandler(t testing.TB, kpis, series int, at time.Time) *metricsHandler {
	t.Helper()
	cat := loadCatalog(t, "sources: {db: {driver: sqlite, dsn: x.db}}\nkpis:\n"+kpiYAML(kpis))
	var pages []*cachedPage
	for _, k := range cat.KPIs {
		r := newRunner(k, cat, nil, "", realClock{}, discardLogger())
		page, err := r.encode(&Result{Series: testSeries(series)}, at)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
	}
	live := prometheus.NewRegistry()
	live.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "kpi_exporter_catalog_kpis", Help: "KPIs."}))
	return &metricsHandler{
		live:   live,
		pages:  func(time.Time) []*cachedPage { return pages },
		now:    time.Now,
		logger: discardLogger(),
	}
}

// testSeries are n series over the labels store and product; every other one
// has a target.
func testSeries(n int) []Series {
	out := make([]Series, n)
	for i := range out {
		out[i] = Series{Labels: []string{fmt.Sprintf("store%04d", i/100), fmt.Sprintf("product%03d", i%100)},
			Value: float64(i) * 1.5, Target: 1000, HasTarget: i%2 == 0}
	}
	return out
}

func kpiYAML(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: k%d, unit: count, team: t, source: db, sql: SELECT 1 AS v, labels: [store, product], value: v, target: {sql: SELECT 1 AS target}}\n", i)
	}
	return b.String()
}

func serve(t testing.TB, h http.Handler, header ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

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

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one member: what decoders that stop after it see
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip stream: %v", err)
	}
	return out
}

func TestPageFormats(t *testing.T) {
	h := testHandler(t, 3, 250, time.Now())
	plain, body := serve(t, h)
	if ct := plain.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("default content type %q", ct)
	}
	if cl := plain.Header.Get("Content-Length"); cl != fmt.Sprint(len(body)) {
		t.Fatalf("Content-Length %s for %d bytes", cl, len(body))
	}
	t.Run("text page holds every series once", func(t *testing.T) {
		if n := len(parseText(t, body)); n != 1+3*(250+125) {
			t.Fatalf("%d samples, want %d", n, 1+3*(250+125))
		}
	})
	t.Run("gzip is one member with the same content", func(t *testing.T) {
		resp, gz := serve(t, h, "Accept-Encoding", "gzip")
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatal("not gzip")
		}
		if !bytes.Equal(gunzip(t, gz), body) {
			t.Fatal("gzip content differs from the plain page")
		}
	})
	t.Run("gzip with q=0 is not used", func(t *testing.T) {
		resp, _ := serve(t, h, "Accept-Encoding", "gzip;q=0, identity")
		if resp.Header.Get("Content-Encoding") != "" {
			t.Fatal("gzip used although refused")
		}
	})
	t.Run("OpenMetrics parses and ends with exactly one EOF", func(t *testing.T) {
		for _, enc := range []string{"", "gzip"} {
			resp, om := serve(t, h, "Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5", "Accept-Encoding", enc)
			if enc == "gzip" {
				om = gunzip(t, om)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0") {
				t.Fatalf("content type %q", ct)
			}
			if !bytes.HasSuffix(om, []byte("\n# EOF\n")) || bytes.Count(om, []byte("# EOF")) != 1 {
				t.Fatalf("OpenMetrics page (%s) does not end with one # EOF", enc)
			}
			if !bytes.Contains(om, []byte(`kpi_k1{product="product001",store="store0000"} 1.5`)) {
				t.Fatalf("OpenMetrics page lacks a series")
			}
		}
	})
	t.Run("protobuf requests get text", func(t *testing.T) {
		resp, _ := serve(t, h, "Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("content type %q", ct)
		}
	})
}

// TestPageIsWhatClientGolangGathers compares the served KPI families with
// what client_golang's testutil collects from the same run's metrics.
func TestPageIsWhatClientGolangGathers(t *testing.T) {
	cat := loadCatalog(t, "global: {labels: {company: acme}}\nsources: {db: {driver: sqlite, dsn: x.db}}\nkpis:\n"+kpiYAML(1))
	r := newRunner(cat.KPIs[0], cat, nil, "", realClock{}, discardLogger())
	series := []Series{
		{Labels: []string{"north", `a "quoted" \ name`}, Value: 1e-7, Target: 2, HasTarget: true},
		{Labels: []string{"süd", "line\nbreak"}, Value: -1234567.125},
		{Labels: []string{"", "p"}, Value: 0.1},
	}
	page, err := r.encode(&Result{Series: series}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(runMetrics{r: r, series: r.inLabelOrder(series)}, bytes.NewReader(page.text)); err != nil {
		t.Fatal(err)
	}
	want := `# HELP kpi_k0 KPI k0.
# TYPE kpi_k0 gauge
kpi_k0{company="acme",product="a \"quoted\" \\ name",store="north"} 1e-07
kpi_k0{company="acme",product="line\nbreak",store="süd"} -1.234567125e+06
kpi_k0{company="acme",product="p",store=""} 0.1
# HELP kpi_k0_target Target of: KPI k0.
# TYPE kpi_k0_target gauge
kpi_k0_target{company="acme",product="a \"quoted\" \\ name",store="north"} 2
`
	if string(page.text) != want {
		t.Fatalf("page:\n%s\nwant:\n%s", page.text, want)
	}
}

func TestPageWithoutSeriesIsEmpty(t *testing.T) {
	cat := loadCatalog(t, "sources: {db: {driver: sqlite, dsn: x.db}}\nkpis:\n"+kpiYAML(1))
	r := newRunner(cat.KPIs[0], cat, nil, "", realClock{}, discardLogger())
	page, err := r.encode(&Result{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.text) != 0 || len(page.om) != 0 {
		t.Fatalf("a run without series serves %q", page.text)
	}
}

// TestGzipAnswerDecodesEverywhere serves the page over real HTTP and decodes
// its gzip answer with Go's, Python's and curl's decoders.
func TestGzipAnswerDecodesEverywhere(t *testing.T) {
	h := testHandler(t, 3, 2000, time.Now())
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, accept := range []string{"text/plain", "application/openmetrics-text;version=1.0.0"} {
		_, plain := serve(t, h, "Accept", accept)
		t.Run(accept, func(t *testing.T) {
			t.Run("Go compress/gzip", func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				req.Header.Set("Accept", accept)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Fatal("answer is not gzip")
				}
				if got := gunzip(t, body); !samePage(got, plain) {
					t.Fatal("decoded page differs from the plain page")
				}
			})
			t.Run("Python gzip over urllib", func(t *testing.T) {
				py := tool(t, "python3")
				script := `import gzip, sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2], "Accept-Encoding": "gzip"})
with urllib.request.urlopen(req) as resp:
    assert resp.headers["Content-Encoding"] == "gzip", resp.headers
    sys.stdout.buffer.write(gzip.decompress(resp.read()))`
				out, err := exec.Command(py, "-c", script, srv.URL, accept).Output()
				if err != nil {
					t.Fatalf("python3: %v: %s", err, stderr(err))
				}
				if !samePage(out, plain) {
					t.Fatal("decoded page differs from the plain page")
				}
			})
			t.Run("curl --compressed", func(t *testing.T) {
				curl := tool(t, "curl")
				out, err := exec.Command(curl, "--silent", "--show-error", "--fail", "--compressed", "-H", "Accept: "+accept, srv.URL).Output()
				if err != nil {
					t.Fatalf("curl: %v: %s", err, stderr(err))
				}
				if !samePage(out, plain) {
					t.Fatal("decoded page differs from the plain page")
				}
			})
		})
	}
}

// samePage compares two answers of one page; the live self-metrics were
// encoded per scrape, but here they do not change between scrapes.
func samePage(a, b []byte) bool { return len(a) > 0 && bytes.Equal(a, b) }

// tool finds a program a test needs: under CI its absence fails the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed: install the %s package", name, name)
	}
	t.Skipf("%s is not installed; skipped (under CI this fails)", name)
	return ""
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func TestStalePageIsNotFresh(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &cachedPage{at: at, maxAge: time.Minute}
	if !p.fresh(at.Add(time.Minute)) || p.fresh(at.Add(time.Minute+time.Nanosecond)) {
		t.Fatal("freshness boundary wrong")
	}
}
