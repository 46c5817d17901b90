package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error Load returns for a catalog that does
// not pass validation, so callers can tell a bad catalog from a missing file.
var ErrInvalid = errors.New("invalid catalog")

// maxErrors is how many problems a load reports one by one. A file of junk
// can hold millions; past this many they are only counted.
const maxErrors = 100

// Error is one problem in a catalog file, at a position and key path such as
// kpis[3].thresholds.warning.
type Error struct {
	Pos  Position
	Path string
	Msg  string
}

func (e Error) Error() string {
	var b strings.Builder
	if e.Pos.File != "" {
		b.WriteString(e.Pos.File)
		if e.Pos.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a catalog, sorted by file and line. When
// there were more than maxErrors, the last one says how many more.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (es Errors) Unwrap() error { return ErrInvalid }

// errorList collects a load's problems: the first maxErrors in full, the rest
// as a count, so that memory stays bounded whatever the input.
type errorList struct {
	kept  Errors
	more  int
	first Position // of the first problem not kept
}

func (l *errorList) add(e Error) {
	if !l.full() {
		l.kept = append(l.kept, e)
		return
	}
	l.count(e.Pos)
}

// full reports whether further problems are only counted.
func (l *errorList) full() bool { return len(l.kept) >= maxErrors }

// count counts a problem that is not kept.
func (l *errorList) count(at Position) {
	if l.more == 0 {
		l.first = at
	}
	l.more++
}

func (l *errorList) len() int { return len(l.kept) + l.more }

// at reports whether a problem was kept at exactly this file and path.
func (l *errorList) at(file, path string) bool {
	for _, e := range l.kept {
		if e.Pos.File == file && e.Path == path {
			return true
		}
	}
	return false
}

// errors returns the kept problems sorted by file and line, and a last line
// counting the rest.
func (l *errorList) errors() Errors {
	es := l.kept
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Pos.File != es[j].Pos.File {
			return es[i].Pos.File < es[j].Pos.File
		}
		return es[i].Pos.Line < es[j].Pos.Line
	})
	if l.more > 0 {
		es = append(es, Error{Pos: l.first, Msg: fmt.Sprintf("and %d more errors", l.more)})
	}
	return es
}
