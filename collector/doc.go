// Package collector runs each KPI's SQL on its own schedule against its
// source, read-only and under a timeout, converts the rows to series and keeps
// one encoded snapshot per KPI that /metrics serves without touching a
// database. It reads the catalog model and never changes it; it does not load
// files, parse flags or generate rules.
package collector
