package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is one generated file: a slash-separated path relative to the output
// directory, and its content.
type File struct {
	Path string
	Data []byte
}

// Write writes files below dir. Every file is first written to a temporary
// file beside its destination; only when all of them are written are they
// renamed into place, so a failure leaves no half-written output behind.
func Write(dir string, files []File) (err error) {
	seen := map[string]bool{}
	for _, f := range files {
		p := filepath.FromSlash(f.Path)
		if f.Path == "" || filepath.IsAbs(p) || !filepath.IsLocal(p) {
			return fmt.Errorf("write output: path %q is not inside the output directory", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("write output: %s is generated twice", f.Path)
		}
		seen[f.Path] = true
	}
	type pending struct{ tmp, dst string }
	var done []pending
	defer func() {
		if err != nil {
			for _, p := range done {
				os.Remove(p.tmp)
			}
		}
	}()
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
		if err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		done = append(done, pending{tmp.Name(), dst})
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("write output %s: %w", f.Path, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write output %s: %w", f.Path, err)
		}
	}
	for i, p := range done {
		if err := os.Rename(p.tmp, p.dst); err != nil {
			for _, q := range done[i:] {
				os.Remove(q.tmp)
			}
			done = nil
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}

// Join returns the slash path of elem, for File.Path.
func Join(elem ...string) string { return strings.Join(elem, "/") }
