// Package rules turns a catalog into what Prometheus and Alertmanager need to
// watch it: recording and alerting rules, promtool unit tests that prove them,
// an Alertmanager routing tree and, optionally, a PrometheusRule resource.
//
// Generate is pure: catalog in, rulefmt groups, promtool test files and the
// Alertmanager configuration out, as values. Nothing in this package touches
// the file system; package output encodes and writes the files.
// Periods are counted in each KPI's business calendar: the rules read the
// period bounds and working-time shares the exporter serves, never PromQL's
// UTC calendar functions.
package rules
