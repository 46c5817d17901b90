package i18n

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/helpers/templates"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/template"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Chinese counts large numbers in 万 (10⁴) and 亿 (10⁸), not in thousands.
var chineseMagnitudes = []struct {
	scale float64
	lit   string // the scale as a PromQL number
	name  string
}{{1e8, "1e8", "亿"}, {1e4, "1e4", "万"}}

// trailingZeros drops the zeros after the decimal point that %.2f leaves:
// 4.50 → 4.5, 4.00 → 4.
const trailingZeros = `\.0+$|(\.\d*[1-9])0+$`

var trailingZerosRE = regexp.MustCompile(trailingZeros)

// Number writes a number as the language does: English as Go's shortest
// representation (12000000), Chinese in 万 and 亿 with at most two decimals
// (1200万, 1.23亿, 4.56万).
func (t *Text) Number(f float64) string {
	if t.Lang == catalog.SimplifiedChinese && !math.IsNaN(f) && !math.IsInf(f, 0) {
		for _, m := range chineseMagnitudes {
			if math.Abs(f) >= m.scale {
				return trailingZerosRE.ReplaceAllString(strconv.FormatFloat(f/m.scale, 'f', 2, 64), "$1") + m.name
			}
		}
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Percent writes a ratio as a percentage: 0.953 → 95.3%.
func (t *Text) Percent(ratio float64) string {
	return strconv.FormatFloat(math.Round(ratio*1e6)/1e4, 'f', -1, 64) + "%"
}

// chineseDurationUnits rewrite Prometheus's humanized durations (1d 2h 3m
// 4s, 500ms) in Chinese units, in this order: ms before m and s.
var chineseDurationUnits = []struct{ pattern, repl string }{
	{`(\d)ms`, "${1}毫秒"}, {`(\d)us`, "${1}微秒"}, {`(\d)ns`, "${1}纳秒"},
	{`(\d)d`, "${1}天"}, {`(\d)h`, "${1}小时"}, {`(\d)m`, "${1}分钟"}, {`(\d)s`, "${1}秒"}, {` `, ""},
}

var chineseDurationREs = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(chineseDurationUnits))
	for i, u := range chineseDurationUnits {
		out[i] = regexp.MustCompile(u.pattern)
	}
	return out
}()

// Duration writes seconds as Prometheus's humanizeDuration does, in the
// language's units.
func (t *Text) Duration(seconds float64) string {
	s, _ := templates.HumanizeDuration(seconds) // a float always converts
	if t.Lang == catalog.SimplifiedChinese {
		for i, re := range chineseDurationREs {
			s = re.ReplaceAllString(s, chineseDurationUnits[i].repl)
		}
	}
	return s
}

// chineseSpanUnits write a Prometheus duration (1h30m, 7d) in Chinese units,
// ms before m and s.
var chineseSpanUnits = strings.NewReplacer("ms", "毫秒", "y", "年", "w", "周", "d", "天", "h", "小时", "m", "分钟", "s", "秒")

// Span writes a duration as configured in the catalog: Prometheus's form in
// English (1h30m), with Chinese units in Chinese (1小时30分钟).
func (t *Text) Span(d time.Duration) string {
	s := model.Duration(d).String()
	if t.Lang == catalog.SimplifiedChinese {
		return chineseSpanUnits.Replace(s)
	}
	return s
}

// Amount writes a value of the KPI as written in the catalog, for text
// generated ahead of time (dashboards, the dictionary): English as the
// number itself, Chinese in its unit (1200万 CNY, 2小时0分钟0秒).
func (t *Text) Amount(k *catalog.KPI, f float64) string {
	if t.Lang != catalog.SimplifiedChinese {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	switch k.Unit {
	case catalog.UnitCurrency:
		return t.Number(f) + " " + strings.ToUpper(k.Currency)
	case catalog.UnitSeconds:
		return t.Duration(f)
	case catalog.UnitRatio:
		return t.Percent(f)
	case catalog.UnitPercent:
		return strconv.FormatFloat(f, 'g', -1, 64) + "%"
	case catalog.UnitBytes:
		return bytesText(f)
	case catalog.UnitCount, catalog.UnitScore, "":
		return t.Number(f)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// bytesText writes bytes as the alert annotations do (1.863GiB), with the
// function Prometheus's templates have for it.
func bytesText(f float64) string {
	s, err := template.NewTemplateExpander(context.Background(), "{{ humanize1024 . }}B", "bytes", f, 0, nil, nil, nil).Expand()
	if err != nil { // a float always humanizes
		return strconv.FormatFloat(f, 'g', -1, 64) + "B"
	}
	return s
}

// ValueTemplate returns a Prometheus alert-template snippet that renders the
// value of the pipeline expr (such as "$value") in the KPI's unit, as the
// language writes it. English is catalog.KPI.HumanizeTemplate. Prometheus's
// template functions cannot divide, so the Chinese 万 and 亿 ask Prometheus
// itself for the quotient, with the query function every alert template has.
func (t *Text) ValueTemplate(k *catalog.KPI, expr string) string {
	if t.Lang != catalog.SimplifiedChinese {
		return k.HumanizeTemplate(expr)
	}
	switch k.Unit {
	case catalog.UnitCount, "":
		return chineseNumberTemplate(expr)
	case catalog.UnitCurrency:
		return chineseNumberTemplate(expr) + " " + strings.ToUpper(k.Currency)
	case catalog.UnitSeconds:
		var b strings.Builder
		b.WriteString("{{ " + expr + " | humanizeDuration")
		for _, u := range chineseDurationUnits {
			b.WriteString(" | reReplaceAll `" + u.pattern + "` `" + u.repl + "`")
		}
		b.WriteString(" }}")
		return b.String()
	}
	return k.HumanizeTemplate(expr)
}

// chineseNumberTemplate renders expr in 亿 or 万 from 10⁴ on, with at most
// two decimals, and below that with four significant digits.
func chineseNumberTemplate(expr string) string {
	var b strings.Builder
	for i, m := range chineseMagnitudes {
		if i > 0 {
			b.WriteString("{{ else if")
		} else {
			b.WriteString("{{ if")
		}
		b.WriteString(" or (ge " + expr + " " + m.lit + ") (le " + expr + " -" + m.lit + ") }}")
		b.WriteString(`{{ printf "%g / ` + m.lit + `" ` + expr + ` | query | first | value | printf "%.2f" | reReplaceAll ` + "`" + trailingZeros + "` `${1}`" + " }}" + m.name)
	}
	b.WriteString(`{{ else }}{{ printf "%.4g" ` + expr + ` }}{{ end }}`)
	return b.String()
}
