package rules

import "github.com/prometheus/prometheus/promql/parser"

// quotient answers the one arithmetic query an alert template makes: a number
// divided by a number, with which Chinese annotations count in 万 and 亿
// (i18n.Text.ValueTemplate). Prometheus answers it as a scalar, which its
// rule manager hands the template as a one-sample vector.
func quotient(e parser.Expr) (float64, bool) {
	b, ok := e.(*parser.BinaryExpr)
	if !ok || b.Op != parser.DIV {
		return 0, false
	}
	l, lok := b.LHS.(*parser.NumberLiteral)
	r, rok := b.RHS.(*parser.NumberLiteral)
	if !lok || !rok {
		return 0, false
	}
	return l.Val / r.Val, true
}
