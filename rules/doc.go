// Package rules turns a catalog into what Prometheus and Alertmanager need to
// watch it: recording and alerting rules, promtool unit tests that prove them,
// an Alertmanager routing tree and, optionally, a PrometheusRule resource.
//
// Every function here is pure: catalog in, typed values or bytes out. Nothing
// in this package touches the file system; package output writes the files.
// PromQL's calendar functions work in UTC, so period pacing is UTC; a KPI that
// needs a business calendar should do its period-to-date sum in its SQL.
package rules
