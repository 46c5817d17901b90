package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Prepare creates and fills the demo database at path when it is missing, or
// tops it up to now when it exists. A missing database is built under a
// temporary name and renamed into place, so a reader never sees it half
// filled. A demo database of another schema version is rebuilt; a database
// the demo did not create is left alone and ErrNotDemo returned.
func Prepare(ctx context.Context, path string, now time.Time) error {
	return prepare(ctx, path, now, defaultRetention())
}

func prepare(ctx context.Context, path string, now time.Time, keep retention) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return create(ctx, path, now, keep)
	} else if err != nil {
		return fmt.Errorf("demo database: %w", err)
	}
	db, err := open(path)
	if err != nil {
		return err
	}
	state, err := readState(ctx, db)
	if err != nil {
		return errors.Join(fmt.Errorf("demo database %q: %w", path, err), db.Close())
	}
	if state == stateStale {
		if err := db.Close(); err != nil {
			return fmt.Errorf("close demo database %q: %w", path, err)
		}
		if err := removeDB(path); err != nil {
			return err
		}
		return create(ctx, path, now, keep)
	}
	if state == stateEmpty {
		if err = initSchema(ctx, db); err == nil {
			err = switchToWAL(ctx, db)
		}
	}
	if err == nil {
		err = fill(ctx, db, endBucket(now.Unix()), keep)
	}
	if err != nil {
		err = fmt.Errorf("fill demo database %q: %w", path, err)
	}
	return errors.Join(err, db.Close())
}

// create builds the database at a temporary path and renames it into place.
func create(ctx context.Context, path string, now time.Time, keep retention) (err error) {
	tmp := path + ".tmp"
	if err := removeDB(tmp); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeDB(tmp))
		}
	}()
	db, err := openBulk(tmp)
	if err != nil {
		return err
	}
	err = initSchema(ctx, db)
	if err == nil {
		err = fill(ctx, db, endBucket(now.Unix()), keep)
	}
	if err == nil {
		err = switchToWAL(ctx, db)
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := errors.Join(err, db.Close()); err != nil {
		return fmt.Errorf("create demo database %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("create demo database: %w", err)
	}
	return nil
}

// removeDB removes a database file and its WAL and shared-memory files.
func removeDB(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove demo database: %w", err))
		}
	}
	return errors.Join(errs...)
}
