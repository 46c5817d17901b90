package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	_ "github.com/go-sql-driver/mysql" // the driver both exporters use

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// env is what every step shares: the options, a work directory, the
// database and the two binaries.
type env struct {
	opts   Options
	dir    string
	db     *sql.DB
	dsn    string // go-sql-driver form, database bench
	bins   binaries
	client *http.Client
}

func (e *env) progressf(format string, args ...any) {
	fmt.Fprintf(e.opts.Progress, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// Run starts a private MariaDB, measures every step and returns the report.
// A step that fails is named in Report.Failures and the others still run;
// the error is for what every step needs (the database, the binaries).
func Run(ctx context.Context, opts Options) (*Report, error) {
	started := time.Now()
	e := &env{opts: opts.withDefaults(), client: newClient()}
	dir := e.opts.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "kpi-bench-")
		if err != nil {
			return nil, fmt.Errorf("work dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	e.dir = dir
	if err := e.findBinaries(ctx); err != nil {
		return nil, err
	}

	e.progressf("starting a private MariaDB")
	var st testdb.Standalone
	defer st.Close()
	srv, err := st.StartMariaDB()
	if err != nil {
		return nil, fmt.Errorf("start MariaDB: %w", err)
	}
	admin, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		return nil, fmt.Errorf("open MariaDB: %w", err)
	}
	_, err = admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS bench")
	admin.Close()
	if err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	e.dsn = srv.DSN("bench")
	if e.db, err = sql.Open("mysql", e.dsn); err != nil {
		return nil, fmt.Errorf("open MariaDB: %w", err)
	}
	defer e.db.Close()
	e.db.SetMaxOpenConns(2)

	r := &Report{Machine: describeMachine(ctx, e.db, e.bins)}
	fail := func(step string, err error) {
		r.Failures = append(r.Failures, fmt.Sprintf("%s failed: %v", step, err))
		e.progressf("%s failed: %v", step, err)
	}
	skip := func(step string) bool { return slices.Contains(e.opts.Skip, step) }
	for _, n := range e.opts.Sizes {
		if skip("compare") {
			break
		}
		s, err := e.compareSize(ctx, n)
		if err != nil {
			fail(fmt.Sprintf("comparison at %s series", count(n)), err)
			continue
		}
		r.Sizes = append(r.Sizes, s)
	}
	if !skip("load") {
		if l, err := e.loadTest(ctx); err != nil {
			fail("load test", err)
		} else {
			r.Load = &l
		}
	}
	if !skip("overhead") {
		if o, err := e.overhead(ctx); err != nil {
			fail("collection overhead", err)
		} else {
			r.Overhead = &o
		}
	}
	if !skip("generate") {
		if g, err := e.generate(ctx); err != nil {
			fail("generate", err)
		} else {
			r.Generate = &g
		}
	}
	if !skip("promtool") {
		if p, err := e.promtoolTests(ctx); err != nil {
			fail("promtool", err)
		} else {
			r.Promtool = &p
		}
	}
	r.Elapsed = time.Since(started)
	r.Machine.LoadEnd = loadAvg()
	return r, ctx.Err()
}

// findBinaries builds kpi_exporter from this module unless given one, and
// finds the peer the way the tests find a Debian program.
func (e *env) findBinaries(ctx context.Context) error {
	e.bins.ours = e.opts.Exporter
	if e.bins.ours == "" {
		root, err := testdb.RepoRoot()
		if err != nil {
			return err
		}
		e.bins.ours = filepath.Join(e.dir, "kpi_exporter")
		e.progressf("building kpi_exporter")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", e.bins.ours, "./cmd/kpi_exporter")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build kpi_exporter: %w\n%s", err, out)
		}
	}
	e.bins.peer = e.opts.Peer
	if e.bins.peer == "" {
		p, err := testdb.LookupBinary("prometheus-sql-exporter", "prometheus-sql-exporter")
		if err != nil {
			return err
		}
		e.bins.peer = p
	}
	var err error
	e.bins.serveArgs, err = detectServe(ctx, e.bins.ours)
	return err
}
