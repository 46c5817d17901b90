package catalog

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update", false, "rewrite the .err files of testdata/bad from the loader's output")

// TestBadCorpus loads every malformed catalog in testdata/bad and compares
// the loader's error, with file, line and key, to the exact text in the
// sibling .err file. Each file's first line says what is wrong with it.
func TestBadCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("the corpus holds %d catalogs, want at least 30", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yml")
		t.Run(strings.ReplaceAll(name, "_", " "), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("an invalid catalog loaded")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			errFile := strings.TrimSuffix(f, ".yml") + ".err"
			got := err.Error() + "\n"
			if *updateCorpus {
				if err := os.WriteFile(errFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(errFile)
			if rerr != nil {
				t.Fatalf("%v (write the expected error there)", rerr)
			}
			if got != string(want) {
				t.Errorf("error:\n%s\nwant (%s):\n%s", got, errFile, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !strings.HasPrefix(line, f+":") {
					t.Errorf("error %q does not start with the file and line", line)
				}
			}
		})
	}
}
