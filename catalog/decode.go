package catalog

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// decoder turns a yaml.Node tree into the catalog's structs strictly: unknown
// keys, duplicate keys and wrong types are errors, every one of them reported
// with file, line and key path. It records the line of every key path it
// visits so that later validation can point at the right line too.
type decoder struct {
	file  string
	errs  *Errors
	lines *keyLines

	aliasDepth int // > 0 while decoding below an alias
	aliasNodes int // nodes decoded below aliases so far
}

// maxAliasNodes bounds how many nodes aliases may expand to in one file. The
// node tree keeps aliases unexpanded, so without a bound a few kilobytes of
// nested aliases ("billion laughs") would make decoding take minutes and
// record millions of errors.
const maxAliasNodes = 100_000

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	*d.errs = append(*d.errs, Error{Pos: Position{File: d.file, Line: line}, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var (
	durationType  = reflect.TypeOf(Duration(0))
	thresholdType = reflect.TypeOf(Threshold{})
	targetType    = reflect.TypeOf(Target{})
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported node"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode fills v (addressable) from n. It returns false when nothing usable
// was decoded.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		d.aliasDepth++
		defer func() { d.aliasDepth-- }()
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
	}
	if d.aliasDepth > 0 {
		d.aliasNodes++
		if d.aliasNodes > maxAliasNodes {
			if d.aliasNodes == maxAliasNodes+1 {
				d.errorf(n, path, "aliases expand to more than %d nodes", maxAliasNodes)
			}
			return
		}
	}
	if d.lines != nil {
		if _, ok := d.lines.m[path]; !ok {
			d.lines.m[path] = n.Line
		}
	}
	t := v.Type()
	switch t {
	case durationType:
		d.decodeDuration(n, path, v)
		return
	case thresholdType:
		d.decodeThreshold(n, path, v)
		return
	case targetType:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				d.errorf(n, path, "expected a number or a mapping with sql, got %s", kindName(n))
				return
			}
			v.Set(reflect.ValueOf(Target{Value: f}))
			return
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if e := t.Elem(); e.Kind() == reflect.Struct && e != targetType && e != thresholdType && n.Kind != yaml.MappingNode {
			// Leave the pointer nil: validating an empty struct would only
			// add "is required" noise after this one real error.
			d.errorf(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		p := reflect.New(t.Elem())
		d.decode(n, path, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		d.decodeItems(n, path, s)
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := joinPath(path, k.Value)
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.errorf(k, kp, "duplicate key %q", k.Value)
				continue
			}
			e := reflect.New(t.Elem()).Elem()
			d.decode(val, kp, e)
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.errorf(n, path, "expected an integer, got %s", kindName(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			d.errorf(n, path, "expected an integer, got %s", kindName(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			d.errorf(n, path, "expected a number, got %s", kindName(n))
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, "expected a finite number, got %s", kindName(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.errorf(n, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		panic("catalog: no decoder for " + t.String())
	}
}

// parallelItems is the shortest list decodeItems decodes in runs side by
// side: a catalog's KPI list, 0.2 s of loading 10,000 KPIs on one core.
const parallelItems = 1024

// decodeItems decodes a list's items into s. A long list that holds no
// alias, and is not below one, is decoded in runs side by side by decoders
// of their own; their errors are then appended in item order and their
// lines kept beside the file's (keyLines), which is what one decoder would
// have recorded, since no two items share a key path.
func (d *decoder) decodeItems(n *yaml.Node, path string, s reflect.Value) {
	workers := runtime.GOMAXPROCS(0)
	if len(n.Content) < parallelItems || workers < 2 || d.aliasDepth > 0 || hasAlias(n) {
		for i, c := range n.Content {
			d.decode(c, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		return
	}
	size := (len(n.Content) + workers - 1) / workers
	subs := make([]decoder, 0, workers)
	errs := make([]Errors, workers)
	for lo := 0; lo < len(n.Content); lo += size {
		sub := decoder{file: d.file, errs: &errs[len(subs)]}
		if d.lines != nil {
			sub.lines = newKeyLines()
		}
		subs = append(subs, sub)
	}
	var wg sync.WaitGroup
	for w := range subs {
		wg.Go(func() {
			for i := w * size; i < min(len(n.Content), (w+1)*size); i++ {
				subs[w].decode(n.Content[i], fmt.Sprintf("%s[%d]", path, i), s.Index(i))
			}
		})
	}
	wg.Wait()
	for w, sub := range subs {
		*d.errs = append(*d.errs, errs[w]...)
		if d.lines != nil {
			d.lines.runs = append(append(d.lines.runs, sub.lines.m), sub.lines.runs...)
		}
	}
}

// keyLines maps the key paths of a file to their lines. The runs of a list
// decoded side by side keep their paths in maps of their own, looked up
// after the file's: merging them into one map was 0.12 s of loading 10,000
// KPIs, on one core. No two of the maps share a path.
type keyLines struct {
	m    map[string]int
	runs []map[string]int
}

func newKeyLines() *keyLines { return &keyLines{m: map[string]int{}} }

// get returns the line of a key path; a nil keyLines has none.
func (k *keyLines) get(path string) (int, bool) {
	if k == nil {
		return 0, false
	}
	if n, ok := k.m[path]; ok {
		return n, true
	}
	for _, r := range k.runs {
		if n, ok := r[path]; ok {
			return n, true
		}
	}
	return 0, false
}

// hasAlias reports whether a tree holds an alias node.
func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// structFields is a struct type's yaml keys: their field indices, and the
// keys in field order.
type structFields struct {
	idx  map[string]int
	keys []string
}

// fieldIndexes caches structFields by type: a catalog of 10,000 KPIs decodes
// each struct type thousands of times, and reflecting over its fields each
// time was a tenth of loading it. The maps are only read once built.
var fieldIndexes sync.Map // reflect.Type -> structFields

// fieldIndex maps yaml keys to struct field indices.
func fieldIndex(t reflect.Type) (map[string]int, []string) {
	if f, ok := fieldIndexes.Load(t); ok {
		return f.(structFields).idx, f.(structFields).keys
	}
	f := structFields{idx: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		f.idx[tag] = i
		f.keys = append(f.keys, tag)
	}
	fieldIndexes.Store(t, f)
	return f.idx, f.keys
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	idx, keys := fieldIndex(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := joinPath(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, kp, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		fi, ok := idx[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, keys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(k, kp, "%s", msg)
			continue
		}
		if d.lines != nil {
			d.lines.m[kp] = k.Line
		}
		d.decode(val, kp, v.Field(fi))
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "expected a duration such as 30s, 5m or 1h, got %s", kindName(n))
		return
	}
	md, err := model.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, "invalid duration %q: use a number and a unit (ms, s, m, h, d, w), such as 30s or 5m", n.Value)
		return
	}
	if md <= 0 {
		d.errorf(n, path, "duration must be positive, got %q", n.Value)
		return
	}
	v.SetInt(int64(time.Duration(md)))
}

func (d *decoder) decodeThreshold(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "expected a number or a percentage of the target such as 90%%, got %s", kindName(n))
		return
	}
	s := strings.TrimSpace(n.Value)
	th := Threshold{}
	if strings.HasSuffix(s, "%") {
		th.OfTarget = true
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, path, "expected a number or a percentage of the target such as 90%%, got %s", kindName(n))
		return
	}
	if th.OfTarget && f < 0 {
		d.errorf(n, path, "a percentage of the target must not be negative, got %q", n.Value)
		return
	}
	th.Value = f
	v.Set(reflect.ValueOf(th))
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
