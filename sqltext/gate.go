package sqltext

import (
	"fmt"
	"strings"
)

// Dialect names the SQL an engine accepts, for the read-only gate: which
// comments execute and which functions reach outside the query.
type Dialect int

// The dialects the gate knows.
const (
	Generic Dialect = iota
	MySQL
	PostgreSQL
	SQLite
	MSSQL
)

// RefusedError says why a query is not a single read-only statement. Pos is
// the byte offset in the query of the token that decided it.
type RefusedError struct {
	Pos    int
	Reason string
}

func (e *RefusedError) Error() string { return e.Reason }

// leadWords may start a read-only statement.
var leadWords = map[string]bool{"SELECT": true, "WITH": true, "VALUES": true}

// refusedWords write data or schema, change the session or the server, move
// files, or control transactions. None of them belongs in a read-only query,
// wherever it stands; a column of that name must be quoted.
var refusedWords = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "UPSERT": true,
	"REPLACE": true, "CREATE": true, "ALTER": true, "DROP": true, "TRUNCATE": true,
	"RENAME": true, "GRANT": true, "REVOKE": true, "COPY": true, "CALL": true,
	"EXEC": true, "EXECUTE": true, "DO": true, "LOCK": true, "UNLOCK": true,
	"VACUUM": true, "ATTACH": true, "DETACH": true, "PRAGMA": true, "LOAD": true,
	"INTO": true, "HANDLER": true, "COMMIT": true, "ROLLBACK": true, "BEGIN": true,
	"SAVEPOINT": true, "SET": true, "REINDEX": true, "OUTFILE": true,
	"DUMPFILE": true, "SHUTDOWN": true, "KILL": true, "PREPARE": true,
	"DEALLOCATE": true, "LISTEN": true, "NOTIFY": true, "UNLISTEN": true,
	"DISCARD": true, "RESET": true, "IMPORT": true, "OPENROWSET": true,
	"OPENQUERY": true, "OPENDATASOURCE": true, "BULK": true, "WAITFOR": true,
}

// rowLocks follow FOR in a locking read (FOR UPDATE, FOR SHARE, FOR NO KEY
// UPDATE, FOR KEY SHARE).
var rowLocks = map[string]bool{"UPDATE": true, "SHARE": true, "NO": true, "KEY": true}

// refusedFunctions change session or server state, take locks that outlive
// the query, or read and write files on the database host.
var refusedFunctions = map[Dialect]map[string]bool{
	PostgreSQL: {
		"set_config": true, "pg_terminate_backend": true, "pg_cancel_backend": true,
		"pg_reload_conf": true, "pg_rotate_logfile": true, "pg_switch_wal": true,
		"pg_create_restore_point": true, "pg_promote": true, "lo_import": true,
		"lo_export": true, "lo_unlink": true, "lo_create": true, "lo_creat": true,
		"lo_from_bytea": true, "lo_put": true, "pg_file_write": true,
		"pg_file_rename": true, "pg_file_unlink": true, "pg_read_file": true,
		"pg_read_binary_file": true, "pg_ls_dir": true, "pg_stat_file": true,
		"pg_advisory_lock": true, "pg_advisory_lock_shared": true,
		"pg_try_advisory_lock": true, "pg_try_advisory_lock_shared": true,
		"nextval": true, "setval": true, "dblink": true, "dblink_exec": true,
		"dblink_connect": true, "pg_logical_emit_message": true,
	},
	MySQL: {
		"load_file": true, "get_lock": true, "release_lock": true,
		"release_all_locks": true, "sys_exec": true, "sys_eval": true,
		"master_pos_wait": true, "source_pos_wait": true, "nextval": true,
		"setval": true, "lastval": true,
	},
	SQLite: {
		"load_extension": true, "readfile": true, "writefile": true, "edit": true,
		"fts3_tokenizer": true,
	},
	MSSQL: {
		"xp_cmdshell": true, "openrowset": true, "opendatasource": true,
		"openquery": true, "sp_executesql": true,
	},
}

