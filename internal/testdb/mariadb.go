package testdb

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the driver the exporter uses
)

// StartMariaDB starts a private MariaDB server for the test and stops it when
// the test ends. Root has no password on it; use UserDSN for a real user.
func StartMariaDB(t testing.TB) *Server {
	t.Helper()
	s, err := startMariaDB(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func startMariaDB(t testing.TB) (*Server, error) {
	mariadbd := RequireBinary(t, "mariadbd", "mariadb-server")
	installDB := RequireBinary(t, "mariadb-install-db", "mariadb-server")
	// A short directory: the socket path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "kpi-mdb-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	// A private tmpdir: in the shared /tmp, the bootstrap's temporary tables
	// were seen to vanish under concurrent test runs ("Error on delete of
	// '/tmp/#sql-temptable-...'").
	install := exec.Command(installDB, "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", "--tmpdir="+dir)
	if err := run(install); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Engine: MariaDB, Host: "127.0.0.1", Port: port, Dir: dir, logPath: filepath.Join(dir, "server.log")}
	s.startFn = func() (*exec.Cmd, error) {
		return exec.Command(mariadbd, "--no-defaults", "--datadir="+data, "--user=root",
			"--socket="+filepath.Join(dir, "sock"), "--pid-file="+filepath.Join(dir, "pid"),
			"--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve", "--tmpdir="+dir,
			"--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--skip-log-bin",
			"--max-connections=200", "--performance-schema=OFF", "--log-error="+s.logPath), nil
	}
	if err := s.launch(); err != nil {
		return nil, err
	}
	// Root exists only as root@localhost, which TCP connections do not match
	// under skip-name-resolve: add root@127.0.0.1 through the socket first.
	if err := s.waitTCP(60 * time.Second); err != nil {
		s.Kill()
		return nil, err
	}
	client := RequireBinary(t, "mariadb", "mariadb-client")
	grant := func() error {
		return run(exec.Command(client, "--no-defaults", "--socket="+filepath.Join(dir, "sock"), "-uroot", "-e",
			"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"))
	}
	// The socket may refuse connections for a moment after the TCP port
	// accepts them (bound but not yet listening, seen on a loaded machine
	// as ERROR 2002 ... (111)): retry while the server runs.
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := grant()
		if err == nil {
			break
		}
		if !s.Running() || time.Now().After(deadline) {
			s.Kill()
			return nil, fmt.Errorf("%w; server log:\n%s", err, s.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := s.waitReady(); err != nil {
		s.Kill()
		return nil, err
	}
	return s, nil
}

// CreateUser creates a user with a password and the given privileges on
// database db (for example "SELECT" or "ALL").
func (s *Server) CreateUser(t testing.TB, user, password, db, privileges string) {
	t.Helper()
	if s.Engine == MariaDB {
		s.Exec(t, "",
			"CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY '"+sqlQuote(password)+"'",
			"GRANT "+privileges+" ON `"+db+"`.* TO '"+user+"'@'127.0.0.1'")
		return
	}
	s.Exec(t, "postgres", "CREATE ROLE "+user+" LOGIN PASSWORD '"+sqlQuote(password)+"'",
		"GRANT CONNECT ON DATABASE "+db+" TO "+user)
	switch privileges {
	case "ALL":
		s.Exec(t, db, "GRANT ALL ON SCHEMA public TO "+user, "GRANT ALL ON ALL TABLES IN SCHEMA public TO "+user)
	default:
		s.Exec(t, db, "GRANT USAGE ON SCHEMA public TO "+user, "GRANT "+privileges+" ON ALL TABLES IN SCHEMA public TO "+user)
	}
}

func sqlQuote(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, s[i])
		}
		out = append(out, s[i])
	}
	return string(out)
}
