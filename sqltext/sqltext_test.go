package sqltext

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		equal      bool
	}{
		{"whitespace is folded", "SELECT a,\n\t b FROM t", "SELECT a, b FROM t", true},
		{"comments are dropped", "SELECT a -- the a\nFROM t /* table */", "SELECT a FROM t", true},
		{"a trailing semicolon does not count", "SELECT 1;", "SELECT 1", true},
		{"whitespace inside a string counts", "SELECT 'a  b'", "SELECT 'a b'", false},
		{"a comment marker inside a string is kept", "SELECT '--x' FROM t", "SELECT FROM t", false},
		{"a changed literal counts", "SELECT 1", "SELECT 2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			na, nb := Normalize(tc.a, OptionsFor(Generic)), Normalize(tc.b, OptionsFor(Generic))
			if (na == nb) != tc.equal {
				t.Fatalf("Normalize(%q)=%q, Normalize(%q)=%q, want equal=%v", tc.a, na, tc.b, nb, tc.equal)
			}
		})
	}
}
