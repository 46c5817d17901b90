package collector

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Dialect is what differs between database engines: how a DSN is made safe,
// how a read-only transaction with a server-side timeout starts, and which
// errors are the engine's own timeout.
type Dialect interface {
	// DriverName is the database/sql driver the dialect opens.
	DriverName() string
	// DSN returns dsn with the dialect's safety settings forced on.
	DSN(dsn string) (string, error)
	// Secrets returns the parts of dsn that must never be shown, such as
	// the password.
	Secrets(dsn string) []string
	// Begin starts the transaction one query runs in: read-only where the
	// engine has read-only transactions, with the server-side timeout set
	// where the engine has one. The caller always rolls it back.
	Begin(ctx context.Context, db TxBeginner, timeout time.Duration) (*sql.Tx, error)
	// IsTimeout reports whether err is the engine's server-side timeout.
	IsTimeout(err error) bool
}

// connectorDialect is a dialect that opens its connections itself, to set
// each one up before the pool hands it out.
type connectorDialect interface {
	Connector(dsn string) (driver.Connector, error)
}

// TxBeginner starts transactions: a *sql.DB, or the *sql.Conn a query holds
// (see Source.query).
type TxBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// DialectFor returns the dialect of a driver.
func DialectFor(d catalog.Driver) (Dialect, error) {
	switch d {
	case catalog.DriverSQLite:
		return sqliteDialect{}, nil
	case catalog.DriverMySQL:
		return mysqlDialect{}, nil
	case catalog.DriverPostgres:
		return postgresDialect{}, nil
	case catalog.DriverMSSQL:
		return mssqlDialect{}, nil
	}
	return nil, fmt.Errorf("unknown driver %q", d)
}

// redactedText replaces every secret in text.
const redactedText = "<redacted>"

// redactor removes a source's secrets from any text, such as a driver's error
// message that quotes part of the DSN. It also matches the URL-escaped forms
// of each secret.
type redactor struct{ r *strings.Replacer }

func newRedactor(dsn string, secrets []string) redactor {
	var pairs []string
	add := func(s string) {
		if s != "" {
			pairs = append(pairs, s, redactedText)
		}
	}
	add(dsn)
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(url.UserPassword("u", s).String()[2:])
	}
	return redactor{r: strings.NewReplacer(pairs...)}
}

func (r redactor) String(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// millis renders d as whole milliseconds, at least 1.
func millis(d time.Duration) int64 {
	return max(d.Milliseconds(), 1)
}

// beginWith starts a transaction and runs the statements that set it up, such
// as its timeout. On failure the transaction is rolled back.
func beginWith(ctx context.Context, db TxBeginner, opts *sql.TxOptions, stmts ...string) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx, nil
}
