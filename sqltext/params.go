package sqltext

import (
	"strconv"
	"strings"
)

// Param is a named parameter written :name in a query.
type Param struct {
	Name string
	// Pos is the byte offset of the colon in the query.
	Pos int
}

// Params lists the :name parameters of query, in order, outside strings,
// quoted identifiers and comments. A colon right after another colon
// (PostgreSQL's x::date cast), right after a value or an opening bracket
// (array slices a[1:n], a[:n]) does not start a parameter.
func Params(query string, d Dialect) []Param {
	toks := Tokenize(query, OptionsFor(d))
	var out []Param
	for i := 0; i+1 < len(toks); i++ {
		t, next := toks[i], toks[i+1]
		if t.Kind != Punct || t.Text != ":" || next.Kind != Word || next.Pos != t.Pos+1 {
			continue
		}
		if i > 0 {
			prev := toks[i-1]
			if prev.Pos+len(prev.Text) == t.Pos && (prev.Text == ":" || prev.Text == ")" || prev.Text == "]" || prev.Text == "[" ||
				prev.Kind == Word || prev.Kind == Number || prev.Kind == Identifier) {
				continue
			}
		}
		out = append(out, Param{Name: next.Text, Pos: t.Pos})
	}
	return out
}

// Bind rewrites the :name parameters of query into the dialect's placeholders
// (? for MySQL, SQLite and Generic, $1, $2 ... for PostgreSQL, @p1, @p2 ...
// for SQL Server) and returns the names in placeholder order, so that the
// caller passes the values as driver arguments. Nothing but the parameters
// changes.
func Bind(query string, d Dialect) (string, []string) {
	params := Params(query, d)
	if len(params) == 0 {
		return query, nil
	}
	var b strings.Builder
	names := make([]string, 0, len(params))
	last := 0
	for i, p := range params {
		b.WriteString(query[last:p.Pos])
		switch d {
		case PostgreSQL:
			b.WriteString("$" + strconv.Itoa(i+1))
		case MSSQL:
			b.WriteString("@p" + strconv.Itoa(i+1))
		default:
			b.WriteString("?")
		}
		names = append(names, p.Name)
		last = p.Pos + 1 + len(p.Name)
	}
	b.WriteString(query[last:])
	return b.String(), names
}
