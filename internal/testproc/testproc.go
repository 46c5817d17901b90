// Package testproc runs the servers that tests start as separate processes
// (kpi_exporter built with -race, Prometheus, Alertmanager), and holds the
// log sink tests read while code under test writes to it.
package testproc

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
	"syscall"
	"testing"
	"time"
)

// SyncBuffer is a goroutine-safe writer that tests read while a server, in
// the test process or out of it, writes its logs to it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Process is a server a test started: its own process group, its output in
// a log file, stopped (group and all) when the test ends, its log shown when
// the test failed, and the test failed when its log reports a data race.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}

	mu      sync.Mutex
	stopped bool
}

// Start runs bin with args in dir and stops it when t ends. env is added to
// the test's own environment; the output goes to dir/name.log.
func Start(t testing.TB, name, dir, bin string, env []string, args ...string) *Process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("%s log: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so that stopping it stops its children too; and
	// killed by the kernel if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop(15 * time.Second)
		if strings.Contains(p.LogTail(64<<20), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race; see %s", name, logPath)
		}
		if t.Failed() {
			t.Logf("---- %s log (last 8 KiB of %s) ----\n%s", name, logPath, p.LogTail(8<<10))
		}
	})
	return p
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process alone.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Running reports whether the process has not exited.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after grace, and
// returns the process's exit code (-1 when a signal ended it).
func (p *Process) Stop(grace time.Duration) int {
	p.mu.Lock()
	already := p.stopped
	p.stopped = true
	p.mu.Unlock()
	if already {
		<-p.done
		return p.cmd.ProcessState.ExitCode()
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Anything left in the group (it outlived its leader) goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return p.cmd.ProcessState.ExitCode()
}

// Log returns everything the process has written so far.
func (p *Process) Log() string { return p.LogTail(1 << 62) }

// LogTail returns the last n bytes of the process's output.
func (p *Process) LogTail(n int64) string {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	off := max(st.Size()-n, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return err.Error()
	}
	return string(buf)
}

// WaitHTTP waits until GET url with client answers, with status 200 when
// want200 is set and with any status otherwise. It fails the test with the
// process's log when the process exits or the time is up.
func (p *Process) WaitHTTP(t testing.TB, client *http.Client, url string, want200 bool, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if !p.Running() {
			t.Fatalf("%s exited before %s answered (%v); log:\n%s", p.Name, url, p.cmd.ProcessState, p.LogTail(8<<10))
		}
		last := get(ctx, client, url, want200)
		if last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s did not answer within %s: %v; log:\n%s", p.Name, url, timeout, last, p.LogTail(8<<10))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, client *http.Client, url string, want200 bool) error {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if want200 && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