// ReadOnly checks that query is one read-only statement: it starts with
// SELECT, WITH or VALUES (parentheses allowed), holds no second statement, no
// word that writes, moves files, changes the session or controls a
// transaction, and no call of a function that does, outside strings, quoted
// identifiers and comments. On MySQL and MariaDB a /*! ... */ comment runs
// as code, so it is refused. The error is a *RefusedError.
//
// It is a lexical check and deliberately strict; the read-only session and
// transaction each engine opens stay in place behind it.
//
// Whether a backslash escapes a quote in a string depends on the server's
// settings (MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's
// standard_conforming_strings), which the gate cannot see: it reads the query
// both ways and refuses what either reading refuses.
func ReadOnly(query string, d Dialect) error {
	o := OptionsFor(d)
	if err := readOnly(query, d, o); err != nil {
		return err
	}
	o.BackslashEscapes = !o.BackslashEscapes
	return readOnly(query, d, o)
}

func readOnly(query string, d Dialect, o Options) error {
	toks := Tokenize(query, o)
	first := -1
	for i, t := range toks {
		switch t.Kind {
		case Comment:
			if d == MySQL && (strings.HasPrefix(t.Text, "/*!") || strings.HasPrefix(t.Text, "/*M!")) {
				return &RefusedError{t.Pos, "a /*! ... */ comment runs as SQL on MySQL and MariaDB: write the SQL plainly"}
			}
			continue
		case Semicolon:
			if j := nextCode(toks, i); j >= 0 {
				return &RefusedError{toks[j].Pos, "more than one statement: give exactly one SELECT"}
			}
			continue
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return &RefusedError{0, "no SQL statement"}
	}
	lead := first
	for lead < len(toks) && (toks[lead].Kind == Comment || toks[lead].Kind == Punct && toks[lead].Text == "(") {
		lead++
	}
	if lead == len(toks) || toks[lead].Kind != Word || !leadWords[strings.ToUpper(toks[lead].Text)] {
		t := toks[min(lead, len(toks)-1)]
		return &RefusedError{t.Pos, fmt.Sprintf("the statement starts with %s: a KPI query must start with SELECT, WITH or VALUES", describe(t))}
	}
	for i, t := range toks {
		if t.Kind != Word && t.Kind != Identifier {
			continue
		}
		call := false
		if j := nextCode(toks, i); j >= 0 && toks[j].Kind == Punct && toks[j].Text == "(" {
			call = true
		}
		name := t.Text
		if t.Kind == Identifier {
			name = unquote(name)
		}
		if call && refusedFunctions[d][strings.ToLower(name)] {
			return &RefusedError{t.Pos, fmt.Sprintf("function %s changes state or reaches outside the query: a KPI query must only read", strings.ToLower(name))}
		}
		if t.Kind != Word {
			continue
		}
		w := strings.ToUpper(t.Text)
		if j := nextCode(toks, i); w == "FOR" && j >= 0 && toks[j].Kind == Word && rowLocks[strings.ToUpper(toks[j].Text)] {
			return &RefusedError{t.Pos, "a locking read (FOR UPDATE, FOR SHARE) takes row locks: a KPI query must only read"}
		}
		if !refusedWords[w] || call && w != "INTO" && w != "SET" && w != "LOCK" && w != "DO" {
			// REPLACE(s, a, b) and the like are functions, not statements.
			continue
		}
		return &RefusedError{t.Pos, fmt.Sprintf("%s is not allowed in a KPI query, which must only read (quote it if it is a column name)", w)}
	}
	return nil
}

// OptionsFor returns the lexer options of a dialect. Generic lexes every
// quoting form any of the engines has.
func OptionsFor(d Dialect) Options {
	switch d {
	case MySQL:
		return Options{HashComments: true, BackslashEscapes: true, DashCommentNeedsSpace: true}
	case PostgreSQL:
		return Options{DollarQuotes: true, EscapeStrings: true}
	case SQLite, MSSQL:
		return Options{BracketIdentifiers: true}
	}
	return Options{DollarQuotes: true, BracketIdentifiers: true}
}

func describe(t Token) string {
	if t.Kind == Word {
		return strings.ToUpper(t.Text)
	}
	return fmt.Sprintf("%q", t.Text)
}

func unquote(s string) string {
	if len(s) >= 2 {
		return s[1 : len(s)-1]
	}
	return s
}
