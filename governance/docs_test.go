package governance

import (
	"strings"
	"testing"
)

func TestDocsGolden(t *testing.T) {
	files, err := DocsFiles(load(t, "testdata/docs/catalog.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != DocsPath {
		t.Fatalf("DocsFiles = %d files, want %s", len(files), DocsPath)
	}
	golden(t, "docs/kpis.md", files[0].Data)
}

func TestDocsListEveryKPIUnderItsTeam(t *testing.T) {
	c := load(t, "../config.example.yaml")
	md, err := Docs(c)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(md)
	if !strings.HasPrefix(doc, DocsHeader) {
		t.Error("the dictionary lacks the generated-file header")
	}
	for _, k := range c.KPIs {
		team := strings.Index(doc, "\n## Team "+k.Team+"\n")
		at := strings.Index(doc, "\n### "+k.Name+"\n")
		if team < 0 || at < team {
			t.Errorf("%s is missing, or not under team %s", k.Name, k.Team)
			continue
		}
		section := doc[at:]
		if next := strings.Index(section[1:], "\n### "); next >= 0 {
			section = section[:next+1]
		}
		for _, want := range []string{k.Owner, k.MetricName(), c.DashboardURL(k), k.DefinitionHash(), "```sql\n" + strings.TrimSpace(k.SQL)} {
			if !strings.Contains(section, want) {
				t.Errorf("%s: section lacks %q", k.Name, want)
			}
		}
	}
	if strings.Contains(doc, "kpi_demo.db") {
		t.Error("the dictionary shows a DSN")
	}
}

// A Chinese-language catalog gets a Chinese dictionary headed by the KPIs'
// and teams' titles, its anchors in Chinese as GitHub makes them, and
// amounts in 万 and 亿.
func TestDocsGoldenInChinese(t *testing.T) {
	c := load(t, "../rules/testdata/zh.yml")
	md, err := Docs(c)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "docs/kpis_zh.md", md)
	for _, want := range []string{"# KPI 词典", "\n## 团队：华东销售部\n", "\n### 本月营收\n", "[本月营收](#本月营收)", "| 目标 | 1.2亿 CNY |", "| 名称 | `revenue_mtd` |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the dictionary lacks %q", want)
		}
	}
}
