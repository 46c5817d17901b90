package governance

import (
	"regexp"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

var (
	// kvPasswordRE finds password=... in key/value DSNs (PostgreSQL keyword
	// form, SQL Server ADO form) and in URL query parameters.
	kvPasswordRE = regexp.MustCompile(`(?i)(?:^|[\s;&?])(?:password|pwd)\s*=([^\s;&]*)`)
	envRefRE     = regexp.MustCompile(`\$\{[^}]*\}`)
)

// lintSources flags DSNs written with a literal password. A reviewed catalog
// is read by many people and lives in version control; the password belongs
// in the environment (${VAR}) or in a dsn_file. The finding never repeats the
// password.
func lintSources(cat *catalog.Catalog) []Finding {
	var out []Finding
	for _, s := range cat.Sources {
		if s.RawDSN == "" || !literalPassword(s.RawDSN) {
			continue
		}
		out = append(out, Finding{
			File: s.Pos().File, Line: s.Pos().Line, Path: "sources." + s.Name + ".dsn",
			Severity: SeverityError, Rule: RuleDSNPassword,
			Message: "the DSN holds a literal password: reference an environment variable such as ${" + strings.ToUpper(s.Name) + "_PASSWORD}, or move the DSN to a dsn_file",
		})
	}
	return out
}

// literalPassword reports whether a DSN, as written, carries a password that
// is not (only) ${ENV} references: in URL or MySQL user:password@ form, or as
// a password= parameter.
func literalPassword(dsn string) bool {
	isLiteral := func(p string) bool { return envRefRE.ReplaceAllString(p, "") != "" }
	for _, m := range kvPasswordRE.FindAllStringSubmatch(dsn, -1) {
		if isLiteral(m[1]) {
			return true
		}
	}
	rest := dsn
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return false
	}
	_, pass, ok := strings.Cut(rest[:at], ":")
	return ok && isLiteral(pass)
}
