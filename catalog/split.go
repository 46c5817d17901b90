package catalog

import (
	"bytes"
	"runtime"
	"sync"

	"gopkg.in/yaml.v3"
)

// splitMinBytes is the smallest catalog file whose KPI list parseYAML cuts
// into runs parsed side by side. yaml.v3 parses about 13 MB a second on a
// 2-core machine, and loading is the one step of generate that leaves a core
// idle: a 10,000-KPI file took 0.42 s of a 0.7 s load.
const splitMinBytes = 1 << 20

// parseYAML parses a catalog file into its document node, as yaml.Unmarshal
// does. A file of at least splitMinBytes whose top-level kpis list is laid out
// plainly (splitKPIs) is parsed in runs of items side by side, then joined;
// any doubt, and any error, falls back to parsing the file whole, so that
// errors always come from the whole file.
func parseYAML(data []byte) (*yaml.Node, error) {
	if n := runtime.GOMAXPROCS(0); n > 1 && len(data) >= splitMinBytes {
		if root, ok := parseSplit(data, n); ok {
			return root, nil
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	return &root, nil
}

// kpiRegion is the top-level kpis list of a file: the bytes after the
// "kpis:" line up to the next top-level key (or the end), and where each
// item starts, with its line.
type kpiRegion struct {
	start, end int
	items      []int // byte offsets of the lines that start an item
	lines      []int // their 1-based line numbers
}

// splitKPIs finds the kpis list of a file when cutting it before any of
// its items parses each run of items exactly as in place. It refuses
// (ok false) anything where that is not plain from the lines alone:
//   - anchors (an '&' anywhere), since an alias in one run could name an
//     anchor in another;
//   - document markers, directives, a byte order mark or CR line ends;
//   - a "kpis:" key that is not a plain key at column 0 with nothing after
//     it but a comment;
//   - a tab in any line's indentation;
//   - a line inside the list, not blank and not a comment, that is indented
//     less than the items or as much as them without starting an item, other
//     than the top-level key that ends the list.
//
// Lines indented more than the items belong to the item above: YAML ends a
// block or plain scalar at a line indented no more than its parent, and a
// quoted scalar or flow collection cut in two fails to parse, which makes
// parseSplit fall back.
func splitKPIs(data []byte) (r kpiRegion, ok bool) {
	if bytes.IndexByte(data, '&') >= 0 || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return r, false
	}
	const (
		before = iota // looking for the kpis key
		first         // looking for its first item
		inside        // in the list
	)
	state, ind, line := before, 0, 0
	for pos := 0; pos < len(data); {
		eol := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if eol >= 0 {
			eol += pos
			next = eol + 1
		} else {
			eol = len(data)
		}
		text := data[pos:eol]
		line++
		if bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("...")) || bytes.HasPrefix(text, []byte("%")) {
			return r, false
		}
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		rest := text[indent:]
		if len(rest) > 0 && rest[0] == '\t' {
			return r, false
		}
		skip := len(rest) == 0 || rest[0] == '#'
		switch state {
		case before:
			if indent == 0 && bytes.HasPrefix(text, []byte("kpis:")) {
				after := text[len("kpis:"):]
				comment := bytes.TrimLeft(after, " ")
				if len(comment) > 0 && (comment[0] != '#' || len(comment) == len(after)) {
					return r, false // a value on the key's line, or "kpis:#"
				}
				state, r.start = first, next
			}
		case first:
			if skip {
				break
			}
			if !itemStart(rest) {
				return r, false
			}
			state, ind = inside, indent
			r.items, r.lines = append(r.items, pos), append(r.lines, line)
		case inside:
			switch {
			case skip || indent > ind:
			case indent == ind && itemStart(rest):
				r.items, r.lines = append(r.items, pos), append(r.lines, line)
			case indent == 0:
				r.end = pos
				return r, true
			default:
				return r, false
			}
		}
		pos = next
	}
	if state != inside {
		return r, false
	}
	r.end = len(data)
	return r, true
}

// itemStart reports whether a line's text after its indentation starts a
// block sequence item.
func itemStart(rest []byte) bool {
	return len(rest) == 1 && rest[0] == '-' || len(rest) > 1 && rest[0] == '-' && rest[1] == ' '
}

// parseSplit parses a file whose kpis list splitKPIs accepts as the file
// without the list (its lines left blank, so that every line keeps its
// number) and as parts runs of the list's items, all side by side, and
// joins them into the tree yaml.Unmarshal builds for the whole file
// (comments aside, which the catalog does not read). ok is false when the
// file was not split or any part failed to parse.
func parseSplit(data []byte, parts int) (*yaml.Node, bool) {
	r, ok := splitKPIs(data)
	if !ok || len(r.items) < 2*parts {
		return nil, false
	}
	// Cut before the first item at or past each equal share of the list's
	// bytes; a list whose last item holds most of it gets fewer parts.
	cuts := []int{0}
	for p := 1; p < parts; p++ {
		want := r.start + (r.end-r.start)*p/parts
		i := cuts[len(cuts)-1] + 1
		for i < len(r.items) && r.items[i] < want {
			i++
		}
		if i == len(r.items) {
			break
		}
		cuts = append(cuts, i)
	}
	if len(cuts) == 1 {
		return nil, false
	}
	cuts = append(cuts, len(r.items))

	blank := bytes.Count(data[r.start:r.end], []byte("\n"))
	rest := make([]byte, 0, len(data)-(r.end-r.start)+blank)
	rest = append(rest, data[:r.start]...)
	for range blank {
		rest = append(rest, '\n')
	}
	rest = append(rest, data[r.end:]...)

	var root yaml.Node
	runs := make([]yaml.Node, len(cuts)-1)
	errs := make([]error, len(cuts))
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = yaml.Unmarshal(rest, &root) })
	for k := range runs {
		from, to := r.items[cuts[k]], r.end
		if cuts[k+1] < len(r.items) {
			to = r.items[cuts[k+1]]
		}
		wg.Go(func() {
			errs[k+1] = yaml.Unmarshal(data[from:to], &runs[k])
			if errs[k+1] == nil {
				shiftLines(&runs[k], r.lines[cuts[k]]-1)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, false
		}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	var list *yaml.Node
	for k := range runs {
		doc := &runs[k]
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
			return nil, false
		}
		if k == 0 {
			list = doc.Content[0]
		} else {
			list.Content = append(list.Content, doc.Content[0].Content...)
		}
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], m.Content[i+1]
		if key.Kind == yaml.ScalarNode && key.Value == "kpis" && key.Tag == "!!str" {
			if val.Kind != yaml.ScalarNode || val.Tag != "!!null" || val.Value != "" {
				return nil, false
			}
			m.Content[i+1] = list
			return &root, true
		}
	}
	return nil, false
}

// shiftLines moves every node of a tree down by n lines.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
