package testdb

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ChinookDir returns ../shared/datasets/chinook beside the repository root
// (the directory holding go.mod), where the Chinook sample database is kept.
// It is loaded at test time and never copied into the repository.
func ChinookDir(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "datasets", "chinook")
	if _, err := os.Stat(filepath.Join(dir, "LICENSE.md")); err != nil {
		msg := "the Chinook data set is missing at " + dir + " (it ships beside the repository as ../shared)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// RepoRoot walks up from the working directory to the directory with go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ChinookSQLite returns the path of the Chinook SQLite file (read-only; copy
// it before writing).
func ChinookSQLite(t testing.TB) string {
	return filepath.Join(ChinookDir(t), "Chinook_Sqlite.sqlite")
}

// LoadChinook loads the Chinook database into the server with the engine's
// own command-line client and returns the database name: Chinook on MariaDB
// (tables Invoice, Customer, ...), chinook on PostgreSQL (tables invoice,
// customer, ... with snake_case columns such as billing_country).
func (s *Server) LoadChinook(t testing.TB) string {
	t.Helper()
	dir := ChinookDir(t)
	switch s.Engine {
	case MariaDB:
		client := RequireBinary(t, "mariadb", "mariadb-client")
		f, err := os.Open(filepath.Join(dir, "Chinook_MySql.sql"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(client, "--no-defaults", "--protocol=tcp", "-h", s.Host, "-P", itoa(s.Port), "-uroot", "--default-character-set=utf8mb4")
		cmd.Stdin = f
		if err := run(cmd); err != nil {
			t.Fatal(err)
		}
		return "Chinook"
	default:
		psql := RequireBinary(t, "psql", "postgresql-client")
		cmd := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", s.Host, "-p", itoa(s.Port), "-U", "postgres", "-d", "postgres",
			"-f", filepath.Join(dir, "Chinook_PostgreSql.sql"))
		if err := run(cmd); err != nil {
			t.Fatal(err)
		}
		return "chinook"
	}
}
