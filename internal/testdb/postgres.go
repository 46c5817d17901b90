package testdb

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver the exporter uses
)

// StartPostgres starts a private PostgreSQL server for the test and stops it
// when the test ends. The superuser postgres logs in without a password over
// loopback; use CreateUser and UserDSN for a password login.
func StartPostgres(t testing.TB) *Server {
	t.Helper()
	s, err := startPostgres(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func startPostgres(t testing.TB) (*Server, error) {
	initdb := RequireBinary(t, "initdb", "postgresql")
	postgres := RequireBinary(t, "postgres", "postgresql")
	dir, err := os.MkdirTemp("", "kpi-pg-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// PostgreSQL refuses to run as root: run it as the postgres user.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user (Debian package postgresql): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	init := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := run(init); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Engine: Postgres, Host: "127.0.0.1", Port: port, Dir: dir, cred: cred, logPath: filepath.Join(dir, "server.log")}
	s.startFn = func() (*exec.Cmd, error) {
		return exec.Command(postgres, "-D", data, "-p", strconv.Itoa(port), "-h", "127.0.0.1",
			"-k", dir, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=200", "-c", "shared_buffers=32MB",
			"-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all"), nil
	}
	if err := s.launch(); err != nil {
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		s.Kill()
		return nil, err
	}
	return s, nil
}
