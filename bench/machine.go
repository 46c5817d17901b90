package bench

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the figures came from.
type machine struct {
	CPUs    int
	CPU     string
	Memory  int64 // bytes
	Kernel  string
	Go      string
	MariaDB string
	Peer    string
	Ours    string
	// LoadAvg is /proc/loadavg's 1-minute average at the start and the end
	// of the run: other work on the machine skews every timing.
	LoadStart, LoadEnd string
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func describeMachine(ctx context.Context, db *sql.DB, bins binaries) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "MemTotal:" {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				m.Memory = n << 10
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	_ = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&m.MariaDB)
	m.Peer = firstLine(ctx, bins.peer, "-version")
	m.Ours = firstLine(ctx, bins.ours, "--version")
	return m
}

func firstLine(ctx context.Context, bin string, args ...string) string {
	out, _ := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
