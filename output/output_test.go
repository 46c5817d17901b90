package output

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWriteCreatesEveryFileBelowTheDirectory(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Path: "rules/a.yml", Data: []byte("a\n")}, {Path: "b/c/d.yml", Data: []byte("d\n")}}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s: got %q, %v", f.Path, got, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "rules", ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestWriteRefusesPathsOutsideTheDirectoryAndWritesNothing(t *testing.T) {
	for _, p := range []string{"../escape.yml", "/abs.yml", "", "a/../../b.yml"} {
		t.Run(p, func(t *testing.T) {
			dir := t.TempDir()
			err := Write(dir, []File{{Path: "ok.yml", Data: []byte("x")}, {Path: p, Data: []byte("x")}})
			if err == nil {
				t.Fatal("accepted")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("wrote %d entries before refusing", len(entries))
			}
		})
	}
}

func TestWriteRefusesTheSamePathTwice(t *testing.T) {
	if err := Write(t.TempDir(), []File{{Path: "a.yml"}, {Path: "a.yml"}}); err == nil {
		t.Fatal("accepted a path twice")
	}
}

func TestWriterShowsNothingBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter(dir)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := w.Write(fmt.Sprintf("rules/tests/f%d.yml", i), []byte{byte('a' + i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m, _ := filepath.Glob(filepath.Join(dir, "rules", "tests", "*.yml")); len(m) != 0 {
		t.Fatalf("visible before Commit: %v", m)
	}
	if n, err := w.Commit(); err != nil || n != 20 {
		t.Fatalf("committed %d: %v", n, err)
	}
	for i := range 20 {
		got, err := os.ReadFile(filepath.Join(dir, "rules", "tests", fmt.Sprintf("f%d.yml", i)))
		if err != nil || string(got) != string(rune('a'+i)) {
			t.Errorf("f%d.yml: %q, %v", i, got, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "rules", "tests", ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestWriterAbortLeavesTheDirectoryAsItWas(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.yml"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(dir)
	for _, p := range []string{"keep.yml", "a/b/c.yml", "a/d.yml"} {
		if err := w.Write(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write("a/d.yml", nil); err == nil {
		t.Error("accepted a path twice")
	}
	w.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "keep.yml" {
		t.Errorf("left %v", entries)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "keep.yml")); string(got) != "old" {
		t.Errorf("keep.yml is %q", got)
	}
}

func TestFilesKeepsWhatIsWritten(t *testing.T) {
	var f Files
	buf := []byte("1")
	_ = f.Write("a", buf)
	buf[0] = '2' // a generator reuses its buffer for the next file
	_ = f.Write("b", buf)
	if l := f.List(); len(l) != 2 || l[0].Path != "a" || string(l[0].Data) != "1" || string(l[1].Data) != "2" {
		t.Errorf("%v", l)
	}
}

func TestCommitRemovesOnlyFilesItNoLongerWrites(t *testing.T) {
	dir := t.TempDir()
	write := func(paths ...string) {
		t.Helper()
		w := NewWriter(dir)
		w.Manifest = true
		for _, p := range paths {
			if err := w.Write(p, []byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("a user's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("rules/team-a.yml", "rules/team-b.yml", "rules/tests/team-b.yml")
	write("rules/team-a.yml", "rules/team-c.yml")
	for p, want := range map[string]bool{
		"rules/team-a.yml": true, "rules/team-c.yml": true, "mine.txt": true,
		"rules/team-b.yml": false, "rules/tests/team-b.yml": false,
	} {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if got := err == nil; got != want {
			t.Errorf("%s exists: %v, want %v", p, got, want)
		}
	}
	// A manifest naming files outside the directory removes nothing there.
	outside := filepath.Join(t.TempDir(), "keep.yml")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte("../keep.yml\n"+outside+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("rules/team-a.yml")
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the output directory was removed: %v", err)
	}
}

func TestWriteKeepsNoManifest(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, []File{{Path: "a.yml"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		t.Error("Write left a manifest")
	}
}
