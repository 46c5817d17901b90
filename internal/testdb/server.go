package testdb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Engine names a database server kind.
type Engine string

// The engines this package can start.
const (
	MariaDB  Engine = "mariadb"
	Postgres Engine = "postgres"
)

// Server is one running database server owned by a test.
type Server struct {
	Engine Engine
	Host   string
	Port   int
	// Dir holds the data directory, socket and log.
	Dir string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	startFn func() (*exec.Cmd, error)
	cred    *syscall.Credential
	logPath string
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Log returns what the server wrote to its log, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePort returns a free loopback TCP port.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return p
}

func (s *Server) launch() error {
	cmd, err := s.startFn()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: s.cred}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", s.Engine, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// waitTCP waits until the server accepts TCP connections or exits.
func (s *Server) waitTCP(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !s.Running() {
			return fmt.Errorf("%s exited during start-up; log:\n%s", s.Engine, s.Log())
		}
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not listen on %s within %s; log:\n%s", s.Engine, s.Addr(), timeout, s.Log())
}

// Stop shuts the server down gracefully and waits for it. PostgreSQL gets
// SIGINT, its fast shutdown: SIGTERM is its smart shutdown, which waits for
// every client to disconnect, so with a test's pool still open it ran into
// the SIGKILL fallback, and its backends, each in its own process group,
// outlived the postmaster long enough for the next Start to find their
// shared memory in use.
func (s *Server) Stop() {
	sig := syscall.SIGTERM
	if s.Engine == Postgres {
		sig = syscall.SIGINT
	}
	s.signal(sig, 30*time.Second)
}

// Kill kills the server at once, as a crash would.
func (s *Server) Kill() {
	s.signal(syscall.SIGKILL, 10*time.Second)
}

func (s *Server) signal(sig syscall.Signal, wait time.Duration) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(wait):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
}

// Start starts a stopped server again on the same port and data.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.Running() {
		return
	}
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
	if err := s.waitReady(); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) waitReady() error {
	if err := s.waitTCP(60 * time.Second); err != nil {
		return err
	}
	// Accepting TCP is not the same as accepting queries: ping until it does.
	db, err := sql.Open(s.driver(), s.DSN(s.adminDB()))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || !s.Running() {
			return fmt.Errorf("%s not ready: %w; log:\n%s", s.Engine, err, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) driver() string {
	if s.Engine == MariaDB {
		return "mysql"
	}
	return "pgx"
}

func (s *Server) adminDB() string {
	if s.Engine == MariaDB {
		return ""
	}
	return "postgres"
}

// DSN is an administrator's connection string for database db, in the form
// the project's driver for the engine takes (go-sql-driver/mysql or pgx).
func (s *Server) DSN(db string) string {
	if s.Engine == MariaDB {
		return fmt.Sprintf("root@tcp(%s)/%s", s.Addr(), db)
	}
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", s.Addr(), db)
}

// UserDSN is the connection string of a non-admin user with a password.
func (s *Server) UserDSN(user, password, db string) string {
	if s.Engine == MariaDB {
		return fmt.Sprintf("%s:%s@tcp(%s)/%s", user, password, s.Addr(), db)
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: s.Addr(), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// Open opens an administrator connection to database db and closes it when
// the test ends.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open(s.driver(), s.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Exec runs statements as the administrator in database db.
func (s *Server) Exec(t testing.TB, db string, stmts ...string) {
	t.Helper()
	conn, err := sql.Open(s.driver(), s.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %s: %v", s.Engine, q, err)
		}
	}
}

// CreateDatabase creates an empty database with a unique name and returns
// the name.
func (s *Server) CreateDatabase(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", prefix, dbSeq.Add(1))
	s.Exec(t, s.adminDB(), "CREATE DATABASE "+name)
	return name
}

// dbSeq numbers created databases; names stay unique within a test binary.
var dbSeq atomic.Int64

func run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(cmd.Path), err, out.String())
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
