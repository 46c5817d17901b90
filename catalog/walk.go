package catalog

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"gopkg.in/yaml.v3"
)

// walker checks a file's node tree against the shape of the catalog's types
// before anything is decoded: unknown and duplicate keys, unknown tags, a
// mapping or list where the other was expected, and scalars that do not
// decode into their field, each with its line and key path. It records the
// line of every key path it visits so that validation can point at it too.
// The scalars are decoded by yaml.v3 itself, one node at a time, so that an
// error belongs to one key.
type walker struct {
	file  string
	errs  *errorList
	lines map[string]int
	keys  map[reflect.Type]structKeys // per load: built once per type

	aliasDepth int // > 0 while below an alias
	aliasNodes int // nodes visited below aliases so far
}

// maxAliasNodes bounds how many nodes aliases may expand to in one file. The
// node tree keeps aliases unexpanded, so without a bound a few kilobytes of
// nested aliases ("billion laughs") would take minutes and record millions
// of errors.
const maxAliasNodes = 100_000

// maxMapEntries bounds the entries of a mapping the catalog reads as a map
// (sources, teams, labels): yaml.v3 checks a mapping for duplicate keys
// pair by pair, so the time grows with the square of its size.
const maxMapEntries = 10_000

// structKeys is a struct type's yaml keys: their field indices, and the keys
// in field order for suggestions.
type structKeys struct {
	idx  map[string]int
	keys []string
}

// knownTags are the tags a catalog may use: YAML's core schema. Anything
// else, such as !include, would otherwise be read as a plain string.
var knownTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!timestamp": true, // a date such as 2026-10-01, read as text
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *walker) errorf(n *yaml.Node, path, format string, args ...any) {
	if w.errs.full() {
		w.errs.count(Position{File: w.file, Line: n.Line}) // spare the formatting
		return
	}
	w.errs.add(Error{Pos: Position{File: w.file, Line: n.Line}, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// tooManyAliases reports whether the alias budget is spent.
func (w *walker) tooManyAliases() bool { return w.aliasNodes > maxAliasNodes }

func (w *walker) walk(n *yaml.Node, path string, t reflect.Type) {
	if n.Kind == yaml.AliasNode {
		w.aliasDepth++
		defer func() { w.aliasDepth-- }()
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
	}
	if w.aliasDepth > 0 {
		w.aliasNodes++
		if w.aliasNodes > maxAliasNodes {
			if w.aliasNodes == maxAliasNodes+1 {
				w.errorf(n, path, "aliases expand to more than %d nodes", maxAliasNodes)
			}
			return
		}
	}
	if _, ok := w.lines[path]; !ok {
		w.lines[path] = n.Line
	}
	if !knownTags[n.Tag] {
		w.errorf(n, path, "unknown tag %s: a catalog holds plain YAML values", n.Tag)
		return
	}
	if t.Kind() == reflect.Pointer {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Target]() && n.Kind == yaml.MappingNode:
		w.walkStruct(n, path, t)
	case reflect.PointerTo(t).Implements(unmarshalerType):
		w.checkScalar(n, path, t)
	case t.Kind() == reflect.Struct:
		w.walkStruct(n, path, t)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.errorf(n, path, "expected a list, got %s", describe(n))
			return
		}
		for i, c := range n.Content {
			w.walk(c, fmt.Sprintf("%s[%d]", path, i), t.Elem())
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.errorf(n, path, "expected a mapping, got %s", describe(n))
			return
		}
		if len(n.Content)/2 > maxMapEntries {
			w.errorf(n, path, "more than %d entries", maxMapEntries)
			n.Content = nil
			return
		}
		w.entries(n, path, func(k, v *yaml.Node, kp string) bool {
			w.lines[kp] = k.Line
			w.walk(v, kp, t.Elem())
			return true
		})
	default:
		w.checkScalar(n, path, t)
	}
}

// key checks a mapping key: a plain scalar, with a known tag, not seen before.
func (w *walker) key(k *yaml.Node, path string, seen map[string]bool) bool {
	switch {
	case k.Kind != yaml.ScalarNode:
		w.errorf(k, path, "a key must be a plain string, got %s", describe(k))
		return false
	case k.Tag == "!!merge":
		w.errorf(k, path, "merge keys (<<) are not supported: write the keys out")
		return false
	case !knownTags[k.Tag]:
		w.errorf(k, path, "unknown tag %s: a catalog holds plain YAML values", k.Tag)
		return false
	case seen[k.Value]:
		w.errorf(k, path, "duplicate key %q", k.Value)
		return false
	}
	seen[k.Value] = true
	return true
}

func (w *walker) walkStruct(n *yaml.Node, path string, t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		w.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	sk := w.structKeys(t)
	w.entries(n, path, func(k, v *yaml.Node, kp string) bool {
		fi, ok := sk.idx[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, sk.keys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			w.errorf(k, kp, "%s", msg)
			return false
		}
		w.lines[kp] = k.Line
		w.walk(v, kp, t.Field(fi).Type)
		return true
	})
}

// entries calls f with each pair of a mapping whose key passes key, and the
// key's path. It drops from the mapping the pairs that were reported, by key
// or by f returning false: yaml.v3 checks a mapping's keys for duplicates
// pair by pair, which a million junk keys would make take hours.
func (w *walker) entries(n *yaml.Node, path string, f func(k, v *yaml.Node, kp string) bool) {
	seen := map[string]bool{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := joinPath(path, k.Value)
		if w.key(k, kp, seen) && f(k, v, kp) {
			kept = append(kept, k, v)
		}
	}
	clear(n.Content[len(kept):])
	n.Content = kept
}

func (w *walker) structKeys(t reflect.Type) structKeys {
	if sk, ok := w.keys[t]; ok {
		return sk
	}
	sk := structKeys{idx: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		sk.idx[tag] = i
		sk.keys = append(sk.keys, tag)
	}
	w.keys[t] = sk
	return sk
}

// checkScalar decodes a node into a fresh value of type t with yaml.v3 and
// reports why it does not fit.
func (w *walker) checkScalar(n *yaml.Node, path string, t reflect.Type) {
	v := reflect.New(t)
	err := n.Decode(v.Interface())
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) && reflect.PointerTo(t).Implements(unmarshalerType) && len(te.Errors) > 0 {
		w.errorf(n, path, "%s", te.Errors[0]) // the catalog's own message
		return
	}
	if err == nil && n.Kind == yaml.ScalarNode {
		if t.Kind() == reflect.Float64 {
			if f := v.Elem().Float(); math.IsNaN(f) || math.IsInf(f, 0) {
				w.errorf(n, path, "expected a finite number, got %s", quote(n))
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		w.errorf(n, path, "expected a string, got %s", describe(n))
	case reflect.Int:
		w.errorf(n, path, "expected an integer, got %s", quote(n))
	case reflect.Float64:
		w.errorf(n, path, "expected a number, got %s", quote(n))
	case reflect.Bool:
		w.errorf(n, path, "expected true or false, got %s", quote(n))
	default:
		w.errorf(n, path, "expected a %s, got %s", t.Kind(), describe(n))
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the known key closest to k when it is a likely typo.
func suggest(k string, keys []string) string {
	best, bestD := "", 3
	for _, c := range keys {
		if dd := editDistance(k, c); dd < bestD {
			best, bestD = c, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
