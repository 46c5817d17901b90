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
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
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

// process is a kpi_exporter serving on a free loopback port.
type process struct {
	*testproc.Process
	addr string
}

// startProcess runs bin with args plus a free --web.listen-address, with its
// output in a log in a temporary directory, and stops it when the test ends.
func startProcess(t testing.TB, bin string, env []string, args ...string) *process {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	args = append([]string{"--web.listen-address=" + addr}, args...)
	return &process{Process: testproc.Start(t, "kpi_exporter", t.TempDir(), bin, env, args...), addr: addr}
}

// waitHTTP waits until url answers with any status; it fails the test when
// the process exits first.
func (p *process) waitHTTP(t testing.TB, client *http.Client, url string) {
	t.Helper()
	p.WaitHTTP(t, client, url, false, 60*time.Second)
}

// stop sends SIGTERM and waits; it returns the exit code.
func (p *process) stop() int { return p.Stop(15 * time.Second) }

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
