package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// diffTree returns where two YAML trees differ, comments aside, or "".
func diffTree(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: kind %d/%d style %d/%d tag %s/%s value %q/%q at %d:%d/%d:%d, %d/%d children",
			path, a.Kind, b.Kind, a.Style, b.Style, a.Tag, b.Tag, a.Value, b.Value, a.Line, a.Column, b.Line, b.Column, len(a.Content), len(b.Content))
	}
	if (a.Alias == nil) != (b.Alias == nil) {
		return path + ": alias differs"
	}
	for i := range a.Content {
		if d := diffTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// kpiList is a catalog with n items in the kpis list, each rendered by item,
// between head and tail.
func kpiList(head string, n int, item func(i int) string, tail string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		b.WriteString(item(i))
	}
	b.WriteString(tail)
	return b.String()
}

// eightKPIs is a list of eight KPIs, each followed by the line extra.
func eightKPIs(extra string) string {
	return kpiList(splitHead, 8, func(i int) string { return fmt.Sprintf("  - name: k%d\n", i) + extra }, "")
}

const splitHead = "# catalog\nglobal:\n  interval: 1m\nkpis:\n"
const splitTail = "sources:\n  db: {driver: sqlite, dsn: x.db}\nteams:\n  t: {}\n"

// splitCases are files parseSplit must cut and join into the tree
// yaml.Unmarshal builds.
var splitCases = map[string]string{
	"indented items": kpiList(splitHead, 12, func(i int) string {
		return fmt.Sprintf("  - name: k%d\n    labels:\n      - region\n      - store\n    target:\n      value: %d\n    thresholds: {warning: 90%%, critical: 80%%}\n", i, i)
	}, splitTail),
	"items at column 0": kpiList("kpis:\n", 9, func(i int) string {
		return fmt.Sprintf("- name: k%d\n  help: \"line %d\"\n", i, i)
	}, "teams:\n  t: {}\n"),
	"comments and blank lines": kpiList("kpis:   # the KPIs\n\n# first\n", 10, func(i int) string {
		return fmt.Sprintf("\n# about k%d\n    # indented comment\n  - name: k%d # trailing\n\n  # between\n    help: h\n", i, i)
	}, "# end of the list\n\nteams: {}\n"),
	"block scalars": kpiList(splitHead, 10, func(i int) string {
		style := []string{"|", ">", "|+", "|-", ">-", "|2"}[i%6]
		return fmt.Sprintf("  - name: k%d\n    sql: %s\n      SELECT a\n        - b\n      - c\n\n      # not a comment\n      FROM t\n\n\n", i, style)
	}, splitTail),
	"multi-line plain scalars": kpiList(splitHead, 8, func(i int) string {
		return fmt.Sprintf("  - name: k%d\n    help: a long\n      help text\n      - that goes on\n", i)
	}, ""),
	"list at the end without a final newline": strings.TrimSuffix(kpiList(splitHead, 8, func(i int) string {
		return fmt.Sprintf("  - name: k%d\n", i)
	}, ""), "\n"),
	"scalar and empty items": kpiList(splitHead, 8, func(i int) string {
		return []string{"  - plain\n", "  -\n", "  - - nested\n    - list\n", "  - {flow: map}\n"}[i%4]
	}, splitTail),
}

// noSplitCases are files parseSplit must leave whole, or whose cut parts
// fail to parse; either way parseYAML returns what yaml.Unmarshal builds.
var noSplitCases = map[string]string{
	"anchors": kpiList(splitHead, 8, func(i int) string {
		if i == 0 {
			return "  - &base {name: k0, help: h}\n"
		}
		return fmt.Sprintf("  - {<<: *base, name: k%d}\n", i)
	}, ""),
	"CR line ends":                        strings.ReplaceAll(splitCases["indented items"], "\n", "\r\n"),
	"a value on the kpis line":            "kpis: [] # none\nteams: {}\n" + strings.Repeat("# pad\n", 10),
	"document markers":                    "---\n" + splitCases["indented items"],
	"a quoted scalar across items":        eightKPIs("    help: \"starts here\n  - and goes on\"\n"),
	"a flow list across items":            eightKPIs("    labels: [a,\n  - b]\n"),
	"a line indented less than the items": eightKPIs(" bad: 1\n"),
	"a key at the items' indentation":     eightKPIs("  bad: 1\n"),
	"a tab in the indentation":            eightKPIs("\thelp: h\n"),
	"two kpis keys":                       splitCases["indented items"] + "kpis:\n  - name: again\n",
	// The middle of the list's bytes falls in the quoted scalar, so a cut
	// in two parts comes before "- fake", inside it.
	"a cut inside a quoted scalar": "kpis:\n  - name: a\n    help: \"" + strings.Repeat("x", 500) + "\n  - fake\"\n  - b\n  - c\n  - d\n",
	"kpis inside a quoted scalar":  "global: {note: \"a\nkpis:\n  - x\n  - y\n  - z\n  - w\n\"}\n",
}

