package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
)

// The timing knobs of the stack. The catalog's own (KPI intervals,
// group_wait, group_interval) live in testdata/catalog.yml.
const (
	scrapeInterval = time.Second
	evalInterval   = time.Second
)

// stack is the chain under test, every part a real process on loopback.
type stack struct {
	dir        string
	bin        string // the kpi_exporter binary
	catalog    string // the catalog file the exporter serves
	outDir     string // what `kpi_exporter generate` wrote
	exporter   string // base URLs
	prometheus string
	alertmgr   string
	prom       promAPI
	exporterP  *testproc.Process
}

// buildExporter builds cmd/kpi_exporter into dir, as a user would; with
// -race when the suite has it.
func buildExporter(ctx context.Context, dir string) (string, error) {
	root, err := testdb.RepoRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build kpi_exporter: %w", err)
	}
	bin := filepath.Join(dir, "kpi_exporter")
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, goBin, append(args, "./cmd/kpi_exporter")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/kpi_exporter: %w\n%s", err, out)
	}
	return bin, nil
}

// requireStack fails (or skips under -short) unless the stack's servers
// are installed, and returns a stack in a fresh directory whose binary is
// being built in the background while the caller starts its databases:
// built() waits for it.
func requireStack(t *testing.T) (s *stack, built func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("the end-to-end suite starts real servers; skipped with -short")
	}
	testdb.RequireBinary(t, "prometheus", "prometheus")
	testdb.RequireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	testdb.RequireBinary(t, "mariadbd", "mariadb-server")
	dir := t.TempDir()
	s = &stack{dir: dir, catalog: filepath.Join(dir, "catalog.yml"), outDir: filepath.Join(dir, "out")}
	var (
		buildErr  error
		buildDone sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	buildDone.Add(1)
	go func() { defer buildDone.Done(); s.bin, buildErr = buildExporter(ctx, dir) }()
	t.Cleanup(func() { cancel(); buildDone.Wait() })
	return s, func() {
		t.Helper()
		buildDone.Wait()
		if buildErr != nil {
			t.Fatal(buildErr)
		}
	}
}

// generate runs `kpi_exporter generate` on the catalog, for the Alertmanager
// the stack runs (Debian's 0.25).
func (s *stack) generate(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a hang bound
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "generate", "--config.file="+s.catalog, "--output.dir="+s.outDir, "--alertmanager.version=0.25")
	cmd.Env = append(os.Environ(), dbPasswordEnv+"="+dbPassword)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kpi_exporter generate: %v\n%s", err, out.String())
	}
	for _, p := range []string{"rules", "alertmanager/alertmanager.yml"} {
		if _, err := os.Stat(filepath.Join(s.outDir, p)); err != nil {
			t.Fatalf("kpi_exporter generate wrote no %s: %v\n%s", p, err, out.String())
		}
	}
	// The promtool tests generated for this catalog pass, as a user's CI
	// would run them.
	promtool := testdb.RequireBinary(t, "promtool", "prometheus")
	tests, err := filepath.Glob(filepath.Join(s.outDir, "rules", "tests", "*.yml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no generated promtool tests (%v)", err)
	}
	pt := exec.CommandContext(ctx, promtool, append([]string{"test", "rules"}, tests...)...)
	if b, err := pt.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules on the generated tests: %v\n%s", err, b)
	}
}

// startExporter runs the binary on the catalog.
func (s *stack) startExporter(t testing.TB) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	s.exporter = "http://" + addr
	s.exporterP = testproc.Start(t, "kpi_exporter", s.dir, s.bin,
		[]string{dbPasswordEnv + "=" + dbPassword},
		"serve", "--config.file="+s.catalog, "--web.listen-address="+addr, "--log.level=debug")
	s.exporterP.WaitHTTP(t, http.DefaultClient, s.exporter+"/-/healthy", true, time.Minute)
}

// startAlertmanager runs Debian's Alertmanager on the generated
// configuration, with only its receiver endpoints pointed at the suite.
func (s *stack) startAlertmanager(t testing.TB, hooks *webhookReceiver, smtp *smtpReceiver) []string {
	t.Helper()
	am := testdb.RequireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	gen, err := os.ReadFile(filepath.Join(s.outDir, "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	adapted, hookNames, err := adaptAlertmanager(gen, hooks.URL, smtp.addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.dir, "alertmanager")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, adapted, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	s.alertmgr = "http://" + addr
	p := testproc.Start(t, "alertmanager", dir, am, nil,
		"--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=debug")
	p.WaitHTTP(t, http.DefaultClient, s.alertmgr+"/-/ready", true, time.Minute)
	return hookNames
}

// startPrometheus runs Debian's Prometheus: it scrapes the exporter, loads
// the generated rule files and sends alerts to the Alertmanager.
func (s *stack) startPrometheus(t testing.TB) {
	t.Helper()
	bin := testdb.RequireBinary(t, "prometheus", "prometheus")
	dir := filepath.Join(s.dir, "prometheus")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: %s
  scrape_timeout: %s
  evaluation_interval: %s
rule_files:
  - %q
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: kpi_exporter
    static_configs:
      - targets: [%q]
`, promDur(scrapeInterval), promDur(scrapeInterval), promDur(evalInterval),
		filepath.Join(s.outDir, "rules", "*.yml"),
		strings.TrimPrefix(s.alertmgr, "http://"), strings.TrimPrefix(s.exporter, "http://"))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	s.prometheus = "http://" + addr
	s.prom = promAPI{base: s.prometheus}
	p := testproc.Start(t, "prometheus", dir, bin, nil,
		"--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=debug")
	p.WaitHTTP(t, http.DefaultClient, s.prometheus+"/-/ready", true, time.Minute)
	// Prometheus starts even when a rule file is bad; it must have loaded
	// every generated group.
	rules, err := readRules(filepath.Join(s.outDir, "rules"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "Prometheus loads the generated rules", func() error {
		var data struct {
			Groups []struct {
				Rules []struct{} `json:"rules"`
			} `json:"groups"`
		}
		if err := s.prom.get("/api/v1/rules", nil, &data); err != nil {
			return err
		}
		n := 0
		for _, g := range data.Groups {
			n += len(g.Rules)
		}
		if n != len(rules) {
			return fmt.Errorf("Prometheus has %d rules, the generated files %d", n, len(rules))
		}
		return nil
	})
}

// reload asks the exporter to reload its catalog.
func (s *stack) reload(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.exporter+"/-/reload", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /-/reload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /-/reload: %s", resp.Status)
	}
}

// promDur renders d as Prometheus writes durations.
func promDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}
