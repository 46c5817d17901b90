// Package i18n holds every sentence the generators write for people (alert
// annotations, dashboards, the KPI dictionary) in each catalog language, and
// renders numbers the way each language writes them. It reads the catalog
// model and writes nothing; machine-read names never pass through it.
package i18n
