// Package catalog owns the KPI catalog: its YAML format, the strict loader that
// turns one or more files into a validated, immutable model, and the facts that
// every consumer must agree on (exported metric names, units, definition hashes).
// It must not run queries, serve HTTP or write generated files: the collector,
// rules, dashboards and governance packages read this model and never change it.
package catalog
