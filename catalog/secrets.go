package catalog

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var (
	envRefRE  = regexp.MustCompile(`\$\{([^}]*)\}`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Secrets are the values of the source's DSN that came from the environment
// (${VAR}) or from its dsn_file, and the password of a URL-form DSN: whatever
// shows the DSN or a driver's message about it must redact these, whether or
// not a driver can parse the DSN. Empty values are left out.
func (s *Source) Secrets() []string { return slices.Clone(s.secrets) }

// resolveDSN sets a source's DSN from dsn, with ${VAR} expanded, or from
// dsn_file, and records what came from outside the catalog as secrets. A
// URL-form DSN whose user name or password is not URL-escaped is refused.
// No message shows any part of the DSN.
func (l *loader) resolveDSN(s *Source) {
	file, path := s.pos.File, "sources."+s.Name
	key := path + ".dsn"
	switch {
	case s.RawDSN != "" && s.DSNFile != "":
		l.errAt(file, path+".dsn_file", "give dsn or dsn_file, not both")
		return
	case s.RawDSN == "" && s.DSNFile == "":
		l.errAt(file, key, "dsn or dsn_file is required")
		return
	case s.DSNFile != "":
		key = path + ".dsn_file"
		p := s.DSNFile
		if !isAbs(p) {
			p = joinDir(file, p)
		}
		data, err := readSecretFile(p)
		if err != nil {
			l.errAt(file, key, "%v", err)
			return
		}
		s.dsn = data
		s.addSecret(data)
	default:
		var missing []string
		s.dsn = envRefRE.ReplaceAllStringFunc(s.RawDSN, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if !envNameRE.MatchString(name) {
				missing = append(missing, fmt.Sprintf("invalid environment reference ${%s}", name))
				return ""
			}
			v, ok := l.opts.LookupEnv(name)
			if !ok {
				missing = append(missing, fmt.Sprintf("environment variable %s is not set", name))
			}
			s.addSecret(v)
			return v
		})
		for _, m := range missing {
			l.errAt(file, key, "%s", m)
		}
	}
	if s.Driver == DriverSQLite {
		s.dsn = sqlitePath(file, s.dsn)
	}
	if msg := urlCredentialsProblem(s.dsn); msg != "" {
		l.errAt(file, key, "%s", msg)
		return
	}
	if u, err := url.Parse(s.dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			s.addSecret(p)
		}
	}
}

// sqlitePath resolves a relative SQLite file, plain or in a file: URI,
// against the directory of the catalog file, as dsn_file is: the same
// catalog then reads the same database from any working directory.
// :memory: and absolute paths are kept.
func sqlitePath(file, dsn string) string {
	rest, uri := strings.CutPrefix(dsn, "file:")
	p, query, hasQuery := rest, "", false
	if uri {
		p, query, hasQuery = strings.Cut(rest, "?")
	} else {
		p = dsn
	}
	if p == "" || p == ":memory:" || isAbs(p) || strings.HasPrefix(p, "/") {
		return dsn
	}
	// Absolute, so that an error opening it says which file it was.
	if abs, err := filepath.Abs(joinDir(file, p)); err == nil {
		p = abs
	} else {
		p = joinDir(file, p)
	}
	if !uri {
		return p
	}
	if hasQuery {
		return "file:" + p + "?" + query
	}
	return "file:" + p
}

func (s *Source) addSecret(v string) {
	if v != "" && !slices.Contains(s.secrets, v) {
		s.secrets = append(s.secrets, v)
	}
}

// urlCredentialsProblem tells why the user name or password of a URL-form
// DSN (scheme://user:password@host/...) would not come through net/url and
// the drivers intact, or returns "". net/url ends the host at the first / ?
// or #, splits the user from the password at the first : and takes the last
// @ as the end of the credentials: a raw one of these in a password moves
// part of it into the host, path or fragment, where an error message or a
// log line shows it. So every character of the credentials must be one URLs
// allow there, and anything else percent-encoded. The message names no part
// of the DSN.
func urlCredentialsProblem(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok || !isScheme(scheme) {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	user, pass, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass || strings.ContainsAny(user, "/?#") || isPortThenPath(pass) {
		// No password, or the @ is in the path or query of a URL
		// without credentials (host:5432/db?user=a@b).
		return ""
	}
	if validCredentials(user) && validCredentials(pass) {
		return ""
	}
	return "the user name or password in this URL is not URL-escaped, so drivers would read part of it as the host, path or query: " +
		"percent-encode every character other than letters, digits and -._~!$&'()*+,;= " +
		"(@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, space as %20), " +
		"in the catalog or in the environment variable or file it comes from"
}

func isScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// isPortThenPath reports whether s starts with a port followed by a path,
// query or fragment, as in host:5432/db.
func isPortThenPath(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && strings.IndexByte("/?#", s[i]) >= 0
}

// validCredentials reports whether s holds only what RFC 3986 allows in the
// user information of a URL: unreserved characters, sub-delimiters and
// complete %XX escapes.
func validCredentials(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c) || isDigit(c) || strings.IndexByte("-._~!$&'()*+,;=", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
