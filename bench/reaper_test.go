package bench

import (
	"errors"
	"os/exec"
	"runtime"
	"testing"
)

// TestReaperReportsTheCommandsOwnPeak: a command started from a process
// that has touched 300 MiB reports its own small peak through a reaper,
// where the kernel's figure for a direct child would carry the 300 MiB.
func TestReaperReportsTheCommandsOwnPeak(t *testing.T) {
	ballast := make([]byte, 300<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	cmd, maxRSS, err := reaped(exec.Command, t.TempDir(), "/bin/sh", "-c", "exit 0")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	runtime.KeepAlive(ballast)
	rss, err := maxRSS()
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || rss > 100<<20 {
		t.Errorf("peak RSS of sh -c 'exit 0' is %d MiB through the reaper", rss>>20)
	}
}

func TestReaperPassesTheExitCodeOn(t *testing.T) {
	cmd, _, err := reaped(exec.Command, t.TempDir(), "/bin/sh", "-c", "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("got %v, want exit status 3", err)
	}
}