func TestSplitParseIsUnmarshal(t *testing.T) {
	check := func(t *testing.T, data string, mustSplit bool) {
		t.Helper()
		var want yaml.Node
		wantErr := yaml.Unmarshal([]byte(data), &want)
		for _, parts := range []int{2, 3, 4} {
			got, ok := parseSplit([]byte(data), parts)
			if mustSplit && !ok {
				t.Fatalf("%d parts: not split", parts)
			}
			if !ok {
				continue
			}
			if wantErr != nil {
				t.Fatalf("%d parts: split and parsed a file yaml.Unmarshal refuses: %v", parts, wantErr)
			}
			if d := diffTree(got, &want, ""); d != "" {
				t.Fatalf("%d parts: the joined tree differs: %s", parts, d)
			}
		}
	}
	for name, data := range splitCases {
		t.Run(name, func(t *testing.T) { check(t, data, true) })
	}
	for name, data := range noSplitCases {
		t.Run(name, func(t *testing.T) { check(t, data, false) })
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../config.example.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(f, func(t *testing.T) { check(t, string(data), false) })
	}
}

func TestFilesThatMustStayWholeAreNotSplit(t *testing.T) {
	for _, name := range []string{"anchors", "CR line ends", "a value on the kpis line", "document markers",
		"a line indented less than the items", "a key at the items' indentation", "a tab in the indentation"} {
		if _, ok := splitKPIs([]byte(noSplitCases[name])); ok {
			t.Errorf("%s: splitKPIs accepted the file", name)
		}
	}
	// The file without the list has no empty kpis key, so parseSplit
	// falls back.
	if _, ok := parseSplit([]byte(noSplitCases["kpis inside a quoted scalar"]), 2); ok {
		t.Error("kpis inside a quoted scalar: parseSplit joined parts")
	}
	// The part before the cut ends inside a quoted scalar, fails to parse,
	// and parseSplit falls back.
	cut := []byte(noSplitCases["a cut inside a quoted scalar"])
	if _, ok := splitKPIs(cut); !ok {
		t.Error("a cut inside a quoted scalar: splitKPIs refused the file")
	}
	if _, ok := parseSplit(cut, 2); ok {
		t.Error("a cut inside a quoted scalar: parseSplit joined parts")
	}
}

func TestLargeCatalogIsParsedInParts(t *testing.T) {
	data := []byte(kpiList(splitHead, 7000, func(i int) string {
		return fmt.Sprintf("  - name: kpi_%05d\n    help: Revenue of line %d.\n    sql: SELECT region, SUM(v) AS value FROM t GROUP BY region\n    labels: [region]\n    value: value\n", i, i)
	}, splitTail))
	if len(data) < splitMinBytes {
		t.Fatalf("test catalog is %d bytes, under %d", len(data), splitMinBytes)
	}
	r, ok := splitKPIs(data)
	if !ok || len(r.items) != 7000 {
		t.Fatalf("split %v, %d items", ok, len(r.items))
	}
	got, ok := parseSplit(data, 2)
	if !ok {
		t.Fatal("not split")
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if d := diffTree(got, &want, ""); d != "" {
		t.Fatal(d)
	}
}

func FuzzSplitParseIsUnmarshal(f *testing.F) {
	for _, data := range splitCases {
		f.Add(data, 2)
	}
	for _, data := range noSplitCases {
		f.Add(data, 3)
	}
	f.Fuzz(func(t *testing.T, data string, parts int) {
		parts = 2 + (parts&7+8)%8/2 // 2..5
		splitIsWhole(t, data, parts)
	})
}

// FuzzSplitParseRepeatedItems fuzzes the items of a list that splits: a
// fuzzed item repeated under a kpis key, between a fuzzed head and tail.
func FuzzSplitParseRepeatedItems(f *testing.F) {
	f.Add("", "  - name: k\n    help: \"a\n  - b\"\n", "teams: {}\n", 5)
	f.Add("a: 1\n", "- |+\n  x\n\n", "", 4)
	f.Add("", "  - x: [1,\n  - 2]\n", "", 6)
	f.Add("", "  - 'it''s\n  - a'\n  # c\n", "b:\n", 7)
	f.Fuzz(func(t *testing.T, head, item, tail string, n int) {
		data := head + "kpis:\n" + strings.Repeat(item, 4+(n&7)) + tail
		splitIsWhole(t, data, 2+(n>>3&1))
	})
}

// splitIsWhole fails when parseSplit joins parts of data into anything but
// the tree yaml.Unmarshal builds for the whole.
func splitIsWhole(t *testing.T, data string, parts int) {
	t.Helper()
	got, ok := parseSplit([]byte(data), parts)
	if !ok {
		return
	}
	var want yaml.Node
	if err := yaml.Unmarshal([]byte(data), &want); err != nil {
		t.Fatalf("split and parsed a file yaml.Unmarshal refuses: %v", err)
	}
	if d := diffTree(got, &want, ""); d != "" {
		t.Fatalf("the joined tree differs: %s", d)
	}
}
