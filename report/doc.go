// Package report owns the review of a closed period: it gathers a catalog's
// recorded series from a Prometheus server's HTTP API, computes per team and
// KPI what was reached against the target and why, and renders the review as
// HTML for mail and Markdown for a wiki. Gathering is one layer behind the
// Querier interface; Compute and the renderers are pure. It never writes the
// catalog and knows nothing of flags or files.
package report
