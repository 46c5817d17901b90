package demo

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Grow appends the rows that fall due, every `every`, until ctx is done. It
// blocks. Errors are logged and retried at the next tick; after every write
// the data is consistent with its last complete minute.
func Grow(ctx context.Context, path string, every time.Duration, now func() time.Time, logger *slog.Logger) {
	grow(ctx, path, every, now, logger, defaultRetention())
}

func grow(ctx context.Context, path string, every time.Duration, now func() time.Time, logger *slog.Logger, keep retention) {
	db, err := open(path)
	if err != nil {
		logger.Error("demo database will not grow", "path", path, "err", err)
		return
	}
	defer db.Close()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := topUp(ctx, db, now(), keep); err != nil && ctx.Err() == nil {
			logger.Error("grow demo database", "path", path, "err", err)
		}
	}
}

// topUp writes the buckets that have ended by now.
func topUp(ctx context.Context, db *sql.DB, now time.Time, keep retention) error {
	state, err := readState(ctx, db)
	if err != nil {
		return err
	}
	if state != stateDemo {
		return fmt.Errorf("top up: %w (schema version %d expected)", ErrNotDemo, schemaVersion)
	}
	return fill(ctx, db, endBucket(now.Unix()), keep)
}
