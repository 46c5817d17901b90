package testdb

import (
	"testing"
)

// The harness itself: each engine starts, answers queries as root and as a
// password user, survives a restart, and loads Chinook.
func TestEngines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *Server
	}{
		{"mariadb", StartMariaDB},
		{"postgres", StartPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t)
			db := s.LoadChinook(t)
			var n int
			if err := s.Open(t, db).QueryRow(`SELECT COUNT(*) FROM ` + quoteIdent(s, "Invoice")).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 412 {
				t.Fatalf("Chinook has %d invoices, want 412", n)
			}
			pw := "p@ss#w:rd/x"
			s.CreateUser(t, "reader", pw, db, "SELECT")
			conn := openDSN(t, s, s.UserDSN("reader", pw, db))
			if err := conn.Ping(); err != nil {
				t.Fatalf("password login: %v", err)
			}
			s.Stop()
			if s.Running() {
				t.Fatal("still running after Stop")
			}
			s.Start(t)
			if err := s.Open(t, db).QueryRow(`SELECT COUNT(*) FROM ` + quoteIdent(s, "Invoice")).Scan(&n); err != nil {
				t.Fatalf("after restart: %v", err)
			}
		})
	}
}
