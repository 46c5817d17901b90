package rules

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"gopkg.in/yaml.v3"
)

// appendRules appends rs to dst as a yaml.v3 Encoder with indent 2 renders
// them, every non-blank line indented by rulesIndent, as they sit in a rule
// file. It writes the common case itself, which costs a tenth of yaml.v3's
// reflection and emitter: one-line printable ASCII scalars whose style it can
// tell for certain, asking yaml.v3 for the style of the few others. A KPI
// with any other scalar (line breaks, control or non-ASCII characters, keys
// over 128 bytes) is rendered by yaml.v3 itself. TestAppendRulesIsYAMLv3
// holds the two paths to the same bytes.
func appendRules(dst []byte, rs []rulefmt.Rule) ([]byte, error) {
	start := len(dst)
	if out, ok := appendRulesFast(dst, rs); ok {
		return out, nil
	}
	return appendRulesYAML(dst[:start], rs)
}

// appendRulesYAML renders rs with yaml.v3's Encoder.
func appendRulesYAML(dst []byte, rs []rulefmt.Rule) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(rs); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	for line := range bytes.Lines(buf.Bytes()) {
		if len(bytes.TrimSpace(line)) > 0 {
			dst = append(dst, rulesIndent...)
		}
		dst = append(dst, line...)
	}
	return dst, nil
}

// appendRulesFast renders rs field by field in rulefmt.Rule's order,
// omitting empty fields as its omitempty tags do; ok is false when a scalar
// is one it leaves to yaml.v3.
func appendRulesFast(dst []byte, rs []rulefmt.Rule) (_ []byte, ok bool) {
	if len(rs) == 0 {
		return dst, false
	}
	const item = rulesIndent + "- "
	const field = rulesIndent + "  "
	const entry = field + "  "
	for i := range rs {
		r := &rs[i]
		lead := item
		if r.Record != "" {
			dst = append(dst, lead+"record: "...)
			if dst, ok = appendScalar(dst, r.Record); !ok {
				return dst, false
			}
			dst = append(dst, '\n')
			lead = field
		}
		if r.Alert != "" {
			dst = append(dst, lead+"alert: "...)
			if dst, ok = appendScalar(dst, r.Alert); !ok {
				return dst, false
			}
			dst = append(dst, '\n')
			lead = field
		}
		dst = append(dst, lead+"expr: "...)
		if dst, ok = appendScalar(dst, r.Expr); !ok {
			return dst, false
		}
		dst = append(dst, '\n')
		for _, d := range []struct {
			key string
			d   model.Duration
		}{{"for: ", r.For}, {"keep_firing_for: ", r.KeepFiringFor}} {
			if d.d == 0 {
				continue
			}
			dst = append(dst, field+d.key...)
			if dst, ok = appendDuration(dst, d.d); !ok {
				return dst, false
			}
			dst = append(dst, '\n')
		}
		for _, m := range []struct {
			key string
			m   map[string]string
		}{{"labels:\n", r.Labels}, {"annotations:\n", r.Annotations}} {
			if len(m.m) == 0 {
				continue
			}
			dst = append(dst, field+m.key...)
			for _, k := range yamlSortedKeys(m.m) {
				if len(k) > 128 {
					// yaml.v3 writes a long key as a complex "? " key.
					return dst, false
				}
				dst = append(dst, entry...)
				if dst, ok = appendScalar(dst, k); !ok {
					return dst, false
				}
				dst = append(dst, ": "...)
				if dst, ok = appendScalar(dst, m.m[k]); !ok {
					return dst, false
				}
				dst = append(dst, '\n')
			}
		}
	}
	return dst, true
}

// appendDuration renders a duration as yaml.v3 renders model.Duration's
// MarshalYAML string: digits and unit letters never read as a number, a
// boolean, null or a timestamp, so yaml.v3 writes them plain.
func appendDuration(dst []byte, d model.Duration) ([]byte, bool) {
	s := d.String()
	letter := false
	for i := range len(s) {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == 'y' || c == 'w' || c == 'd' || c == 'h' || c == 'm' || c == 's':
			letter = true
		default:
			return appendScalar(dst, s)
		}
	}
	if !letter || s[0] < '0' || s[0] > '9' {
		return appendScalar(dst, s)
	}
	return append(dst, s...), true
}

