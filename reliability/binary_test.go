package reliability

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

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// builtBinaries caches the kpi_exporter binaries this test process built,
// plain and with the race detector.
var builtBinaries sync.Map // bool (race) -> *builtBinary

type builtBinary struct {
	once sync.Once
	path string
	err  error
}

// buildExporter builds cmd/kpi_exporter once per test process, with -race
// when race is set, into a directory removed when the process exits.
func buildExporter(t testing.TB, race bool) string {
	t.Helper()
	v, _ := builtBinaries.LoadOrStore(race, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "kpi-reliability-bin-")
		if err != nil {
			b.err = err
			return
		}
		name := "kpi_exporter"
		args := []string{"build", "-o", filepath.Join(dir, name)}
		if race {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/kpi_exporter")
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		b.path = filepath.Join(dir, name)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// process is a running kpi_exporter with its output captured.
type process struct {
	cmd    *exec.Cmd
	addr   string
	out    *syncBuffer // stdout and stderr
	exited chan struct{}
}

// startProcess runs bin serve with args plus a free --web.listen-address,
// and stops it when the test ends. wait names a path that must answer 200
// before it returns ("" to not wait, for a process that should fail).
func startProcess(t testing.TB, bin string, env []string, args ...string) *process {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	p := &process{addr: addr, out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--web.listen-address=" + addr}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// waitHTTP waits until url answers with any status, or the process exits.
func (p *process) waitHTTP(t testing.TB, client *http.Client, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("kpi_exporter exited: %v\n%s", p.cmd.ProcessState, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kpi_exporter does not answer on %s: %v\n%s", url, err, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits; it returns the exit code.
func (p *process) stop() int {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	return p.cmd.ProcessState.ExitCode()
}

// runCommand runs bin with args to completion and returns its combined
// output and exit code.
func runCommand(t testing.TB, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), code
}
