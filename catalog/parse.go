package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// maxFileBytes caps one catalog file. yaml.v3 holds a file's whole node
// tree, 30 to 100 bytes of memory for each byte of YAML, so the cap is what
// keeps a careless or hostile file within a few hundred megabytes. A larger
// catalog is split into several files of a directory.
const maxFileBytes = 8 << 20

// readFile reads a catalog file, refusing one above maxFileBytes without
// reading it whole.
func readFile(path string, errs *errorList) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	if len(data) > maxFileBytes {
		errs.add(Error{Pos: Position{File: path}, Msg: fmt.Sprintf("the file is larger than %d MiB: split the catalog into several files of a directory", maxFileBytes>>20)})
		return nil, nil
	}
	return data, nil
}

// parseFile parses one catalog file into its document's root node. A file
// must be UTF-8 text without NUL bytes and hold exactly one YAML document
// with content; otherwise the problem is recorded and parseFile returns nil.
func parseFile(file string, data []byte, errs *errorList) *yaml.Node {
	at := func(offset int, format string, args ...any) {
		errs.add(Error{Pos: Position{File: file, Line: lineAt(data, offset)}, Msg: fmt.Sprintf(format, args...)})
	}
	if off := invalidUTF8(data); off >= 0 {
		at(off, "invalid UTF-8 at byte %d: a catalog file is UTF-8 text", off)
		return nil
	}
	if off := bytes.IndexByte(data, 0); off >= 0 {
		at(off, "NUL byte at byte %d: a catalog file is text", off)
		return nil
	}
	docs, err := parseDocuments(bytes.NewReader(data))
	if err != nil {
		errs.add(Error{Pos: Position{File: file, Line: errorLine(data, err)}, Msg: "invalid YAML: " + yamlMessage(err)})
		return nil
	}
	switch {
	case len(docs) == 0 && len(bytes.TrimSpace(data)) == 0:
		at(0, "the file is empty: a catalog file holds sources, teams or kpis")
		return nil
	case len(docs) == 0:
		at(0, "the file holds only comments: a catalog file holds sources, teams or kpis")
		return nil
	case len(docs) > 1:
		errs.add(Error{Pos: Position{File: file, Line: docs[1].Line}, Msg: "a second YAML document starts here: a catalog file holds one document; put the rest in another file"})
		return nil
	}
	return docs[0].Content[0]
}

// parseDocuments parses the documents of a file, up to the second: that
// one is only parsed to tell that it is there. Documents without content
// (comments only) are left out.
func parseDocuments(r io.Reader) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(r)
	var docs []*yaml.Node
	for len(docs) < 2 {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) > 0 {
			docs = append(docs, &doc)
		}
	}
	return docs, nil
}

// yamlMessage is a yaml.v3 syntax error's text without its "yaml: " prefix
// and its line, which is often that of the enclosing collection rather than
// of the offending token (errorLine finds that one). yaml.v3 has no typed
// syntax error to read these from.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok && num != "" && strings.Trim(num, "0123456789") == "" {
			msg = after
		}
	}
	return msg
}

// errorLine finds the line of the token a YAML syntax error is about.
// yaml.v3 names the line where the enclosing collection starts, or no line
// at all, so it is found by parsing again: a reader that hands the parser
// one byte at a time shows how far it read before failing, and the shortest
// prefix of whole lines that still fails the same way ends on the offending
// line. That is a parse or two of the file, only for a file that is broken.
func errorLine(data []byte, err error) int {
	fails := func(lines int) bool {
		_, e := parseDocuments(bytes.NewReader(data[:lineEnd(data, lines)]))
		return e != nil && e.Error() == err.Error()
	}
	r := &byteReader{data: data}
	_, _ = parseDocuments(r)
	hi := lineAt(data, max(r.n-1, 0))
	if !fails(hi) {
		hi = lineAt(data, len(data))
	}
	lo, step := hi, 1
	for {
		lo = hi - step
		if lo < 1 {
			lo = 0
			break
		}
		if !fails(lo) {
			break
		}
		hi, step = lo, step*2
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// byteReader hands out one byte per Read and counts them.
type byteReader struct {
	data []byte
	n    int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.n >= len(r.data) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[r.n]
	r.n++
	return 1, nil
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int) int {
	return 1 + bytes.Count(data[:min(offset, len(data))], []byte("\n"))
}

// lineEnd is the offset just past the first n lines.
func lineEnd(data []byte, n int) int {
	off := 0
	for range n {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return len(data)
		}
		off += i + 1
	}
	return off
}

// invalidUTF8 is the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size == 1 {
			return off
		}
		off += size
	}
	return -1
}
