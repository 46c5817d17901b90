package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
)

// served is a kpi_exporter serve running in-process on a free port.
type served struct {
	base   string
	stderr *testproc.SyncBuffer
	code   chan int
}

// hangAfter is how long a wait may take before the test calls it a hang: a
// bound against hanging forever, not a latency target, so generous enough
// for a busy machine under the race detector.
const hangAfter = time.Minute

func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{base: "http://" + addr, stderr: &testproc.SyncBuffer{}, code: make(chan int, 1)}
	go func() { s.code <- run(ctx, append(args, "--web.listen-address="+addr), io.Discard, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(hangAfter):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(hangAfter)
	for {
		resp, err := http.Get(s.base + "/-/healthy")
		if err == nil {
			resp.Body.Close()
			// Behind basic auth, a 401 says as much that it serves.
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return s
			}
		}
		select {
		case code := <-s.code:
			s.code <- code // for the cleanup
			t.Fatalf("serve exited with %d:\n%s", code, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become healthy:\n%s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *served) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *served) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(s.base+path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitMetrics polls /metrics until it contains want.
func (s *served) waitMetrics(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(hangAfter)
	for {
		_, body := s.get(t, "/metrics")
		if strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q:\n%s\nlog:\n%s", want, body, s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const serveCatalog = `
global: {interval: 2s, timeout: 1s}
sources:
  shop: {driver: sqlite, dsn: %q}
kpis:
  - name: %s
    help: Revenue by region.
    unit: currency
    currency: EUR
    team: sales
    owner: "ana <ana@example.com>"
    source: shop
    sql: SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region
    labels: [region]
    value: revenue
    direction: higher
    target: 25
`

func TestServe(t *testing.T) {
	promtool := testdb.RequireBinary(t, "promtool", "prometheus")
	dir := t.TempDir()
	shop := sqliteShop(t)
	cfg := writeFile(t, dir, "kpis.yml", fmt.Sprintf(serveCatalog, shop, "revenue"))
	s := startServe(t, "--config.file="+cfg)

	body := s.waitMetrics(t, `kpi_revenue_eur{region="emea"} 15`)
	t.Run("metrics pass promtool check metrics", func(t *testing.T) {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Fatalf("promtool check metrics: %v\n%s", err, out)
		}
	})
	t.Run("healthy and ready answer", func(t *testing.T) {
		for _, p := range []string{"/-/healthy", "/-/ready"} {
			if code, _ := s.get(t, p); code != http.StatusOK {
				t.Fatalf("%s: %d", p, code)
			}
		}
	})
	t.Run("landing page lists KPIs with escaped values", func(t *testing.T) {
		code, page := s.get(t, "/")
		if code != http.StatusOK || !strings.Contains(page, `<b>revenue</b><br><small>Revenue by region.</small></td>`) || !strings.Contains(page, "ana &lt;ana@example.com&gt;") {
			t.Fatalf("landing page %d:\n%s", code, page)
		}
		if strings.Contains(page, shop) {
			t.Fatal("landing page shows the DSN")
		}
	})
	t.Run("reload only takes POST", func(t *testing.T) {
		if code, _ := s.get(t, "/-/reload"); code != http.StatusMethodNotAllowed {
			t.Fatalf("GET /-/reload: %d", code)
		}
	})
	t.Run("a bad reload keeps the running catalog", func(t *testing.T) {
		writeFile(t, dir, "kpis.yml", fmt.Sprintf(serveCatalog, shop, "revenue")+"    unknown_key: 1\n")
		code, msg := s.post(t, "/-/reload")
		if code != http.StatusInternalServerError || !strings.Contains(msg, "kpis.yml:") || !strings.Contains(msg, `unknown key "unknown_key"`) {
			t.Fatalf("bad reload answered %d: %s", code, msg)
		}
		_, body := s.get(t, "/metrics")
		for _, want := range []string{`kpi_revenue_eur{region="emea"} 15`, "kpi_exporter_config_last_reload_successful 0"} {
			if !strings.Contains(body, want) {
				t.Fatalf("after a bad reload /metrics lacks %s", want)
			}
		}
	})
	t.Run("a good reload swaps the catalog in", func(t *testing.T) {
		writeFile(t, dir, "kpis.yml", fmt.Sprintf(serveCatalog, shop, "turnover"))
		if code, msg := s.post(t, "/-/reload"); code != http.StatusOK {
			t.Fatalf("reload answered %d: %s", code, msg)
		}
		body := s.waitMetrics(t, `kpi_turnover_eur{region="emea"} 15`)
		if strings.Contains(body, "kpi_revenue_eur{") || !strings.Contains(body, "kpi_exporter_config_last_reload_successful 1") {
			t.Fatalf("after a good reload:\n%s", body)
		}
	})
	t.Run("logs never show the DSN", func(t *testing.T) {
		if strings.Contains(s.stderr.String(), shop) {
			t.Fatalf("log shows the DSN:\n%s", s.stderr)
		}
	})
}

func TestServeRefusesAnInvalidCatalog(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "bad.yml", "kpis:\n  - name: x\n    unit: lots\n")
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--config.file=" + cfg}, io.Discard, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "bad.yml:3: kpis[0].unit: unknown unit") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

func TestServeReloadEndpointCanBeTurnedOff(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "kpis.yml", fmt.Sprintf(serveCatalog, sqliteShop(t), "revenue"))
	s := startServe(t, "serve", "--config.file="+cfg, "--no-web.enable-reload-endpoint")
	if code, _ := s.post(t, "/-/reload"); code != http.StatusForbidden {
		t.Fatalf("POST /-/reload with the endpoint off: %d", code)
	}
}

// TestServeTheExampleCatalog runs config.example.yaml as make run does: the
// demo database is created beside the catalog file, not in the working
// directory, and at least eight KPIs of at least three teams are served.
func TestServeTheExampleCatalog(t *testing.T) {
	example := exampleCopy(t)
	dir := filepath.Dir(example)
	t.Chdir(t.TempDir())
	s := startServe(t, "--config.file="+example)
	deadline := time.Now().Add(3 * time.Minute) // the demo database is filled first (slow under -race)
	for {
		_, body := s.get(t, "/metrics")
		kpis, teams := servedKPIs(body)
		if len(kpis) >= 8 && len(teams) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("served %d KPIs of %d teams:\n%s\nlog:\n%s", len(kpis), len(teams), body, s.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "kpi_demo.db")); err != nil {
		t.Fatalf("demo database not created beside the catalog: %v", err)
	}
	if _, err := os.Stat("kpi_demo.db"); err == nil {
		t.Fatal("demo database created in the working directory")
	}
}

// servedKPIs returns the KPIs with a value on the page, and their teams.
func servedKPIs(body string) (kpis, teams map[string]bool) {
	kpis, teams = map[string]bool{}, map[string]bool{}
	team := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "kpi_info{") {
			labels := line[len("kpi_info{"):strings.Index(line, "}")]
			var k, tm string
			for _, kv := range strings.Split(labels, ",") {
				name, val, _ := strings.Cut(kv, "=")
				switch name {
				case "kpi":
					k = strings.Trim(val, `"`)
				case "team":
					tm = strings.Trim(val, `"`)
				}
			}
			team[k] = tm
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "kpi_") || strings.HasPrefix(line, "kpi_exporter_") || strings.HasPrefix(line, "kpi_info") {
			continue
		}
		for k, tm := range team {
			if strings.HasPrefix(line, "kpi_"+k) && !strings.Contains(line, "_target") {
				kpis[k], teams[tm] = true, true
			}
		}
	}
	return kpis, teams
}
