package collector

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Source is an open connection pool of one catalog source, with its dialect's
// read-only session, its limits and its health.
type Source struct {
	cfg     *catalog.Source
	dialect Dialect
	db      *sql.DB
	sem     chan struct{}
	redact  redactor
	logger  *slog.Logger
	key     string // what decides whether a reload may keep this pool

	mu       sync.Mutex
	up       bool
	tried    bool
	failures int
	failedAt time.Time     // start of the last failed attempt
	delay    time.Duration // backoff after failedAt, before each KPI's own cap
	// back is closed when the source answers again after being down, to
	// wake the KPIs that skipped their run while it backed off.
	back chan struct{}
}

// Backoff of a source that is down: the first retry after backoffBase, then
// doubling up to backoffMax. Each KPI caps the wait at its own interval, so
// that a slow KPI's failure never holds back a fast KPI on the same source
// and every KPI retries within one of its intervals.
const (
	backoffBase = time.Second
	backoffMax  = time.Minute
)

// dsnForms shows each driver's DSN forms in the errors about a DSN.
var dsnForms = map[catalog.Driver]string{
	catalog.DriverMySQL:    "user:${PASSWORD}@tcp(host:3306)/database",
	catalog.DriverPostgres: "postgres://user:${PASSWORD}@host:5432/database or host=host user=user password=${PASSWORD} dbname=database",
	catalog.DriverMSSQL:    "sqlserver://user:${PASSWORD}@host:1433?database=name or server=host;user id=user;password=${PASSWORD};database=name",
	catalog.DriverSQLite:   "a file path or a file: URI",
}

// Open opens a source's pool with its dialect's read-only session and limits.
// It does not connect: a source that is down at start-up is reported by the
// KPIs that use it.
func Open(_ context.Context, src *catalog.Source, logger *slog.Logger) (*Source, error) {
	d, err := DialectFor(src.Driver)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", src.Name, err)
	}
	dsn, err := d.DSN(src.DSN())
	if err != nil {
		// A DSN the driver cannot parse may have split its password
		// anywhere, so no part of the driver's message is shown.
		return nil, fmt.Errorf("open source %q: %w: the %s driver cannot parse it (its message is withheld because it may quote the password); the expected form is %s", src.Name, ErrInvalidDSN, src.Driver, dsnForms[src.Driver])
	}
	// The values from ${ENV} and dsn_file are secrets whether or not the
	// driver finds them in the DSN. A SQLite DSN is a file name, which
	// errors show so that one knows which file failed to open.
	red := newRedactor(dsn, append(append(d.Secrets(src.DSN()), src.DSN()), src.Secrets()...))
	if src.Driver == catalog.DriverSQLite {
		red = newRedactor("", src.Secrets())
	}
	var db *sql.DB
	if cd, ok := d.(connectorDialect); ok {
		var c driver.Connector
		if c, err = cd.Connector(dsn); err == nil {
			db = sql.OpenDB(c)
		}
	} else {
		db, err = sql.Open(d.DriverName(), dsn)
	}
	if err != nil {
		return nil, fmt.Errorf("open source %q: %s", src.Name, red.String(err.Error()))
	}
	db.SetMaxOpenConns(src.MaxOpenConns)
	db.SetMaxIdleConns(src.MaxOpenConns)
	db.SetConnMaxIdleTime(10 * time.Minute)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{
		cfg:     src,
		dialect: d,
		db:      db,
		sem:     make(chan struct{}, src.MaxConcurrentQueries),
		redact:  red,
		logger:  logger.With("source", src.Name),
		key:     sourceKey(src),
	}, nil
}

func sourceKey(s *catalog.Source) string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%t", s.Driver, s.DSN(), s.MaxOpenConns, s.MaxConcurrentQueries, s.Demo)
}

// Close closes the pool.
func (s *Source) Close() error { return s.db.Close() }

// Name is the source's catalog name.
func (s *Source) Name() string { return s.cfg.Name }

// DB is the source's pool, for callers that need database/sql directly.
func (s *Source) DB() *sql.DB { return s.db }

// Redact removes the source's secrets from text.
func (s *Source) Redact(text string) string { return s.redact.String(text) }

// Up reports whether the last attempt to reach the source succeeded, and
// whether there was an attempt at all.
func (s *Source) Up() (up, tried bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up, s.tried
}

// allow reports whether a KPI with the given interval may try the source
// now: false while a source that is down backs off. A KPI that may not try
// gets a channel that is closed when the source answers again, and the time
// at which it may try itself.
func (s *Source) allow(now time.Time, interval time.Duration) (bool, <-chan struct{}, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.up || !s.tried {
		return true, nil, time.Time{}
	}
	retryAt := s.failedAt.Add(min(s.delay, max(interval, backoffBase)))
	if !now.Before(retryAt) {
		return true, nil, time.Time{}
	}
	if s.back == nil {
		s.back = make(chan struct{})
	}
	return false, s.back, retryAt
}

