package output

import (
	"os"
	"path/filepath"
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
