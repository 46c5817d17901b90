package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// tlog sends the harness's progress lines to the test log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The smallest bench run, as CI runs it: every step measures something, the
// table comes out, and the database sees one execution per KPI per interval.
// It asserts no timings: speed is judged by make bench, never by a test.
func TestBenchSmoke(t *testing.T) {
	testdb.RequireBinary(t, "mariadbd", "mariadb-server")
	testdb.RequireBinary(t, "prometheus-sql-exporter", "prometheus-sql-exporter")
	testdb.RequireBinary(t, "promtool", "prometheus")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := Run(ctx, Options{
		Sizes:        []int{1_000},
		Scrapes:      3,
		LoadSize:     1_000,
		LoadDuration: 6 * time.Second,
		LoadInterval: 2 * time.Second,
		OverheadRows: 5_000,
		OverheadRuns: 2,
		GenerateKPIs: 40,
		GenerateRuns: 2,
		PromtoolKPIs: 6,
		WorkDir:      t.TempDir(),
		Progress:     tlog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	r.WriteTable(&table)
	t.Logf("\n%s", table.String())
	for _, f := range r.Failures {
		t.Error(f)
	}
	if len(r.Sizes) != 1 || r.Load == nil || r.Overhead == nil || r.Generate == nil || r.Promtool == nil {
		t.Fatalf("missing steps: %d sizes, load %v, overhead %v, generate %v, promtool %v", len(r.Sizes), r.Load != nil, r.Overhead != nil, r.Generate != nil, r.Promtool != nil)
	}
	if !r.LoadInvariantHolds() {
		t.Errorf("the database did not see one execution per KPI per interval: Com_select +%d, runs %v, problems %v",
			r.Load.ComSelect, r.Load.Runs, r.Load.Problems)
	}
	for _, want := range []string{"| scrape median, plain", "| scrape median, gzip", "| peak RSS (VmHWM) | 1k |", "| load: Com_select", "| collection: query start → values published", "| collection: query start → values read by a poller", "| generate:", "| promtool test rules"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no row %q", want)
		}
	}
	if o := r.Overhead; len(o.Samples) != 2 || o.Bare <= 0 || o.Seen < o.Served {
		t.Errorf("collection overhead: %d samples, bare %s, published %s, seen %s", len(o.Samples), o.Bare, o.Served, o.Seen)
	}
	if g := r.Generate; len(g.Walls) != 2 || g.Wall <= 0 || g.MaxRSS <= 0 || g.Files == 0 {
		t.Errorf("generate: walls %v, median %s, peak RSS %d, %d files", g.Walls, g.Wall, g.MaxRSS, g.Files)
	}
	if p := r.Promtool; p.Files == 0 || p.Groups == 0 || p.Wall <= 0 || p.TimedOut {
		t.Errorf("promtool: %d files, %d test groups, wall %s, timed out %v", p.Files, p.Groups, p.Wall, p.TimedOut)
	}
	s := r.Sizes[0]
	for _, e := range []endpointResult{s.Ours, s.Peer} {
		if e.Median["plain"] <= 0 || e.Median["gzip"] <= 0 || e.HWM <= 0 {
			t.Errorf("%s: missing figures: medians %v, VmHWM %d", e.Name, e.Median, e.HWM)
		}
	}
	if len(s.Ours.Problems) > 0 {
		t.Errorf("kpi_exporter answered a scrape with the wrong format: %v", s.Ours.Problems)
	}
}