// report records the outcome of an attempt to reach the source that started
// at start.
func (s *Source) report(start time.Time, reached bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried = true
	if reached {
		s.up, s.failures, s.delay = true, 0, 0
		if s.back != nil {
			close(s.back)
			s.back = nil
		}
		return
	}
	s.up = false
	s.failures++
	s.delay = min(backoffBase<<min(s.failures-1, 16), backoffMax)
	s.failedAt = start
}

// query runs one statement with its driver arguments in a read-only
// transaction under timeout and hands its rows to scan. The transaction is always rolled back.
func (s *Source) query(ctx context.Context, query string, args []any, timeout time.Duration, scan func(*sql.Rows) error) error {
	// The run's budget starts now and covers the wait for a query slot and
	// the transaction's start. The server's limit, which starts with the
	// statement, is what is left of it; the client gives up a grace after
	// the server would have, counted from the statement too. Counting the
	// client's deadline from before the wait made it give up first whenever
	// the wait and BEGIN took longer than the grace: the pool then dialled
	// again while the server still ran the old statement, so the server saw
	// more sessions than max_open_conns.
	deadline := time.Now().Add(timeout)
	waitCtx, cancelWait := context.WithDeadline(ctx, deadline)
	defer cancelWait()
	select {
	case s.sem <- struct{}{}:
	case <-waitCtx.Done():
		e := s.fail(catalog.ReasonTimeout, "wait for a free query slot", waitCtx.Err())
		e.Reached = true // the source is busy, not down
		return e
	}
	defer func() { <-s.sem }()

	// database/sql binds a transaction to the context it began with, so that
	// context must outlive the statement's own deadline below: it allows a
	// BEGIN as long as the whole budget again, which also bounds a server
	// that never answers BEGIN.
	beginCtx, cancelBegin := context.WithDeadline(ctx, deadline.Add(timeout+clientGrace(s.dialect, timeout)))
	defer cancelBegin()
	remaining := max(time.Until(deadline), time.Millisecond)
	tx, err := s.dialect.Begin(beginCtx, s.db, remaining)
	// Pooled connections that the server closed while they sat idle (a
	// restart, an idle timeout) fail on first use, and the pool drops each
	// one. Nothing has run yet, so try again until a fresh connection
	// answers or refuses: otherwise a source that is back would be called
	// down once more, and every KPI on it would wait out a backoff.
	for retries := s.cfg.MaxOpenConns; err != nil && retries > 0 && beginCtx.Err() == nil && !s.dialect.IsTimeout(err) && !isRefused(err); retries-- {
		remaining = max(time.Until(deadline), time.Millisecond)
		tx, err = s.dialect.Begin(beginCtx, s.db, remaining)
	}
	if err != nil {
		reason := catalog.ReasonConnection
		if beginCtx.Err() != nil || s.dialect.IsTimeout(err) {
			reason = catalog.ReasonTimeout
		}
		return s.fail(reason, "begin read-only transaction", err)
	}
	ctx, cancel := context.WithTimeout(beginCtx, remaining+clientGrace(s.dialect, remaining))
	defer cancel()
	defer func() { _ = tx.Rollback() }()
	err = queryTx(ctx, tx, query, args, scan)
	var re *RunError
	var rd readError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
	case errors.As(err, &rd):
		re = s.fail(s.classify(ctx, rd.err, catalog.ReasonQuery), "read rows", rd.err)
	default:
		re = s.fail(s.classify(ctx, err, catalog.ReasonQuery), "query", err)
	}
	re.Reached = true
	return re
}

// queryTx runs query in tx and hands its rows to scan. Errors after the
// statement started are readErrors.
func queryTx(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return readError{err}
	}
	return nil
}

func (s *Source) classify(ctx context.Context, err error, fallback string) string {
	switch {
	case ctx.Err() != nil || s.dialect.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return catalog.ReasonTimeout
	case isConnectionError(err):
		return catalog.ReasonConnection
	}
	return fallback
}

func (s *Source) fail(reason, what string, err error) *RunError {
	return &RunError{Reason: reason, msg: what + ": " + s.redact.String(err.Error()), err: err}
}

// serverTimed is implemented by dialects whose server ends a query at its
// timeout by itself (MySQL/MariaDB, PostgreSQL).
type serverTimed interface{ serverEnforcesTimeout() }

// clientGrace is how much later than the server-side limit the client gives
// up. The server ends a slow or blocked query cleanly and the connection goes
// back to the pool; were the client's deadline the same, the pool would drop
// a connection whose server session still runs and dial another, so the
// server would see more connections than max_open_conns. The client deadline
// stays the backstop for a server that never answers.
func clientGrace(d Dialect, timeout time.Duration) time.Duration {
	if _, ok := d.(serverTimed); !ok {
		return 0
	}
	return min(max(timeout/2, 100*time.Millisecond), 5*time.Second)
}
