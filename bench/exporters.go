package bench

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// binaries are the two exporters under comparison.
type binaries struct {
	ours, peer string
	// serveArgs are the arguments before the flags that make kpi_exporter
	// serve (empty when serving is its default command).
	serveArgs []string
}

// startOurs runs kpi_exporter on the catalog at cfg.
func (b binaries) startOurs(dir, cfg string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	args := append(append([]string{}, b.serveArgs...), "--config.file="+cfg, "--web.listen-address="+addr, "--log.level=warn")
	p, err := startProcess("kpi_exporter", b.ours, filepath.Join(dir, "kpi_exporter.log"), nil, args...)
	return p, "http://" + addr + "/metrics", err
}

// startPeer runs prometheus-sql-exporter on the config at cfg.
func (b binaries) startPeer(dir, cfg string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := startProcess("prometheus-sql-exporter", b.peer, filepath.Join(dir, "peer.log"), []string{"LOGLEVEL=warn"},
		"-config.file="+cfg, "-web.listen-address="+addr)
	return p, "http://" + addr + "/metrics", err
}

// detectServe finds how kpi_exporter is told to serve: its "serve" command
// when it has one (named explicitly even when it is the default), else its
// top-level flags.
func detectServe(ctx context.Context, bin string) ([]string, error) {
	// With a default command, --help prints the usage and then runs it, so
	// the exit status says nothing: read the usage.
	out, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if !strings.Contains(string(out), "usage:") {
		return nil, fmt.Errorf("%s --help: %v\n%s", bin, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.TrimSuffix(f[0], "*") == "serve" {
			return []string{"serve"}, nil
		}
	}
	return nil, nil
}

// waitSeries waits until the page at url carries want samples of metric.
func waitSeries(ctx context.Context, c *http.Client, p *process, url, metric string, want int, timeout time.Duration) error {
	return waitFor(ctx, p, timeout, fmt.Sprintf("%d series of %s", want, metric), func() (bool, error) {
		page, err := fetch(ctx, c, url)
		if err != nil {
			return false, err
		}
		got := countSeries(page, metric)
		if got == want {
			return true, nil
		}
		return false, fmt.Errorf("%d of %d series", got, want)
	})
}
