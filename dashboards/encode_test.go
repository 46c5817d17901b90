package dashboards

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// stdEncoder is an encoder that writes with encoding/json.
func stdEncoder() *encoder {
	e := &encoder{indent: json.Indent}
	enc := json.NewEncoder(&e.buf)
	enc.SetEscapeHTML(false)
	e.enc = enc
	return e
}

// awkwardCatalog holds the strings where JSON encoders tend to differ: HTML
// characters, which neither escapes here; U+2028 and U+2029, which
// encoding/json escapes even then; control characters, quotes, backslashes
// and text outside ASCII.
func awkwardCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	const text = `"<b>Tom & Jerry's</b> \\ a\tb\u2028c\u2029d \u00e9\u65e5\u672c \U0001F600 \u007f\u0001"`
	src := `sources:
  db: {driver: sqlite, dsn: x.db}
teams:
  t1: {description: ` + text + `}
kpis:
  - name: odd_chars
    help: ` + text + `
    description: ` + text + `
    unit: currency
    currency: EUR
    owner: ` + text + `
    team: t1
    source: db
    sql: SELECT 'a' AS region, 1 AS v
    labels: [region]
    value: v
    direction: higher
    target: 1e21
    thresholds: {warning: 0.000001, critical: 1.5e-7}
`
	cat, err := catalog.Options{LookupEnv: func(string) (string, bool) { return "", false }}.Parse("awkward.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestEncoderWritesWhatEncodingJSONWrites(t *testing.T) {
	cats := append(testCatalogs(t), testCatalog{"awkward", awkwardCatalog})
	for _, c := range cats {
		t.Run(c.name, func(t *testing.T) {
			cat := c.load(t)
			fast, std := newEncoder(), stdEncoder()
			for _, b := range boards(cat) {
				got, err := fast.render(b)
				if err != nil {
					t.Fatal(err)
				}
				want, err := std.render(b)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Errorf("%s differs from encoding/json's at byte %d: %q, want %q", b.path, i, excerpt(got, i), excerpt(want, i))
				}
				if c.name == "awkward" && !strings.Contains(string(got), `\u2028`) {
					t.Errorf("%s: the awkward text did not reach the dashboard", b.path)
				}
				fast.done()
				std.done()
			}
		})
	}
}

func excerpt(b []byte, i int) []byte {
	return b[max(0, i-40):min(len(b), i+40)]
}
