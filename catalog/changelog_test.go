package catalog

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const changeLogKPI = `
sources:
  db: {driver: sqlite, dsn: x.db}
kpis:
  - name: revenue
    unit: count
    team: sales
    source: db
    sql: SELECT 1 AS v
    value: v
`

func TestChangeLog(t *testing.T) {
	plain, err := parse(t, changeLogKPI)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Net of returns, as finance books them. ", 10)
	logged, err := parse(t, changeLogKPI+`    changelog:
      - {date: 2026-10-01, author: ana@example.com, approver: bo@example.com, reason: First version.}
      - date: 2026-11-02
        author: ana@example.com
        approver: cy@example.com
        reason: |
          `+long+`
          Second line.
`)
	if err != nil {
		t.Fatal(err)
	}
	k := logged.KPI("revenue")
	t.Run("the change log does not change the definition hash", func(t *testing.T) {
		if a, b := plain.KPI("revenue").DefinitionHash(), k.DefinitionHash(); a != b {
			t.Errorf("hash %s with a change log, %s without", b, a)
		}
	})
	t.Run("the latest entry is the last one", func(t *testing.T) {
		if e := k.LatestChange(); e == nil || e.Date != "2026-11-02" || e.Approver != "cy@example.com" {
			t.Errorf("latest = %+v", e)
		}
		if plain.KPI("revenue").LatestChange() != nil {
			t.Error("a KPI without a change log has a latest entry")
		}
	})
	t.Run("label values are one bounded line", func(t *testing.T) {
		v := k.ChangeLabelValues()
		if len(v) != len(ChangeLabels) || v[0] != "2026-11-02" || v[1] != "ana@example.com" || v[2] != "cy@example.com" {
			t.Fatalf("values = %q", v)
		}
		if n := utf8.RuneCountInString(v[3]); n > maxChangeLabelRunes || strings.Contains(v[3], "\n") || !strings.HasSuffix(v[3], "…") {
			t.Errorf("reason label %q (%d runes)", v[3], n)
		}
		if got := plain.KPI("revenue").ChangeLabelValues(); strings.Join(got, "") != "" {
			t.Errorf("values without a change log = %q", got)
		}
	})
}
