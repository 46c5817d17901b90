package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// promtoolResult is what `promtool test rules` took on the tests generated
// for one team.
type promtoolResult struct {
	KPIs int
	// Files and Groups count the test files and their test groups.
	Files, Groups int
	// Wall is the time from start to exit; User and Sys the CPU time the
	// kernel counted for promtool.
	Wall, User, Sys time.Duration
	Promtool        string
	// TimedOut is set when promtool was killed at Options.PromtoolTimeout:
	// Wall is then a lower bound.
	TimedOut bool
}

// promtoolTests generates a catalog of one team of PromtoolKPIs KPIs (the
// generator benchmark's mix: constant and SQL targets over every period,
// thresholds, anomaly detection, two label columns) and runs promtool on
// its generated tests as the README tells a user to: in rules/tests,
// `promtool test rules *.yml`. Failing tests fail the step.
func (e *env) promtoolTests(ctx context.Context) (promtoolResult, error) {
	res := promtoolResult{KPIs: e.opts.PromtoolKPIs}
	bin, err := testdb.LookupBinary("promtool", "prometheus")
	if err != nil {
		return res, err
	}
	res.Promtool = firstLine(ctx, bin, "--version")
	dir := filepath.Join(e.dir, "promtool")
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	cfg := filepath.Join(dir, "catalog.yaml")
	if err := generateCatalog(cfg, res.KPIs, 1); err != nil {
		return res, err
	}
	gen := exec.CommandContext(ctx, e.bins.ours, "generate", "--config.file="+cfg, "--output.dir="+out)
	gen.Env = append(os.Environ(), "BENCH_DB_PASSWORD=x")
	if b, err := gen.CombinedOutput(); err != nil {
		return res, fmt.Errorf("kpi_exporter generate: %w\n%s", err, b)
	}
	testDir := filepath.Join(out, "rules", "tests")
	files, err := filepath.Glob(filepath.Join(testDir, "*.yml"))
	if err != nil || len(files) == 0 {
		return res, fmt.Errorf("no generated tests in %s (%v)", testDir, err)
	}
	args := []string{"test", "rules"}
	for _, f := range files {
		n, err := testGroups(f)
		if err != nil {
			return res, err
		}
		res.Groups += n
		args = append(args, filepath.Base(f))
	}
	res.Files = len(files)
	e.progressf("promtool: %d KPIs in one team, %d test files, %d test groups", res.KPIs, res.Files, res.Groups)
	pctx, cancel := context.WithTimeout(ctx, e.opts.PromtoolTimeout)
	defer cancel()
	cmd := exec.CommandContext(pctx, bin, args...)
	cmd.Dir = testDir
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	start := time.Now()
	err = cmd.Run()
	res.Wall = time.Since(start)
	if st := cmd.ProcessState; st != nil {
		res.User, res.Sys = st.UserTime(), st.SystemTime()
	}
	if pctx.Err() != nil && ctx.Err() == nil {
		res.TimedOut = true
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("cd %s && promtool test rules *.yml: %w\n%s", testDir, err, lastLines(output.String(), 30))
	}
	return res, nil
}

// testGroups counts the test groups of a promtool test file.
func testGroups(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var f struct {
		Tests []yaml.Node `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return len(f.Tests), nil
}

// lastLines are the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// promtoolRow is the table's row of the step.
func (p *promtoolResult) row() (what, figures, target, met string) {
	what = fmt.Sprintf("promtool test rules on one team's generated tests: wall (user+sys CPU), %d files, %d test groups", p.Files, p.Groups)
	figures = fmt.Sprintf("%s (%s)", dur(p.Wall), dur(p.User+p.Sys))
	if p.TimedOut {
		figures = "not finished, killed after " + dur(p.Wall)
	}
	if p.KPIs == targetPromtoolKPIs {
		target, met = "≤"+dur(targetPromtoolWall), yes(!p.TimedOut && p.Wall <= targetPromtoolWall)
	}
	return what, figures, target, met
}
