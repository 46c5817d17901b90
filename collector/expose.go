package collector

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
)

// gaugeFamily writes the exposition of one gauge family, in the text format
// or OpenMetrics, byte for byte as client_golang's const metrics encoded by
// expfmt would (see TestGaugeFamilyMatchesClientGolang), but straight from a
// row's label values into the run's buffer.
//
// This departs from "emit through client_golang" on purpose. For a KPI of
// 200,000 rows on MariaDB, the profile of a run (BenchmarkCollectMariaDB)
// showed about 1 s of the 1.44 s from query to served in MustNewConstMetric
// (a dto.Metric and a sorted label-pair slice per series), the registry's
// Gather (consistency hashing of every series, sorting) and expfmt, next to
// 0.23 s for database/sql to scan the same rows bare. Issue 7 allows 1.15
// times the bare scan. A run appends each line as its row is scanned
// instead; the self-metrics still go through client_golang.
type gaugeFamily struct {
	name string
	// head is the HELP and TYPE lines, [0] text and [1] OpenMetrics.
	head [2][]byte
	// A sample is lits[0] + value of labels[slot[0]] + lits[1] + ... +
	// lits[n], then the value: the KPI's labels and the constant labels
	// merged in label-name order, as client_golang sorts them.
	lits []string
	slot []int
}

// newGaugeFamily prepares a family whose samples carry labelNames (in the
// order their values are passed) and the constant labels.
func newGaugeFamily(name, help string, labelNames []string, constLabels map[string]string) *gaugeFamily {
	f := &gaugeFamily{name: name}
	for i, om := range []bool{false, true} {
		var b []byte
		b = append(b, "# HELP "...)
		b = appendName(b, name)
		b = append(b, ' ')
		b = appendEscaped(b, help, om)
		b = append(b, "\n# TYPE "...)
		b = appendName(b, name)
		b = append(b, " gauge\n"...)
		f.head[i] = b
	}

	type pair struct {
		name, value string
		slot        int // index into the label values, or -1 for a constant
	}
	pairs := make([]pair, 0, len(labelNames)+len(constLabels))
	for i, n := range labelNames {
		pairs = append(pairs, pair{name: n, slot: i})
	}
	for n, v := range constLabels {
		pairs = append(pairs, pair{name: n, value: v, slot: -1})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })

	var lit []byte
	sep := byte('{')
	inBraces := !model.LegacyValidation.IsValidMetricName(name)
	if inBraces {
		lit = append(lit, '{')
		sep = ','
	}
	lit = appendName(lit, name)
	for _, p := range pairs {
		lit = append(lit, sep)
		sep = ','
		lit = appendName(lit, p.name)
		lit = append(lit, `="`...)
		if p.slot < 0 {
			lit = appendEscaped(lit, p.value, true)
			lit = append(lit, '"')
			continue
		}
		f.lits = append(f.lits, string(lit))
		f.slot = append(f.slot, p.slot)
		lit = append(lit[:0], '"')
	}
	if len(pairs) > 0 || inBraces {
		lit = append(lit, '}')
	}
	lit = append(lit, ' ')
	f.lits = append(f.lits, string(lit))
	return f
}

// appendHeader appends the family's HELP and TYPE lines.
func (f *gaugeFamily) appendHeader(b []byte, om bool) []byte {
	if om {
		return append(b, f.head[1]...)
	}
	return append(b, f.head[0]...)
}

// appendSample appends one sample line. labels are the values of the
// family's label names, valid UTF-8.
func (f *gaugeFamily) appendSample(b []byte, labels []string, v float64, om bool) []byte {
	b = append(b, f.lits[0]...)
	for i, s := range f.slot {
		b = appendEscaped(b, labels[s], true)
		b = append(b, f.lits[i+1]...)
	}
	b = appendFloat(b, v, om)
	return append(b, '\n')
}

// appendFloat formats v as expfmt does: shortest 'g' form; OpenMetrics adds
// ".0" to integers written without an exponent.
func appendFloat(b []byte, v float64, om bool) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == 0: // also -0, which expfmt writes as 0
		if om {
			return append(b, "0.0"...)
		}
		return append(b, '0')
	}
	n := len(b)
	var ok bool
	if b, ok = appendDecimal(b, v); !ok {
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	if om {
		for _, c := range b[n:] {
			if c == '.' || c == 'e' {
				return b
			}
		}
		b = append(b, '.', '0')
	}
	return b
}

// appendDecimal appends v (finite, not zero) byte for byte as
// strconv.AppendFloat(b, v, 'g', -1, 64) does, for the values a KPI usually
// has: the double nearest a decimal with at most 9 digits after the point
// and fewer than 2^51 in all (amounts, counts, ratios, Unix times to the
// microsecond). It reports false, appending nothing, for any other v.
//
// Why: strconv finds the shortest digits with a general algorithm that was
// the largest single cost of writing a 200,000-row run's lines.
//
// How: for k = 0, 1, ..., M = round(|v| * 10^k) is the nearest k-decimal
// candidate, and M / 10^k, a division of two exact doubles, is correctly
// rounded: it equals v exactly when the decimal M*10^-k parses back to v.
// The first k for which it does gives the fewest digits, since no decimal
// with fewer digits after the point parses to v (the nearest one did not).
// Below 2^51, 10^-k exceeds twice the spacing of doubles around v, so no
// other decimal of as many digits parses to v: these digits are the
// shortest that identify v, which is what strconv writes.
// FuzzAppendDecimal and TestAppendDecimal hold it to strconv.
func appendDecimal(b []byte, v float64) ([]byte, bool) {
	a := math.Abs(v)
	for k, p := range exactPow10[:10] {
		m := a * p
		if !(m < 1<<51) {
			return b, false
		}
		mr := math.Round(m)
		if mr/p != a {
			continue
		}
		if mr == 0 {
			return b, false
		}
		if v < 0 {
			b = append(b, '-')
		}
		return appendDigits(b, uint64(mr), k), true
	}
	return b, false
}

// appendDigits writes the decimal m*10^-k in the layout of strconv's shortest
// 'g' format: exponent form when the exponent is below -4 or at least 6
// (mantissa digits, at least two exponent digits), plain form otherwise.
func appendDigits(b []byte, m uint64, k int) []byte {
	var buf [24]byte
	d := strconv.AppendUint(buf[:0], m, 10)
	dp := len(d) - k // where the decimal point falls in d
	for len(d) > 1 && d[len(d)-1] == '0' {
		d = d[:len(d)-1]
	}
	exp := dp - 1
	if exp < -4 || exp >= 6 {
		b = append(b, d[0])
		if len(d) > 1 {
			b = append(b, '.')
			b = append(b, d[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	switch {
	case dp <= 0:
		b = append(b, '0', '.')
		for range -dp {
			b = append(b, '0')
		}
		return append(b, d...)
	case dp >= len(d):
		b = append(b, d...)
		for range dp - len(d) {
			b = append(b, '0')
		}
		return b
	}
	b = append(b, d[:dp]...)
	b = append(b, '.')
	return append(b, d[dp:]...)
}

// appendName writes a metric or label name bare if it is a legacy name, and
// quoted otherwise, as expfmt does.
func appendName(b []byte, name string) []byte {
	if model.LegacyValidation.IsValidMetricName(name) {
		return append(b, name...)
	}
	b = append(b, '"')
	b = appendEscaped(b, name, true)
	return append(b, '"')
}

// appendEscaped escapes backslash and newline, and the double quote if
// quote is set (label values, and HELP in OpenMetrics).
func appendEscaped(b []byte, s string, quote bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '"':
			if !quote {
				continue
			}
			esc = `\"`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}
