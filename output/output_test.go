package output

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files ...File) {
	t.Helper()
	if _, err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteCreatesEveryFileBelowTheDirectory(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Path: "rules/a.md", Data: []byte("a\n")}, {Path: "b/c/d.md", Data: []byte("d\n")}}
	n, err := Write(dir, files)
	if err != nil || n != 2 {
		t.Fatalf("wrote %d: %v", n, err)
	}
	for _, f := range files {
		if got := read(t, dir, f.Path); got != string(f.Data) {
			t.Errorf("%s: got %q", f.Path, got)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "rules", ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestValuesAreEncodedByTheirExtension(t *testing.T) {
	dir := t.TempDir()
	type doc struct {
		Name string            `yaml:"name" json:"name"`
		Expr string            `yaml:"expr" json:"expr"`
		Tags map[string]string `yaml:"tags" json:"tags"`
	}
	v := doc{Name: "a", Expr: "x < 1 and y > 2", Tags: map[string]string{"b": "2", "a": "1"}}
	write(t, dir,
		File{Path: "a.yml", Value: v, Comment: "first line\nsecond line"},
		File{Path: "a.json", Value: v},
	)
	wantYAML := Header + "# first line\n# second line\n" + "name: a\nexpr: x < 1 and y > 2\ntags:\n  a: \"1\"\n  b: \"2\"\n"
	if got := read(t, dir, "a.yml"); got != wantYAML {
		t.Errorf("a.yml:\n%s\nwant:\n%s", got, wantYAML)
	}
	wantJSON := "{\n  \"name\": \"a\",\n  \"expr\": \"x < 1 and y > 2\",\n  \"tags\": {\n    \"a\": \"1\",\n    \"b\": \"2\"\n  }\n}\n"
	if got := read(t, dir, "a.json"); got != wantJSON {
		t.Errorf("a.json:\n%s\nwant:\n%s", got, wantJSON)
	}
}

func TestWriteRefusesPathsOutsideTheDirectoryAndWritesNothing(t *testing.T) {
	for _, p := range []string{"../escape.md", "/abs.md", "", "a/../../b.md"} {
		t.Run(p, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Write(dir, []File{{Path: "ok.md", Data: []byte("x")}, {Path: p, Data: []byte("x")}}); err == nil {
				t.Fatal("accepted")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("wrote %d entries before refusing", len(entries))
			}
		})
	}
}

func TestWriteRefusesTheSamePathTwice(t *testing.T) {
	if _, err := Write(t.TempDir(), []File{{Path: "a.md"}, {Path: "a.md"}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("got %v, want an error naming the path generated twice", err)
	}
}

func TestAValueThatCannotBeEncodedLeavesTheDirectoryAsItWas(t *testing.T) {
	for _, bad := range []File{
		{Path: "a/b/bad.json", Value: math.Inf(1)}, // not JSON
		{Path: "a/b/bad.txt", Value: "no encoding for .txt"},
	} {
		t.Run(bad.Path, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "keep.yml"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Write(dir, []File{{Path: "keep.yml", Value: "new"}, {Path: "a/b/c.yml", Value: 1}, bad})
			if err == nil || !strings.Contains(err.Error(), bad.Path) {
				t.Fatalf("got %v, want an error naming %s", err, bad.Path)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != "keep.yml" {
				t.Errorf("left %v", entries)
			}
			if got := read(t, dir, "keep.yml"); got != "old" {
				t.Errorf("keep.yml is %q", got)
			}
		})
	}
}

// TestAWriterInPartsIsOneWrite: files staged in several parts are put in
// place together; a path staged twice across parts, or a part that fails,
// leaves the directory as it was, including what earlier parts staged.
func TestAWriterInPartsIsOneWrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.yml"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, second := range [][]File{
		{{Path: "a/one.yml", Value: 2}},
		{{Path: "b/bad.json", Value: math.Inf(1)}},
	} {
		w := NewWriter(dir)
		if err := w.Stage([]File{{Path: "keep.yml", Value: "new"}, {Path: "a/one.yml", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Stage(second); err == nil {
			t.Fatalf("staged %s after the first part", second[0].Path)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || read(t, dir, "keep.yml") != "old" {
			t.Errorf("a failed part left %v, keep.yml %q", entries, read(t, dir, "keep.yml"))
		}
	}
	w := NewWriter(dir)
	for _, part := range [][]File{{{Path: "keep.yml", Value: "new"}}, {{Path: "a/one.yml", Value: 1}}, {{Path: "b/two.md", Data: []byte("two")}}} {
		if err := w.Stage(part); err != nil {
			t.Fatal(err)
		}
	}
	if read(t, dir, "keep.yml") != "old" {
		t.Error("a staged file is in place before Commit")
	}
	if n, err := w.Commit(); err != nil || n != 3 {
		t.Fatalf("commit: %d files, %v", n, err)
	}
	if !strings.Contains(read(t, dir, "keep.yml"), "new") {
		t.Errorf("keep.yml is %q", read(t, dir, "keep.yml"))
	}
	if read(t, dir, "b/two.md") != "two" || !strings.Contains(read(t, dir, ManifestFile), "a/one.yml") {
		t.Error("the parts are not all written and listed in the manifest")
	}
}

func TestWriteRemovesOnlyFilesItNoLongerWrites(t *testing.T) {
	dir := t.TempDir()
	files := func(paths ...string) []File {
		var out []File
		for _, p := range paths {
			out = append(out, File{Path: p, Data: []byte(p)})
		}
		return out
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("a user's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, dir, files("rules/team-a.yml", "rules/team-b.yml", "rules/tests/team-b.yml")...)
	write(t, dir, files("rules/team-a.yml", "rules/team-c.yml")...)
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
	write(t, dir, files("rules/team-a.yml")...)
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the output directory was removed: %v", err)
	}
}
