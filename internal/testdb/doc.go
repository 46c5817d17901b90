// Package testdb starts real database servers for tests: MariaDB and
// PostgreSQL, each in its own temporary directory on a free loopback port,
// stopped when the test (or the test binary) ends. It never touches a server
// someone left running on the standard ports.
//
// A test that needs a binary this machine lacks fails when the CI environment
// variable is set, naming the Debian package that provides it, and is skipped
// otherwise.
package testdb
