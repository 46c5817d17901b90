// Package governance keeps the KPI catalog trustworthy in review: it lints a
// catalog, judges a dry run of its queries, compares two versions of it, and
// renders the KPI dictionary. Everything here is a pure function of the
// catalog model (and of query results handed in); it must not open databases,
// read flags or write files: cmd/kpi_exporter does that.
package governance
