// Package reliability holds only tests: faults injected into real MariaDB and
// PostgreSQL servers under a running collector, bad rows on every engine,
// bad reloads under concurrent scrapes, and the security properties (no
// secret in any output, read-only queries, protected web endpoints). It owns
// no production code and nothing imports it.
package reliability
