package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// hugePageAdvised reports whether any mapping of this process carries the
// hg flag that madvise(MADV_HUGEPAGE) sets.
func hugePageAdvised(t *testing.T) bool {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(smaps)) {
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && slices.Contains(strings.Fields(flags), "hg") {
			return true
		}
	}
	return false
}

func TestGenerateAdvisesHugePagesForItsHeap(t *testing.T) {
	if code, stdout, stderr := execCLI(t, "generate", "--config.file=../../config.example.yaml", "--output.dir="+t.TempDir()); code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !hugePageAdvised(t) {
		t.Error("after generate, no mapping of the process is advised for huge pages (no hg in /proc/self/smaps VmFlags)")
	}
}
