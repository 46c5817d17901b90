package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// epoch is an ordinary moment: a Friday afternoon late in a month.
var epoch = time.Date(2026, 11, 27, 13, 40, 17, 0, time.UTC)

// compact keeps hours instead of weeks, so that the tests of how the data is
// written and grown run in milliseconds even under -race; it spans two write
// batches. The KPI tests and one top-up test use the full retention.
var compact = retention{long: 2*day + 17, week: 6 * 60, day: 90}

// prepared creates a fresh compact demo database at now and returns its path.
func prepared(t testing.TB, now time.Time) string {
	t.Helper()
	return preparedWith(t, now, compact)
}

func preparedWith(t testing.TB, now time.Time, keep retention) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.db")
	if err := prepare(context.Background(), path, now, keep); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return path
}

func openRead(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// dumpTables are every table of the schema, with a total order of their rows.
var dumpTables = []string{
	"demo_meta ORDER BY key",
	"orders ORDER BY ts, region, status, amount",
	"sales_budgets ORDER BY region",
	"sessions ORDER BY ts, channel, converted",
	"production_runs ORDER BY ts, line, units, passed_first, defects",
	"deliveries ORDER BY delivered_ts, plant, promised_ts",
	"line_capacity ORDER BY line",
	"tickets ORDER BY id",
	"subscriptions ORDER BY due_ts, region, renewed",
}

// dump renders every row of the database as text.
func dump(t testing.TB, path string) string {
	t.Helper()
	db := openRead(t, path)
	var b strings.Builder
	for _, table := range dumpTables {
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(&b, "== %s\n", table)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
	return b.String()
}

func journalMode(t testing.TB, path string) string {
	t.Helper()
	var mode string
	if err := openRead(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

func count(t testing.TB, path, table string) int {
	t.Helper()
	var n int
	if err := openRead(t, path).QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestPrepareIsDeterministic(t *testing.T) {
	a, b := dump(t, prepared(t, epoch)), dump(t, prepared(t, epoch))
	if a != b {
		t.Fatal("two databases created at the same time differ")
	}
	if later := dump(t, prepared(t, epoch.Add(time.Minute))); later == a {
		t.Fatal("a database created a minute later is identical: the data does not grow")
	}
}

func TestTopUpEqualsFromScratch(t *testing.T) {
	for _, step := range []struct {
		name  string
		after time.Duration
	}{
		{"same moment again changes nothing", 0},
		{"seconds later within the same minute", 30 * time.Second},
		{"one minute later", time.Minute},
		{"hours later: tickets close", 7 * time.Hour},
		{"across a month boundary", 5 * 24 * time.Hour},
		{"after a gap longer than every retention", 60 * 24 * time.Hour},
	} {
		t.Run(step.name, func(t *testing.T) {
			path := prepared(t, epoch)
			now := epoch.Add(step.after)
			if err := prepare(context.Background(), path, now, compact); err != nil {
				t.Fatalf("top up: %v", err)
			}
			if got, want := dump(t, path), dump(t, prepared(t, now)); got != want {
				t.Fatalf("topped-up database differs from one created at %s", now)
			}
		})
	}
}

func TestConcurrentWritersWriteEachMinuteOnce(t *testing.T) {
	path := prepared(t, epoch)
	later := epoch.Add(5 * time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = prepare(context.Background(), path, later.Add(time.Duration(i)*time.Second), compact)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(t, path), dump(t, prepared(t, later)); got != want {
		t.Fatal("database topped up by concurrent writers differs from one created from scratch")
	}
}

func TestPrepareExistingFiles(t *testing.T) {
	t.Run("a database the demo did not create is refused and left alone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "business.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := prepare(context.Background(), path, epoch, compact); !errors.Is(err, ErrNotDemo) {
			t.Fatalf("Prepare = %v, want ErrNotDemo", err)
		}
		if n := count(t, path, "orders"); n != 1 {
			t.Fatalf("orders has %d rows, want the 1 it had", n)
		}
		if mode := journalMode(t, path); mode != "delete" {
			t.Fatalf("journal_mode = %q, want the default delete it had", mode)
		}
	})
	t.Run("an empty file is filled in place", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := prepare(context.Background(), path, epoch, compact); err != nil {
			t.Fatalf("prepare: %v", err)
		}
		if got, want := dump(t, path), dump(t, prepared(t, epoch)); got != want {
			t.Fatal("filled empty file differs from a fresh database")
		}
		if mode := journalMode(t, path); mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})
	t.Run("a demo database of another schema version is rebuilt", func(t *testing.T) {
		path := prepared(t, epoch.Add(-time.Hour))
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE demo_meta SET value = 0 WHERE key = ?; DELETE FROM orders", metaVersion); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := prepare(context.Background(), path, epoch, compact); err != nil {
			t.Fatalf("prepare: %v", err)
		}
		if got, want := dump(t, path), dump(t, prepared(t, epoch)); got != want {
			t.Fatal("rebuilt database differs from a fresh database")
		}
	})
	t.Run("a new database is in WAL mode, so the exporter reads while Grow writes", func(t *testing.T) {
		if mode := journalMode(t, prepared(t, epoch)); mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})
	t.Run("no temporary file is left behind", func(t *testing.T) {
		path := prepared(t, epoch)
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "demo.db" {
				t.Errorf("left behind: %s", e.Name())
			}
		}
	})
}

// fakeClock advances by step on every reading.
type fakeClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func filledUntil(t testing.TB, path string) int64 {
	t.Helper()
	var filled int64
	if err := openRead(t, path).QueryRow("SELECT value FROM demo_meta WHERE key = ?", metaFilled).Scan(&filled); err != nil {
		t.Fatal(err)
	}
	return filled
}

func TestGrow(t *testing.T) {
	path := prepared(t, epoch)
	before := filledUntil(t, path)
	runsBefore := dump(t, path)
	clock := &fakeClock{now: epoch, step: 3 * time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		grow(ctx, path, time.Millisecond, clock.Now, slog.New(slog.DiscardHandler), compact)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for filledUntil(t, path) < before+30 {
		if time.Now().After(deadline) {
			t.Fatal("Grow did not add 30 simulated minutes within 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done

	got := dump(t, path)
	if got == runsBefore {
		t.Fatal("Grow changed no row")
	}
	filled := filledUntil(t, path)
	if want := dump(t, prepared(t, time.Unix(bucketStart(filled), 0))); got != want {
		t.Fatal("grown database differs from one created at its last complete minute")
	}
}

func TestGrowStopsWithItsContext(t *testing.T) {
	path := prepared(t, epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	Grow(ctx, path, time.Hour, time.Now, slog.New(slog.DiscardHandler)) // returns, or the test times out
}

func TestGrowLogsWhenItCannotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "business.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE orders (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var logs testproc.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Grow(ctx, path, time.Millisecond, time.Now, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), ErrNotDemo.Error()) {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged; logs: %q", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func BenchmarkPrepare(b *testing.B) {
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "demo.db")
		if err := Prepare(context.Background(), path, epoch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTopUpOneMinute(b *testing.B) {
	path := preparedWith(b, epoch, defaultRetention())
	now := epoch
	for b.Loop() {
		now = now.Add(time.Minute)
		if err := Prepare(context.Background(), path, now); err != nil {
			b.Fatal(err)
		}
	}
}
