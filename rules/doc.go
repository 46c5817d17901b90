// Package rules turns a catalog into what Prometheus and Alertmanager need to
// watch it: recording and alerting rules, promtool unit tests that prove them,
// an Alertmanager routing tree and, optionally, a PrometheusRule resource.
//
// Generate is pure: catalog in, rulefmt groups, promtool test files and the
// Alertmanager configuration out, as values. Nothing in this package touches
// the file system; package output encodes and writes the files.
// PromQL's calendar functions work in UTC, so period pacing is UTC; a KPI that
// needs a business calendar should do its period-to-date sum in its SQL.
package rules
