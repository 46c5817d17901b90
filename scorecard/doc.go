// Package scorecard judges each KPI series against its target and
// thresholds at one instant: attainment, pacing in the KPI's calendar, and
// a status (ok, warning, critical) that follows the generated alert rules.
// It is a pure function of the catalog and the last collected values; it
// runs no query and renders nothing, and collection health stays apart.
package scorecard
