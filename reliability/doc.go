// Package reliability holds only tests: faults injected into real MariaDB and
// PostgreSQL servers under a running collector, bad rows on every engine,
// bad reloads under concurrent scrapes, and the security properties (no
// secret in any output, read-only queries, protected web endpoints). It owns
// no production code and nothing imports it.
//
// Sizes for longer runs by hand: RELIABILITY_CYCLES (default 200),
// RELIABILITY_RESTARTS (3), RELIABILITY_RELOAD_DURATION (30s);
// RELIABILITY_SHOW=1 prints everything the secrets test searched. The soak
// (make soak) builds only with -tags soak.
package reliability
