// Package bench measures kpi_exporter against a peer, Debian's
// prometheus-sql-exporter, on the same private MariaDB and the same query:
// scrape time, memory, load on the database, collection overhead and
// generator cost. It drives real binaries and real servers and only
// measures; it never judges speed inside a unit test (see bench/README.md).
package bench