// yamlReserved are the plain words yaml.v3 reads as something other than
// a string (resolve.go's map and isOldBool), so it quotes them.
var yamlReserved = map[string]bool{
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"null": true, "Null": true, "NULL": true,
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}

// appendScalar appends a one-line scalar of a block mapping as yaml.v3
// renders it: plain when it would read back as the same string and holds no
// indicator, single-quoted when it holds one, and as yaml.Marshal renders it
// when the style is not certain from the first byte (numbers, timestamps,
// leading or trailing spaces, empty). It refuses (ok false) scalars with
// bytes outside printable ASCII, whose style or line breaks it does not
// model.
func appendScalar(dst []byte, s string) (_ []byte, ok bool) {
	indicator := false
	for i := range len(s) {
		switch scalarBytes[s[i]] {
		case plainByte:
		case refusedByte:
			return dst, false
		case colonByte:
			indicator = indicator || i+1 == len(s) || s[i+1] == ' '
		case hashByte:
			indicator = indicator || i > 0 && s[i-1] == ' '
		}
	}
	// Reserved words are at most five bytes long; looking longer scalars
	// up was a sixth of encoding.
	if s == "" || s[len(s)-1] == ' ' || len(s) <= 5 && yamlReserved[s] || !plainStart(s[0]) {
		b, err := yaml.Marshal(s)
		if err != nil || bytes.IndexByte(b, '\n') != len(b)-1 {
			return dst, false
		}
		return append(dst, b[:len(b)-1]...), true
	}
	if !indicator {
		return append(dst, s...), true
	}
	dst = append(dst, '\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '\'')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '\''), true
}

// Classes of bytes in a scalar, for appendScalar's scan. One table lookup
// per byte instead of four comparisons: the scan was a tenth of rendering
// a large catalog's rules.
const (
	plainByte   = iota
	refusedByte // outside printable ASCII
	colonByte   // an indicator when followed by a space or the end
	hashByte    // an indicator when preceded by a space
)

var scalarBytes = func() (t [256]uint8) {
	for c := range t {
		if c < 0x20 || c > 0x7e {
			t[c] = refusedByte
		}
	}
	t[':'], t['#'] = colonByte, hashByte
	return t
}()

// plainStart reports whether a scalar starting with c is a string to
// yaml.v3's resolver unless it is a reserved word, and c is no YAML
// indicator: letters, '_' and '('.
func plainStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '('
}

// yamlSortedKeys returns m's keys in the order yaml.v3 writes them.
func yamlSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort: label and annotation maps are small.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && yamlKeyLess(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// yamlKeyLess is yaml.v3's order of string map keys (sorter.go keyList.Less):
// letters by code point, runs of digits by value, and a letter after a
// non-letter unless digits precede.
func yamlKeyLess(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		// Byte by byte, without decoding runes: keys are nearly always
		// ASCII, and sorting them was a tenth of encoding.
		return keyLess([]byte(a), []byte(b))
	}
	return keyLess([]rune(a), []rune(b))
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// keyLess is yamlKeyLess on the runes (or ASCII bytes) of two keys.
func keyLess[C byte | rune](ar, br []C) bool {
	digits := false
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			digits = unicode.IsDigit(rune(ar[i]))
			continue
		}
		al := unicode.IsLetter(rune(ar[i]))
		bl := unicode.IsLetter(rune(br[i]))
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			if digits {
				return al
			}
			return bl
		}
		var ai, bi int
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(rune(ar[j])); j-- {
				if ar[j] != '0' {
					an = 1
					bn = 1
					break
				}
			}
		}
		for ai = i; ai < len(ar) && unicode.IsDigit(rune(ar[ai])); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for bi = i; bi < len(br) && unicode.IsDigit(rune(br[bi])); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}
