package collector

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrMissingColumn is wrapped when a query's result lacks a label or value
// column the KPI names.
var ErrMissingColumn = errors.New("missing column")

// ErrInvalidDSN is wrapped when a source's DSN does not parse.
var ErrInvalidDSN = errors.New("invalid DSN")

// RunError is a failed run of a KPI's SQL, with the reason it is counted
// under (one of catalog.Reason*). Its message never holds a secret of the
// source: it is redacted when the error is made.
type RunError struct {
	Reason string
	// Reached is true when the source answered (the transaction began):
	// the failure is the query's, not the source's.
	Reached bool
	msg     string
	err     error
}

func (e *RunError) Error() string { return e.msg }

// Unwrap gives errors.Is access to the driver's error. Do not print the
// unwrapped error: only RunError's own message is redacted.
func (e *RunError) Unwrap() error { return e.err }

// isConnectionError reports whether err means the server could not be
// reached or the connection broke, as opposed to a failing statement.
func isConnectionError(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.As(err, &ne), errors.As(err, &ce):
		return true
	}
	return pgconn.SafeToRetry(err)
}

func errorsIsMissing(err error) bool { return errors.Is(err, ErrMissingColumn) }

// isRefused reports whether err is a refused connection: the server is not
// listening, so trying again at once would only be refused again.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// readError is an error reading a query's rows, as opposed to converting
// them: Source.query classifies it as the query's failure.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }
