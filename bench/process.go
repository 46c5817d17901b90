package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one exporter under measurement.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string

	mu     sync.Mutex
	maxRSS int64 // bytes, the largest VmRSS sampled
	stop   chan struct{}
}

// startProcess runs bin with args, its output in logPath, and samples its
// RSS from /proc every 100ms until it is stopped.
func startProcess(name, bin, logPath string, env []string, args ...string) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: logPath, stop: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	go p.sample()
	return p, nil
}

func (p *process) sample() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.done:
			return
		case <-t.C:
			if m, err := p.memory(); err == nil {
				p.mu.Lock()
				p.maxRSS = max(p.maxRSS, m.RSS)
				p.mu.Unlock()
			}
		}
	}
}

// memory is a process's resident set from /proc/PID/status.
type memory struct {
	RSS, HWM int64 // VmRSS and VmHWM (peak), in bytes
}

func (p *process) memory() (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return memory{}, fmt.Errorf("read memory of %s: %w", p.name, err)
	}
	var m memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = n << 10
		case "VmHWM":
			m.HWM = n << 10
		}
	}
	return m, nil
}

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// tail returns the end of the process's log, for error messages.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// Stop ends the process: SIGTERM, then SIGKILL after 10s.
func (p *process) Stop() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitFor polls until check reports done, the process exits, or ctx ends.
func waitFor(ctx context.Context, p *process, timeout time.Duration, what string, check func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := check()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if !p.running() {
			return fmt.Errorf("%s exited while waiting for %s; log:\n%s", p.name, what, p.tail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: no %s within %s (last error: %v); log:\n%s", p.name, what, timeout, last, p.tail())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
