package catalog

import (
	"testing"
)

func TestLanguageAndTitles(t *testing.T) {
	parse := func(t *testing.T, language string) *Catalog {
		t.Helper()
		c, err := Options{}.Parse("x.yml", []byte(`
global: {language: "`+language+`"}
sources: {db: {driver: sqlite, dsn: x.db}}
teams:
  sales: {title: 华东销售部}
  ops: {}
kpis:
  - {name: revenue_mtd, title: 本月营收, unit: count, team: sales, source: db, sql: SELECT 1 AS v, value: v}
  - {name: tickets, unit: count, team: ops, source: db, sql: SELECT 1 AS v, value: v}
`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for written, want := range map[string]Language{
		"": English, "en": English, "zh-CN": SimplifiedChinese, "zh": SimplifiedChinese,
		"zh-Hans": SimplifiedChinese, "zh_cn": SimplifiedChinese, "ZH-CN": SimplifiedChinese,
	} {
		if got := parse(t, written).Global.Language; got != want {
			t.Errorf("language %q loads as %q, want %q", written, got, want)
		}
	}
	c := parse(t, "zh-CN")
	for _, x := range []struct{ got, want string }{
		{c.KPI("revenue_mtd").DisplayTitle(), "本月营收"},
		{c.KPI("tickets").DisplayTitle(), "tickets"},
		{c.TeamTitle("sales"), "华东销售部"},
		{c.TeamTitle("ops"), "ops"},
		{c.TeamTitle("undefined_team"), "undefined_team"},
	} {
		if x.got != x.want {
			t.Errorf("display title %q, want %q", x.got, x.want)
		}
	}
	if en := parse(t, "en"); en.KPI("revenue_mtd").DefinitionHash() != c.KPI("revenue_mtd").DefinitionHash() {
		t.Error("the language changed the definition hash")
	}
	if c.KPI("revenue_mtd").MetricName() != "kpi_revenue_mtd" {
		t.Errorf("a title changed the metric name: %s", c.KPI("revenue_mtd").MetricName())
	}
}
