// Package demo owns the built-in SQLite demo database behind config.example.yaml:
// its schema, its deterministic data (every row a pure function of a one-minute
// time bucket) and the writer that creates it and keeps it growing with time.
// It must not know about the catalog, the collector or Prometheus; the serve
// command decides when to call Prepare and Grow.
package demo
