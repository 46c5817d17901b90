package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// generateResult is what runs of `kpi_exporter generate` on a large
// catalog took.
type generateResult struct {
	KPIs  int
	Teams int
	// Wall is the median wall time; Walls every run's, in run order.
	Wall  time.Duration
	Walls []time.Duration
	// MaxRSS is the largest of the runs' peak resident sets, in bytes, as
	// the kernel counts them.
	MaxRSS int64
	Files  int
	Bytes  int64
	Args   []string
	// TimedOut is set when the run was killed at Options.GenerateTimeout:
	// Wall is then a lower bound, and MaxRSS unknown.
	TimedOut bool
}

// generateCatalog writes a catalog of n KPIs spread over teams, with every
// feature the generators read: constant and SQL targets, thresholds as
// values and as percentages, periods (with targets), anomaly detection and
// runbooks.
func generateCatalog(path string, n, teams int) error {
	ts := map[string]any{}
	for t := range teams {
		ts[fmt.Sprintf("team_%02d", t)] = map[string]any{
			"description": fmt.Sprintf("Team %d", t),
			"notify":      map[string]any{"email": []any{map[string]any{"to": fmt.Sprintf("team%02d@example.com", t)}}},
		}
	}
	periods := []string{"", "day", "week", "month", "quarter"}
	kpis := make([]map[string]any, 0, n)
	for i := range n {
		team := fmt.Sprintf("team_%02d", i%teams)
		k := map[string]any{
			"name": fmt.Sprintf("kpi_%05d_revenue", i), "help": fmt.Sprintf("Revenue of line %d.", i),
			"unit": "currency", "currency": "EUR", "owner": "owner" + team, "team": team,
			"source": "bench", "sql": fmt.Sprintf("SELECT region, store, SUM(revenue) AS value FROM sales_%d GROUP BY region, store", i),
			"labels": []string{"region", "store"}, "value": "value", "direction": "higher",
			"runbook_url": fmt.Sprintf("https://runbooks.example.com/kpi/%d", i),
		}
		p := periods[i%len(periods)]
		switch i % 3 {
		case 0:
			k["target"] = map[string]any{"value": 1000 + i}
			k["thresholds"] = map[string]any{"warning": "90%", "critical": "75%"}
			if p != "" {
				k["period"] = p
			}
		case 1:
			k["target"] = map[string]any{"sql": fmt.Sprintf("SELECT region, store, budget AS target FROM budgets_%d", i)}
			k["thresholds"] = map[string]any{"warning": "95%", "critical": "80%"}
			if p != "" {
				k["period"] = p
			}
		default:
			k["thresholds"] = map[string]any{"warning": 500, "critical": 100}
			k["anomaly"] = map[string]any{"window": "7d", "stddevs": 3}
		}
		kpis = append(kpis, k)
	}
	doc := map[string]any{
		"global":   map[string]any{"interval": "5m", "grafana_url": "https://grafana.example.com"},
		"alerting": map[string]any{"smtp": map[string]any{"smarthost": "smtp.example.com:587", "from": "kpi@example.com"}},
		"sources":  map[string]any{"bench": map[string]any{"driver": "mysql", "dsn": "kpi:${BENCH_DB_PASSWORD}@tcp(db:3306)/erp"}},
		"teams":    ts,
		"kpis":     kpis,
	}
	if err := writeYAML(path, doc); err != nil {
		return err
	}
	if _, err := (catalog.Options{LookupEnv: func(string) (string, bool) { return "x", true }}).Load(path); err != nil {
		return fmt.Errorf("the generator benchmark catalog does not load: %w", err)
	}
	return nil
}

func (e *env) generate(ctx context.Context) (generateResult, error) {
	res := generateResult{KPIs: e.opts.GenerateKPIs, Teams: min(20, e.opts.GenerateKPIs)}
	dir := filepath.Join(e.dir, "generate")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("work dir: %w", err)
	}
	cfg := filepath.Join(dir, "catalog.yaml")
	if err := generateCatalog(cfg, res.KPIs, res.Teams); err != nil {
		return res, err
	}
	e.progressf("generate: %d KPIs in %d teams, %d runs", res.KPIs, res.Teams, e.opts.GenerateRuns)
	out := filepath.Join(dir, "out")
	res.Args = []string{"generate", "--config.file=" + cfg, "--output.dir=" + out}
	// Building the catalog left this process a large heap; collect it now,
	// so that its collector and scavenger do not compete with generate.
	debug.FreeOSMemory()
	for range e.opts.GenerateRuns {
		// Each run writes into an empty directory, as a first generate
		// does: replacing the previous run's files would add the kernel's
		// freeing of them to the run.
		if err := os.RemoveAll(out); err != nil {
			return res, err
		}
		if err := os.Mkdir(out, 0o755); err != nil {
			return res, err
		}
		wall, maxRSS, err := e.generateOnce(ctx, dir, res.Args)
		res.Walls = append(res.Walls, wall)
		if err != nil || wall < 0 {
			res.TimedOut = wall < 0
			if res.TimedOut {
				res.Wall = -wall
			}
			return res, err
		}
		res.MaxRSS = max(res.MaxRSS, maxRSS)
	}
	res.Wall = median(res.Walls)
	err := filepath.WalkDir(out, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		res.Files++
		res.Bytes += info.Size()
		return nil
	})
	return res, err
}

// generateOnce runs generate and returns its wall time and peak RSS; a
// negative wall time is that of a run killed at the timeout.
func (e *env) generateOnce(ctx context.Context, dir string, args []string) (time.Duration, int64, error) {
	gctx, cancel := context.WithTimeout(ctx, e.opts.GenerateTimeout)
	defer cancel()
	// Through a reaper, so that the peak RSS is generate's own and not
	// this process's (reaper.go).
	cmd, maxRSS, err := reaped(func(name string, args ...string) *exec.Cmd {
		return exec.CommandContext(gctx, name, args...)
	}, dir, e.bins.ours, args...)
	if err != nil {
		return 0, 0, err
	}
	cmd.Env = append(cmd.Env, "BENCH_DB_PASSWORD=x")
	start := time.Now()
	b, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if gctx.Err() != nil && ctx.Err() == nil {
		// Killed with its reaper, which never wrote the peak RSS.
		return -wall, 0, nil
	}
	if err != nil {
		return wall, 0, fmt.Errorf("kpi_exporter generate: %w\n%s", err, b)
	}
	rss, err := maxRSS()
	return wall, rss, err
}
