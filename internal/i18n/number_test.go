package i18n

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/template"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestChineseNumbersCountInWanAndYi(t *testing.T) {
	zh, en := For(catalog.SimplifiedChinese), For(catalog.English)
	for _, c := range []struct {
		in     float64
		zh, en string
	}{
		{123456789, "1.23亿", "1.23456789e+08"},
		{45600, "4.56万", "45600"},
		{12000000, "1200万", "1.2e+07"},
		{10000, "1万", "10000"},
		{9999, "9999", "9999"},
		{-250000, "-25万", "-250000"},
		{0.5, "0.5", "0.5"},
	} {
		if got := zh.Number(c.in); got != c.zh {
			t.Errorf("Chinese %v = %q, want %q", c.in, got, c.zh)
		}
		if got := en.Number(c.in); got != c.en {
			t.Errorf("English %v = %q, want %q", c.in, got, c.en)
		}
	}
	if got := zh.Percent(0.953); got != "95.3%" {
		t.Errorf("percent 0.953 = %q, want 95.3%%", got)
	}
}

func TestChineseAmountsFollowTheUnit(t *testing.T) {
	zh := For(catalog.SimplifiedChinese)
	for _, c := range []struct {
		k    *catalog.KPI
		in   float64
		want string
	}{
		{&catalog.KPI{Unit: catalog.UnitBytes}, 2e9, "1.863GiB"},
		{&catalog.KPI{Unit: catalog.UnitPercent}, 25, "25%"},
		{&catalog.KPI{Unit: catalog.UnitRatio}, 0.92, "92%"},
		{&catalog.KPI{Unit: catalog.UnitCurrency, Currency: "cny"}, 5e8, "5亿 CNY"},
		{&catalog.KPI{Unit: catalog.UnitSeconds}, 1800, "30分钟0秒"},
	} {
		if got := zh.Amount(c.k, c.in); got != c.want {
			t.Errorf("%s %v = %q, want %q", c.k.Unit, c.in, got, c.want)
		}
	}
	if got := For(catalog.English).Amount(&catalog.KPI{Unit: catalog.UnitCurrency, Currency: "EUR"}, 12000000); got != "1.2e+07" {
		t.Errorf("English amounts stay as the catalog's numbers, got %q", got)
	}
}

func TestChineseSetsLatinNamesApart(t *testing.T) {
	zh, en := For(catalog.SimplifiedChinese), For(catalog.English)
	for name, want := range map[string]string{"disk_used": " disk_used ", "本月营收": "本月营收", "Gross margin 毛利率": " Gross margin 毛利率", "订单（region=x）": "订单（region=x）"} {
		if got := zh.Term(name); got != want {
			t.Errorf("Term(%q) = %q, want %q", name, got, want)
		}
		if got := en.Term(name); got != name {
			t.Errorf("English Term(%q) = %q, want it unchanged", name, got)
		}
	}
	if got, want := zh.Finish("数据源 db，"+zh.Term("ops")+"的指标："+zh.Term("disk_used")), "数据源 db，ops 的指标：disk_used"; got != want {
		t.Errorf("Finish = %q, want %q", got, want)
	}
}

func TestChineseDurationsUseChineseUnits(t *testing.T) {
	zh := For(catalog.SimplifiedChinese)
	for in, want := range map[float64]string{7200: "2小时0分钟0秒", 90061: "1天1小时1分钟1秒", 0.5: "500毫秒", 42: "42秒"} {
		if got := zh.Duration(in); got != want {
			t.Errorf("%v s = %q, want %q", in, got, want)
		}
	}
}

// expand expands an alert template with Prometheus's expander and a real
// PromQL engine over an empty storage, as Prometheus's rule manager does for
// a firing alert: the templates only query numbers.
func expand(t *testing.T, text string, value float64) string {
	t.Helper()
	st := storage.QueryableFunc(func(_, _ int64) (storage.Querier, error) { return storage.NoopQuerier(), nil })
	eng := promql.NewEngine(promql.EngineOpts{MaxSamples: 1000, Timeout: time.Minute})
	query := func(ctx context.Context, q string, ts time.Time) (promql.Vector, error) {
		qry, err := eng.NewInstantQuery(ctx, st, nil, q, ts)
		if err != nil {
			return nil, err
		}
		defer qry.Close()
		res := qry.Exec(ctx)
		if res.Err != nil {
			return nil, res.Err
		}
		// The templates only ask for numbers: scalars, which Prometheus's
		// rule manager hands the template as a one-sample vector.
		s, err := res.Scalar()
		if err != nil {
			return nil, err
		}
		return promql.Vector{{T: s.T, F: s.V}}, nil
	}
	data := template.AlertTemplateData(map[string]string{}, nil, "", promql.Sample{F: value})
	defs := "{{$labels := .Labels}}{{$value := .Value}}"
	out, err := template.NewTemplateExpander(context.Background(), defs+text, "test", data, model.Time(0), template.QueryFunc(query), nil, nil).Expand()
	if err != nil {
		t.Fatalf("expand %q: %v", text, err)
	}
	return out
}

func TestChineseAlertTemplatesExpandInPrometheus(t *testing.T) {
	zh := For(catalog.SimplifiedChinese)
	count := &catalog.KPI{Unit: catalog.UnitCount}
	money := &catalog.KPI{Unit: catalog.UnitCurrency, Currency: "cny"}
	secs := &catalog.KPI{Unit: catalog.UnitSeconds}
	ratio := &catalog.KPI{Unit: catalog.UnitRatio}
	for _, c := range []struct {
		name  string
		k     *catalog.KPI
		value float64
		want  string
	}{
		{"hundreds of millions in 亿", count, 123456789, "1.23亿"},
		{"tens of thousands in 万", count, 45600, "4.56万"},
		{"whole 万 without decimals", count, 12000000, "1200万"},
		{"negative amounts", money, -250000, "-25万 CNY"},
		{"small numbers as they are", count, 1234.5, "1234"},
		{"durations in Chinese units", secs, 7200, "2小时0分钟0秒"},
		{"ratios as percentages", ratio, 0.953, "95.3%"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl := zh.ValueTemplate(c.k, "$value")
			if got := expand(t, tmpl, c.value); got != c.want {
				t.Errorf("%s with $value %v expands to %q, want %q", tmpl, c.value, got, c.want)
			}
			if c.k.Unit != catalog.UnitSeconds && c.k.Unit != catalog.UnitRatio {
				if got := zh.Amount(c.k, c.value); c.value >= 1e4 && got != c.want {
					t.Errorf("Amount(%v) = %q, want the template's %q", c.value, got, c.want)
				}
			}
		})
	}
}
