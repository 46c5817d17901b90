// Package e2e proves the product's promise with the real stack: a change in a
// MariaDB table reaches the owning team's webhook and inbox through the
// kpi_exporter binary, Debian's Prometheus running the generated rules, and
// Debian's Alertmanager running the generated routing tree. It holds tests
// only; nothing here is a stand-in for those servers.
package e2e
