// Package sqltext reads SQL text without running it: it splits it into
// tokens that know strings, quoted identifiers and comments, so that callers can
// normalise a query for comparison and refuse one that is not a single
// read-only statement (gate.go). It is a lexer, not a parser, and must not try
// to understand a query's meaning.
package sqltext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind classifies a token.
type Kind int

// The token kinds.
const (
	Word       Kind = iota // a keyword or unquoted identifier
	String                 // a string literal, including dollar-quoted ones
	Identifier             // a quoted identifier: "x", `x` or [x]
	Number
	Punct
	Semicolon
	Comment
)

// Token is one lexical element of a query.
type Token struct {
	Kind Kind
	Text string
	// Pos is the byte offset of the token in the query.
	Pos int
}

// Options adjust the lexer to an engine.
type Options struct {
	// HashComments makes '#' start a line comment, as in MySQL.
	HashComments bool
	// BackslashEscapes makes '\' escape the next character inside string
	// literals, as in MySQL's default mode.
	BackslashEscapes bool
	// DashCommentNeedsSpace makes "--" start a comment only when a space,
	// a control character or the end follows, as in MySQL ("1--1" is 1 - -1).
	DashCommentNeedsSpace bool
	// DollarQuotes makes $$...$$ and $tag$...$tag$ strings, as in PostgreSQL.
	DollarQuotes bool
	// EscapeStrings makes E'...' a string in which '\' escapes, as in
	// PostgreSQL.
	EscapeStrings bool
	// BracketIdentifiers makes [x] a quoted identifier, as in SQL Server and
	// SQLite.
	BracketIdentifiers bool
}

// Tokenize splits sql into tokens. It never fails: an unterminated string or
// comment runs to the end of the text.
func Tokenize(sql string, o Options) []Token {
	var out []Token
	i := 0
	for i < len(sql) {
		c := sql[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '-' && strings.HasPrefix(sql[i:], "--") && (!o.DashCommentNeedsSpace || i+2 == len(sql) || sql[i+2] <= ' '), c == '#' && o.HashComments:
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			out = append(out, Token{Comment, sql[start:i], start})
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = len(sql)
			} else {
				i += 2 + end + 2
			}
			out = append(out, Token{Comment, sql[start:i], start})
		case c == '\'':
			i = scanQuoted(sql, i, '\'', o.BackslashEscapes)
			out = append(out, Token{String, sql[start:i], start})
		case c == '"':
			i = scanQuoted(sql, i, '"', false)
			out = append(out, Token{Identifier, sql[start:i], start})
		case c == '`':
			i = scanQuoted(sql, i, '`', false)
			out = append(out, Token{Identifier, sql[start:i], start})
		case c == '[' && o.BracketIdentifiers:
			end := strings.IndexByte(sql[i:], ']')
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 1
			}
			out = append(out, Token{Identifier, sql[start:i], start})
		case (c == 'E' || c == 'e') && o.EscapeStrings && i+1 < len(sql) && sql[i+1] == '\'':
			i = scanQuoted(sql, i+1, '\'', true)
			out = append(out, Token{String, sql[start:i], start})
		case c == '$' && o.DollarQuotes && dollarTag(sql[i:]) != "":
			tag := dollarTag(sql[i:])
			end := strings.Index(sql[i+len(tag):], tag)
			if end < 0 {
				i = len(sql)
			} else {
				i += len(tag) + end + len(tag)
			}
			out = append(out, Token{String, sql[start:i], start})
		case c == ';':
			i++
			out = append(out, Token{Semicolon, ";", start})
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			for i < len(sql) && (isWordByte(sql[i]) || sql[i] == '.') {
				i++
			}
			out = append(out, Token{Number, sql[start:i], start})
		case isWordStart(sql, i):
			for i < len(sql) {
				r, n := utf8.DecodeRuneInString(sql[i:])
				if !(r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
					break
				}
				i += n
			}
			out = append(out, Token{Word, sql[start:i], start})
		default:
			_, n := utf8.DecodeRuneInString(sql[i:])
			i += n
			out = append(out, Token{Punct, sql[start:i], start})
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWordStart(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '_' || unicode.IsLetter(r)
}

// scanQuoted returns the offset after the literal that starts at s[i] with
// quote q. A doubled quote escapes itself.
func scanQuoted(s string, i int, q byte, backslash bool) int {
	i++
	for i < len(s) {
		switch {
		case backslash && s[i] == '\\':
			i += 2
			continue
		case s[i] == q:
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

// dollarTag returns the opening tag of a PostgreSQL dollar-quoted string at
// the start of s ("$$" or "$name$"), or "".
func dollarTag(s string) string {
	if len(s) < 2 || s[0] != '$' {
		return ""
	}
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1]
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return ""
		}
	}
	return ""
}

// Normalize renders sql without comments and with all whitespace between
// tokens folded to one space, so that two texts that differ only in layout
// or comments compare equal. Case and literals are kept.
func Normalize(sql string, o Options) string {
	var b strings.Builder
	for _, t := range Tokenize(sql, o) {
		if t.Kind == Comment {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Text)
	}
	return strings.TrimSuffix(strings.TrimSpace(b.String()), " ;")
}

func nextCode(toks []Token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].Kind != Comment {
			return j
		}
	}
	return -1
}
