package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// batchBuckets is how many buckets one transaction writes: a day.
const batchBuckets = day

// open opens an existing database for writing. It changes nothing in the
// file: a database the demo did not create is left as it is. A demo database
// is in WAL mode (see switchToWAL), so the exporter reads while Grow writes;
// the busy timeout rides out the moments a checkpoint needs the lock.
func open(path string) (*sql.DB, error) {
	return openWith(path, "_pragma=synchronous(NORMAL)")
}

// openBulk opens a database that nobody else reads yet, without journal or
// syncs: creating the demo is several times faster, and a crash only leaves a
// temporary file behind. switchToWAL must follow before anyone else opens it.
func openBulk(path string) (*sql.DB, error) {
	return openWith(path, "_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
}

// switchToWAL makes the database's journal mode WAL, which the file remembers.
func switchToWAL(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return fmt.Errorf("switch to WAL: %w", err)
	}
	return nil
}

func openWith(path, pragmas string) (*sql.DB, error) {
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("demo database path %q: want a plain file path", path)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_txlock=immediate&"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open demo database %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// endBucket is the first bucket that has not ended at now.
func endBucket(unix int64) int64 { return unix / bucketSeconds }

// dbState is what an existing database holds.
type dbState int

const (
	stateEmpty dbState = iota // no tables at all
	stateDemo                 // a demo database of this schema version
	stateStale                // a demo database of another schema version
)

// readState inspects the database.
func readState(ctx context.Context, db *sql.DB) (dbState, error) {
	var tables, meta int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE name = 'demo_meta') FROM sqlite_schema WHERE type = 'table'`).Scan(&tables, &meta)
	if err != nil {
		return 0, fmt.Errorf("read schema: %w", err)
	}
	switch {
	case tables == 0:
		return stateEmpty, nil
	case meta == 0:
		return 0, ErrNotDemo
	}
	var version, filled sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT value FROM demo_meta WHERE key = ?),
		(SELECT value FROM demo_meta WHERE key = ?)`, metaVersion, metaFilled).Scan(&version, &filled)
	if err != nil {
		return 0, fmt.Errorf("read demo_meta: %w", err)
	}
	if version.Int64 != schemaVersion || !filled.Valid {
		return stateStale, nil
	}
	return stateDemo, nil
}

// initSchema creates the tables and the fixed targets.
func initSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, schemaDDL); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	for _, r := range regions {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sales_budgets (region, monthly_budget) VALUES (?, ?)`, r.name, r.monthlyBudget); err != nil {
			return fmt.Errorf("insert sales budget: %w", err)
		}
	}
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO line_capacity (line, weekly_capacity) VALUES (?, ?)`, l.name, l.weeklyCapacity); err != nil {
			return fmt.Errorf("insert line capacity: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO demo_meta (key, value) VALUES (?, ?), (?, 0)`, metaVersion, schemaVersion, metaFilled); err != nil {
		return fmt.Errorf("insert demo_meta: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema: %w", err)
	}
	return nil
}

// fill writes every bucket up to end, one transaction per batch. Rows are
// generated only for buckets inside each table's retention at end, so the
// result equals a database created from scratch at end, however it was
// reached; after each batch the data is consistent with its last bucket.
func fill(ctx context.Context, db *sql.DB, end int64, keep retention) error {
	for {
		done, err := writeBatch(ctx, db, end, keep)
		if err != nil || done {
			return err
		}
	}
}

// writeBatch writes the next batch of buckets before end in one transaction:
// their rows, the tickets that have closed by the batch's end, the deletion of
// rows past retention, and the new fill mark. The fill mark is read inside
// the transaction, which holds the write lock (_txlock=immediate), so two
// writers (Prepare on a reload while Grow runs) never write a bucket twice.
func writeBatch(ctx context.Context, db *sql.DB, end int64, keep retention) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	var filled int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM demo_meta WHERE key = ?`, metaFilled).Scan(&filled); err != nil {
		return false, fmt.Errorf("read fill mark: %w", err)
	}
	from := max(filled, end-keep.max())
	if from >= end {
		if err := tx.Rollback(); err != nil {
			return true, fmt.Errorf("end transaction: %w", err)
		}
		return true, nil
	}
	to := min(from+batchBuckets, end)
	if err := writeBuckets(ctx, tx, from, to, end, keep); err != nil {
		return false, fmt.Errorf("write buckets %d to %d: %w", from, to, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit buckets %d to %d: %w", from, to, err)
	}
	return to >= end, nil
}

func writeBuckets(ctx context.Context, tx *sql.Tx, from, to, end int64, keep retention) error {
	cutoff := bucketStart(to)
	rows := newBatchRows()
	for b := from; b < to; b++ {
		rows.addBucket(b, end, cutoff, keep)
	}
	if err := rows.write(ctx, tx); err != nil {
		return err
	}
	if err := closeTickets(ctx, tx, cutoff); err != nil {
		return err
	}
	for _, p := range keep.prune() {
		if _, err := tx.ExecContext(ctx, p.sql, bucketStart(to-p.keep)); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE demo_meta SET value = ? WHERE key = ?`, to, metaFilled); err != nil {
		return fmt.Errorf("update demo_meta: %w", err)
	}
	return nil
}

// closeTickets closes the open tickets whose resolution time has come by cutoff.
func closeTickets(ctx context.Context, tx *sql.Tx, cutoff int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM tickets WHERE closed_ts IS NULL`)
	if err != nil {
		return fmt.Errorf("query open tickets: %w", err)
	}
	var due []ticket
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("scan open ticket: %w", err)
		}
		if t, ok := genTicket(id); ok && t.closes < cutoff {
			due = append(due, t)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("query open tickets: %w", err)
	}
	for _, t := range due {
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET closed_ts = ?, csat = ? WHERE id = ?`, t.closes, csatValue(t), t.id); err != nil {
			return fmt.Errorf("close ticket: %w", err)
		}
	}
	return nil
}

func csatValue(t ticket) any {
	if t.csat == 0 {
		return nil
	}
	return t.csat
}
