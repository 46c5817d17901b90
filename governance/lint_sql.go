package governance

import (
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

func (l *kpiLinter) sql() {
	k := l.k
	l.query("sql", k.SQL, l.cat.Source(k.Source))
	if k.Target != nil && !k.Target.IsConstant() {
		l.query("target.sql", k.Target.SQL, l.cat.Source(k.Target.Source))
	}
}

// query checks that sql is one read-only statement. The exporter also runs it
// in a read-only transaction where the engine has one; this catches the
// mistake in review, before it reaches a database.
func (l *kpiLinter) query(key, sql string, src *catalog.Source) {
	var opts sqltext.Options
	if src != nil {
		opts = catalog.SQLOptions(src.Driver)
	}
	if n := sqltext.Statements(sql, opts); n != 1 {
		l.add(SeverityError, RuleSQLStatements, key, "SQL holds %d statements; give exactly one SELECT", n)
	}
	if kws := sqltext.WriteKeywords(sql, opts); len(kws) > 0 {
		l.add(SeverityError, RuleSQLWrite, key, "write keyword %s outside strings and comments: a KPI query must only read", strings.Join(dedupe(kws), ", "))
		return
	}
	for _, t := range sqltext.Tokenize(sql, opts) {
		if t.Kind == sqltext.Comment {
			continue
		}
		switch w := strings.ToUpper(t.Text); {
		case t.Kind == sqltext.Punct && t.Text == "(":
			continue // a parenthesised SELECT
		case w == "SELECT" || w == "WITH" || w == "VALUES":
		default:
			l.add(SeverityWarning, RuleSQLNotSelect, key, "SQL starts with %s, not SELECT or WITH: make sure it only reads", w)
		}
		return
	}
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
