package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// File is one generated file: a slash-separated path relative to the output
// directory, and its content.
type File struct {
	Path string
	Data []byte
}

// Sink takes generated files one at a time. A generator that writes into a
// Sink can hand each file over as soon as it is rendered and forget it, so
// that a large catalog's output never has to fit in memory at once. Sinks
// are safe for concurrent use and never keep data once Write returns, so
// that a generator can render its next file into the same buffer.
type Sink interface {
	Write(path string, data []byte) error
}

// Files is a Sink that keeps every file, in the order written: for tests and
// for callers that want the files rather than the disk.
type Files struct {
	mu    sync.Mutex
	files []File
}

// Write keeps a copy of a file.
func (f *Files) Write(path string, data []byte) error {
	data = bytes.Clone(data)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files = append(f.files, File{Path: path, Data: data})
	return nil
}

// List returns the files kept so far.
func (f *Files) List() []File {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.files)
}

// Writer is a Sink that writes files below a directory as they come, each to
// a temporary file beside its destination. Commit renames them all into
// place; until then, and after Abort, the destinations are untouched, so a
// generator that fails halfway leaves no half-written output behind. It is
// safe for concurrent use.
type Writer struct {
	// Manifest, set before the first Write, makes Commit keep ManifestFile
	// and remove what the previous such Commit wrote and this one did not.
	Manifest bool

	dir     string
	mu      sync.Mutex
	seen    map[string]bool
	pending []pending
	// made are the directories Writer created, removed again by Abort when
	// empty.
	made []string
}

type pending struct{ tmp, dst string }

// NewWriter returns a Writer into dir.
func NewWriter(dir string) *Writer {
	return &Writer{dir: dir, seen: map[string]bool{}}
}

// Write writes data to a temporary file for path, a slash path that must lie
// inside the directory and must not have been written before.
func (w *Writer) Write(path string, data []byte) error {
	p := filepath.FromSlash(path)
	if path == "" || filepath.IsAbs(p) || !filepath.IsLocal(p) {
		return fmt.Errorf("write output: path %q is not inside the output directory", path)
	}
	dst := filepath.Join(w.dir, p)
	w.mu.Lock()
	if w.seen[path] {
		w.mu.Unlock()
		return fmt.Errorf("write output: %s is generated twice", path)
	}
	w.seen[path] = true
	err := w.mkdirAll(filepath.Dir(dst))
	w.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	tmp, err := writeTemp(dst, data)
	if err != nil {
		return fmt.Errorf("write output %s: %w", path, err)
	}
	w.mu.Lock()
	w.pending = append(w.pending, pending{tmp, dst})
	w.mu.Unlock()
	return nil
}

// writeTemp writes data to a new temporary file beside dst, readable by all
// as the destination will be, and returns its name. On error it leaves no
// file behind.
func writeTemp(dst string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(data)
	err = errors.Join(werr, tmp.Close())
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// mkdirAll creates dir and its missing parents, remembering which it made.
// The caller holds w.mu.
func (w *Writer) mkdirAll(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w.made = append(w.made, missing...)
	return nil
}

// ManifestFile lists, in the output directory, the files the last Commit
// wrote, so that the next one can remove those it no longer writes (Writer's
// Manifest).
const ManifestFile = ".kpi_exporter-files"

// Commit renames every file written into place and returns how many there
// were. If a rename fails, the files not yet renamed are removed and the
// error returned. With Manifest set, files the previous such Commit into
// the same directory wrote (ManifestFile) and this one did not are removed:
// a team or KPI deleted from the catalog takes its rule files, tests and
// dashboards with it, and no other file is ever touched.
func (w *Writer) Commit() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.pending)
	written := make([]string, 0, n)
	for p := range w.seen {
		written = append(written, p)
	}
	slices.Sort(written)
	manifest := []byte(strings.Join(written, "\n") + "\n")
	old, _ := os.ReadFile(filepath.Join(w.dir, ManifestFile))
	for i, p := range w.pending {
		if err := os.Rename(p.tmp, p.dst); err != nil {
			for _, q := range w.pending[i:] {
				os.Remove(q.tmp)
			}
			w.pending = nil
			return i, fmt.Errorf("write output: %w", err)
		}
	}
	w.pending = nil
	if !w.Manifest {
		return n, nil
	}
	if err := writeAtomic(filepath.Join(w.dir, ManifestFile), manifest); err != nil {
		return n, fmt.Errorf("write output: %w", err)
	}
	for _, p := range strings.Split(string(old), "\n") {
		fp := filepath.FromSlash(p)
		if p == "" || w.seen[p] || filepath.IsAbs(fp) || !filepath.IsLocal(fp) {
			continue
		}
		if err := os.Remove(filepath.Join(w.dir, fp)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("write output: remove %s, no longer generated: %w", p, err)
		}
	}
	return n, nil
}

// writeAtomic replaces path with data through a temporary file.
func writeAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Abort removes every file written and not committed, and the directories
// Writer created that are empty then.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.pending {
		os.Remove(p.tmp)
	}
	w.pending = nil
	// Deepest first, so that a parent is empty by the time it comes.
	slices.SortFunc(w.made, func(a, b string) int { return len(b) - len(a) })
	for _, d := range w.made {
		os.Remove(d)
	}
	w.made = nil
}

// Write writes files below dir through a Writer: all of them, or on any
// error none.
func Write(dir string, files []File) error {
	w := NewWriter(dir)
	for _, f := range files {
		if err := w.Write(f.Path, f.Data); err != nil {
			w.Abort()
			return err
		}
	}
	_, err := w.Commit()
	return err
}

// Join returns the slash path of elem, for File.Path.
func Join(elem ...string) string { return strings.Join(elem, "/") }
