package testdb

import (
	"os"
	"strings"
	"testing"
)

// Outside a test, a server starts as in the tests, answers queries, and
// Close stops it and removes its directory.
func TestStandaloneStartsAndCleansUp(t *testing.T) {
	RequireBinary(t, "mariadbd", "mariadb-server")
	var st Standalone
	s, err := st.StartMariaDB()
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	conn := s.Open(t, "")
	var one int
	if err := conn.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	conn.Close()
	st.Close()
	if s.Running() {
		t.Fatal("server still running after Close")
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s left behind: %v", s.Dir, err)
	}
}

func TestLookupBinaryNamesTheMissingPackage(t *testing.T) {
	_, err := LookupBinary("no-such-program-kpi", "no-such-package")
	if err == nil || !strings.Contains(err.Error(), "no-such-package") {
		t.Fatalf("err = %v, want one naming the Debian package", err)
	}
}
