package collector

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// sqliteDialect opens SQLite files through the pure-Go modernc driver. The file
// is opened read-only (mode=ro), every connection refuses writes
// (PRAGMA query_only), and an authorizer that no SQL can remove allows only
// reading: no PRAGMA (so query_only stays on), no ATTACH (so no other file is
// opened, written or created, and nothing stays attached to a pooled
// connection), no write, no schema change and no extension loading. SQLite
// runs in-process, so the query's context is its timeout: the driver
// interrupts the statement when the context ends.
type sqliteDialect struct{}

var _ Dialect = sqliteDialect{}

var _ connectorDialect = sqliteDialect{}

func (sqliteDialect) DriverName() string { return "sqlite" }

// DSN turns a file path, or a file: URI, into a read-only file: URI. A plain
// path is escaped so that characters such as ? and # stay part of the name.
func (sqliteDialect) DSN(dsn string) (string, error) {
	path, query := dsn, ""
	if rest, ok := strings.CutPrefix(dsn, "file:"); ok {
		path, query, _ = strings.Cut(rest, "?")
	} else {
		path = (&url.URL{Path: dsn}).EscapedPath()
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", err
	}
	q.Set("mode", "ro")
	pragmas := []string{"query_only(1)"}
	hasBusy := false
	for _, p := range q["_pragma"] {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(p)), "query_only") {
			continue
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(p)), "busy_timeout") {
			hasBusy = true
		}
		pragmas = append(pragmas, p)
	}
	if !hasBusy && q.Get("_busy_timeout") == "" && q.Get("_timeout") == "" {
		// A writer (such as the demo's) may hold the lock for a moment.
		pragmas = append(pragmas, "busy_timeout(5000)")
	}
	q.Del("_query_only")
	q["_pragma"] = pragmas
	return "file:" + path + "?" + q.Encode(), nil
}

// Secrets is empty: a SQLite DSN is a file name.
func (sqliteDialect) Secrets(string) []string { return nil }

func (sqliteDialect) Begin(ctx context.Context, db TxBeginner, _ time.Duration) (*sql.Tx, error) {
	return db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

func (sqliteDialect) IsTimeout(error) bool { return false }

// Connector opens dsn through a driver of the source's own, whose connection
// hook installs the read-only authorizer on every connection before the pool
// hands it out. A driver of its own keeps the hook off every other SQLite
// connection in the process.
func (sqliteDialect) Connector(dsn string) (driver.Connector, error) {
	drv := &sqlite.Driver{}
	drv.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		a, ok := c.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("the sqlite driver offers no authorizer: refusing to open without one")
		}
		return a.RegisterAuthorizer(sqliteReadOnly)
	})
	return dsnConnector{dsn: dsn, drv: drv}, nil
}

// sqliteRefusedFunctions read or write files or load code.
var sqliteRefusedFunctions = map[string]bool{
	"load_extension": true, "readfile": true, "writefile": true, "edit": true, "fts3_tokenizer": true,
}

// sqliteReadOnly is the authorizer of every KPI connection: it allows reading
// tables, calling functions other than sqliteRefusedFunctions, recursive
// common table expressions and the BEGIN, COMMIT and ROLLBACK of the
// read-only transaction a query runs in; it denies everything else.
func sqliteReadOnly(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	case sqlite.AuthFunction:
		if sqliteRefusedFunctions[strings.ToLower(arg2)] {
			return sqlite.AuthorizerDeny
		}
		return sqlite.AuthorizerOK
	case sqlite.AuthTransaction:
		switch strings.ToUpper(arg1) {
		case "BEGIN", "COMMIT", "ROLLBACK":
			return sqlite.AuthorizerOK
		}
	}
	return sqlite.AuthorizerDeny
}

// dsnConnector opens connections to one DSN through one driver.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

// Connect opens the file; a failure names the file it tried (a SQLite path
// holds no secret), since the driver's "unable to open database file" does
// not.
func (c dsnConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		path, _, _ := strings.Cut(strings.TrimPrefix(c.dsn, "file:"), "?")
		if p, uerr := url.PathUnescape(path); uerr == nil {
			path = p
		}
		return nil, fmt.Errorf("open sqlite file %s: %w", path, err)
	}
	return conn, nil
}

func (c dsnConnector) Driver() driver.Driver { return c.drv }
