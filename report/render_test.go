package report

import (
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestHTMLEscapesLabelValuesAndHasNoScripts(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter, "store")
	k.RunbookURL = "https://runbooks.example.com/k"
	d := &KPIData{Value: []Series{hourly(w, lbl("store", `<script>alert(1)</script>`), 0, 2, flat(3))}}
	rep := Compute(&catalog.Catalog{KPIs: []*catalog.KPI{k}}, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{"k": d}})
	page, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if strings.Contains(s, "<script") {
		t.Errorf("a label value became a script:\n%s", s)
	}
	if !strings.Contains(s, "store=&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the label value is not shown escaped:\n%s", s)
	}
	if !strings.Contains(s, "<svg") || !strings.Contains(s, `stroke="`+ColourValue+`"`) {
		t.Errorf("no trend chart in the page:\n%s", s)
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	w := week()
	k := testKPI(catalog.UnitCount, catalog.HigherIsBetter, "channel")
	d := &KPIData{Value: []Series{hourly(w, lbl("channel", "web|app"), 0, 1, flat(3))}}
	rep := Compute(&catalog.Catalog{KPIs: []*catalog.KPI{k}}, &Data{Window: w, Step: time.Hour, KPIs: map[string]*KPIData{"k": d}})
	if md := string(Markdown(rep)); !strings.Contains(md, `| k | channel=web\|app | 3 |`) {
		t.Errorf("a | in a label value breaks the table:\n%s", md)
	}
}
