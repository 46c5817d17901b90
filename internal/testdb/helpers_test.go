package testdb

import (
	"database/sql"
	"strings"
	"testing"
)

func quoteIdent(s *Server, name string) string {
	if s.Engine == MariaDB {
		return "`" + name + "`"
	}
	return strings.ToLower(name)
}

func openDSN(t *testing.T, s *Server, dsn string) *sql.DB {
	db, err := sql.Open(s.driver(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
