package catalog

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const oneKPI = "kpis:\n  - {name: k, help: h, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}\n"

// loadErrors parses yml as cat.yml and returns its errors, failing the test
// when it loads.
func loadErrors(t *testing.T, opts Options, yml string) Errors {
	t.Helper()
	c, err := opts.Parse("cat.yml", []byte(yml))
	var es Errors
	if c != nil || !errors.As(err, &es) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want an invalid catalog, got %v, %v", c, err)
	}
	return es
}

func TestFilesWithoutContentAreErrorsAtLineOne(t *testing.T) {
	for _, tc := range []struct{ name, yml, want string }{
		{"an empty file", "", "cat.yml:1: the file is empty: a catalog file holds sources, teams or kpis"},
		{"a file of blank lines", "\n  \n\n", "cat.yml:1: the file is empty: a catalog file holds sources, teams or kpis"},
		{"a file of comments", "# kpis:\n#  - name: x\n", "cat.yml:1: the file holds only comments: a catalog file holds sources, teams or kpis"},
		{"a catalog without KPIs", "sources:\n  db: {driver: sqlite, dsn: x.db}\n", "cat.yml:1: the catalog defines no KPIs: add at least one under kpis"},
		{"an empty kpis list", "sources:\n  db: {driver: sqlite, dsn: x.db}\nkpis: []\n", "cat.yml:3: the catalog defines no KPIs: add at least one under kpis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadErrors(t, Options{}, tc.yml).Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSecondYAMLDocumentIsAnErrorAtItsStart(t *testing.T) {
	yml := "sources:\n  db: {driver: sqlite, dsn: x.db}\n" + oneKPI + "---\n" + oneKPI
	want := "cat.yml:5: a second YAML document starts here: a catalog file holds one document; put the rest in another file"
	if got := loadErrors(t, Options{}, yml).Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestUnknownTagIsAnError(t *testing.T) {
	yml := "sources:\n  db: {driver: sqlite, dsn: x.db}\nkpis:\n  - {name: k, help: !include help/orders.md, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}\n"
	want := "cat.yml:4: kpis[0].help: unknown tag !include: a catalog holds plain YAML values"
	if got := loadErrors(t, Options{}, yml).Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Each broken file has one problem, on the line the case names; yaml.v3
// itself names another line (the enclosing list) or none.
func TestEveryYAMLErrorCarriesTheLineOfTheOffendingToken(t *testing.T) {
	var long strings.Builder
	long.WriteString("sources:\n  db: {driver: sqlite, dsn: x.db}\nkpis:\n")
	for i := range 100 {
		fmt.Fprintf(&long, "  - name: k%d\n    help: h\n", i)
	}
	// line 3 + 200 + 1 = 204 starts the bad item, 206 is mis-indented.
	long.WriteString("  - name: bad\n    help: h\n   unit: count\n    team: t\n")
	for _, tc := range []struct {
		name, yml string
		line      int
	}{
		{"indentation error deep in a list", long.String(), 206},
		{"unknown anchor", "a: 1\nb: 2\nc: *nowhere\n", 3},
		{"NUL byte", "a: 1\nb: \"x\x00y\"\n", 2},
		{"invalid UTF-8", "a: 1\nb: 2\nc: caf\xe9\n", 3},
		{"control character", "a: 1\nb: \"\x01\"\n", 2},
		{"unclosed quote", "a: 1\nb: \"open\nc: 3\n", 2},
		{"unclosed flow list, where it opens", "a: 1\nb: [1, 2\nc: 3\n", 2},
		{"tab in indentation", "a:\n  b: 1\n\tc: 2\n", 3},
		{"syntax error in a second document", "a: 1\n---\nb: [\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := loadErrors(t, Options{}, tc.yml)
			if len(es) != 1 || es[0].Pos.Line != tc.line {
				t.Errorf("got %v, want one error at line %d", es, tc.line)
			}
		})
	}
}

func TestErrorsStopAfterAHundredWithACountOfTheRest(t *testing.T) {
	var b strings.Builder
	b.WriteString("sources:\n  db: {driver: sqlite, dsn: x.db}\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "junk_%d: x\n", i)
	}
	b.WriteString(oneKPI)
	es := loadErrors(t, Options{}, b.String())
	if len(es) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a count", len(es), maxErrors)
	}
	if got, want := es[len(es)-1].Error(), "cat.yml:103: and 900 more errors"; got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
	if es[0].Msg != `unknown key "junk_0"` || es[99].Msg != `unknown key "junk_99"` {
		t.Errorf("the first hundred are not the first hundred in the file: %v ... %v", es[0], es[99])
	}
}

// writeJunk writes a catalog of at least size bytes of unknown top-level
// keys and returns how many keys it holds.
func writeJunk(t *testing.T, path string, size int) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	n, written := 0, 0
	for ; written < size; n++ {
		k, _ := fmt.Fprintf(w, "unknown_key_%07d: some junk value\n", n)
		written += k
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFiftyMegabytesOfJunkIsRefusedWithOneError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.yml")
	if keys := writeJunk(t, path, 50<<20); keys < 1_000_000 {
		t.Fatalf("only %d keys", keys)
	}
	_, err := Load(path)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("got %v, want one error", err)
	}
	if want := path + ": the file is larger than 8 MiB: split the catalog into several files of a directory"; es.Error() != want {
		t.Errorf("got  %s\nwant %s", es, want)
	}
}

func TestJunkBelowTheSizeLimitReportsAHundredErrorsAndCountsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.yml")
	keys := writeJunk(t, path, 2<<20)
	_, err := Load(path)
	var es Errors
	if !errors.As(err, &es) || len(es) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a count", len(es), maxErrors)
	}
	// The rest are the other unknown keys and "no KPIs".
	if got, want := es[len(es)-1].Msg, fmt.Sprintf("and %d more errors", keys+1-maxErrors); got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
}
