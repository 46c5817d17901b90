package sqltext

import (
	"reflect"
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
			na, nb := Normalize(tc.a, Options{}), Normalize(tc.b, Options{})
			if (na == nb) != tc.equal {
				t.Fatalf("Normalize(%q)=%q, Normalize(%q)=%q, want equal=%v", tc.a, na, tc.b, nb, tc.equal)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	for sql, want := range map[string]int{
		"SELECT 1":                       1,
		"SELECT 1;":                      1,
		"SELECT 1; DROP TABLE x":         2,
		"SELECT ';' AS s":                1,
		"SELECT 1 -- ; DROP TABLE x":     1,
		"SELECT $$;$$":                   1,
		"SELECT 1; /* only a comment */": 1,
		"":                               0,
	} {
		if got := Statements(sql, Options{}); got != want {
			t.Errorf("Statements(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestWriteKeywords(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  string
		o    Options
		want []string
	}{
		{"a plain select has none", "SELECT region, SUM(amount) FROM orders GROUP BY region", Options{}, nil},
		{"keywords in strings are ignored", "SELECT 'DROP TABLE x' AS s, \"delete\" FROM t", Options{}, nil},
		{"keywords in comments are ignored", "SELECT 1 -- UPDATE t SET a=1\n/* DELETE */", Options{}, nil},
		{"a REPLACE function call is allowed", "SELECT REPLACE(name, 'a', 'b') FROM t", Options{}, nil},
		{"a stacked delete is found", "SELECT 1; DELETE FROM t", Options{}, []string{"DELETE"}},
		{"select into is found", "SELECT * INTO new_t FROM t", Options{}, []string{"INTO"}},
		{"for update is found", "SELECT * FROM t FOR UPDATE", Options{}, []string{"UPDATE"}},
		{"a mysql hash comment hides nothing it should not", "SELECT 1 # DROP\n", Options{HashComments: true}, nil},
		{"without hash comments the keyword counts", "SELECT 1 # DROP\n", Options{}, []string{"DROP"}},
		{"mysql backslash escape keeps the string open", `SELECT 'a\' DROP' FROM t`, Options{BackslashEscapes: true}, nil},
		{"dollar quoting hides its body", "SELECT $x$ DROP $x$", Options{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := WriteKeywords(tc.sql, tc.o); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("WriteKeywords(%q) = %v, want %v", tc.sql, got, tc.want)
			}
		})
	}
}
