package collector

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// sqliteDialect opens SQLite files through the pure-Go modernc driver. The file
// is opened read-only (mode=ro) and every connection refuses writes
// (PRAGMA query_only). SQLite runs in-process, so the query's context is its
// timeout: the driver interrupts the statement when the context ends.
type sqliteDialect struct{}

var _ Dialect = sqliteDialect{}

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
