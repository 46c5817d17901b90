package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Control is a reconciliation: a second query, on the KPI's source or
// another, that should return the KPI's value for each label set, such as
// the ERP's ledger against the warehouse's order table. The exporter runs it
// on its own interval and exports the control value and the difference; the
// rules alert when the two drift apart by more than the tolerance.
type Control struct {
	// Source runs SQL; it defaults to the KPI's source.
	Source string `yaml:"source"`
	SQL    string `yaml:"sql"`
	// Labels are SQL's label columns: the KPI's, in any order (default: the
	// KPI's labels).
	Labels []string `yaml:"labels"`
	// Value is SQL's value column (default: the KPI's value column).
	Value     string    `yaml:"value"`
	Tolerance Tolerance `yaml:"tolerance"`
	// Interval and Timeout default to the KPI's (the timeout at most the
	// control's interval).
	Interval Duration `yaml:"interval"`
	Timeout  Duration `yaml:"timeout"`
	// For is how long the two must disagree beyond the tolerance before the
	// alert fires (default: ControlForDefault).
	For Duration `yaml:"for"`

	query *KPI // see KPI.ControlQuery
}

// Tolerance is how far a KPI may be from its control: an absolute amount in
// the KPI's unit, or a share of the control value (0.01 for 1 %). Exactly
// one is given.
type Tolerance struct {
	Absolute *float64 `yaml:"absolute"`
	Relative *float64 `yaml:"relative"`
}

// String renders the tolerance for documents: "±100" or "±1%".
func (t Tolerance) String() string {
	switch {
	case t.Absolute != nil:
		return "±" + formatFloat(*t.Absolute)
	case t.Relative != nil:
		return "±" + formatFloat(*t.Relative*100) + "%"
	}
	return ""
}

// ToleranceText renders the KPI's control tolerance for people: "±100 EUR"
// (in the KPI's currency when it has one) or "±1% of the control".
func (k *KPI) ToleranceText() string {
	if k.Control == nil {
		return ""
	}
	tol := k.Control.Tolerance
	switch {
	case tol.Relative != nil:
		return tol.String() + " of the control"
	case k.Unit == UnitCurrency:
		return tol.String() + " " + k.Currency
	}
	return tol.String()
}

// Names of the control's series, rules and alert.
const (
	// OpControl and OpControlDifference are the recording-rule operations
	// of the de-duplicated control value and difference.
	OpControl           = "control"
	OpControlDifference = "control_difference"
	// AlertControlMismatch fires when a KPI and its control disagree
	// beyond the tolerance.
	AlertControlMismatch = "KPIControlMismatch"
	// AlertControlErrors fires when running the control keeps failing, so
	// that a broken control does not silently stop reconciling.
	AlertControlErrors = "KPIControlErrors"
	// SelfControlUp, SelfControlLastSuccess and SelfControlErrors are the
	// exporter's view of each control query, by kpi (and reason).
	SelfControlUp          = "kpi_exporter_control_up"
	SelfControlLastSuccess = "kpi_exporter_control_last_success_timestamp_seconds"
	SelfControlErrors      = "kpi_exporter_control_errors_total"
	// SelfCompareUp, SelfCompareLastSuccess and SelfCompareErrors are the
	// exporter's view of each comparison (the KPI's SQL over an earlier
	// period), by kpi and compare (and reason).
	SelfCompareUp          = "kpi_exporter_compare_up"
	SelfCompareLastSuccess = "kpi_exporter_compare_last_success_timestamp_seconds"
	SelfCompareErrors      = "kpi_exporter_compare_errors_total"
	// LabelCompare names the earlier period of a comparison's self-metrics.
	LabelCompare = "compare"
)

// ControlMetricName is the exported gauge of the control value, with the
// KPI's labels, such as kpi_revenue_mtd_control_eur.
func (k *KPI) ControlMetricName() string {
	return k.withSuffix(MetricPrefix + k.baseName() + "_control")
}

// ControlDifferenceMetricName is the exported gauge of the KPI's value minus
// the control value, such as kpi_revenue_mtd_control_difference_eur.
func (k *KPI) ControlDifferenceMetricName() string {
	return k.withSuffix(MetricPrefix + k.baseName() + "_control_difference")
}

// controlMetricNames are the series the KPI's control exports, if any.
func (k *KPI) controlMetricNames() []string {
	if k.Control == nil {
		return nil
	}
	return []string{k.ControlMetricName(), k.ControlDifferenceMetricName()}
}

// ControlQuery is the control seen as a KPI of its own, for the collector
// and check to run as they run any KPI: the KPI's name, labels, period and
// calendar with the control's source, SQL, value column, interval and
// timeout, and neither target nor comparisons. Nil without a control.
func (k *KPI) ControlQuery() *KPI {
	if k.Control == nil {
		return nil
	}
	return k.Control.query
}

// ControlForDefault is how long a KPI and its control must disagree before the
// alert fires when the control sets no for: until the slower of the two
// queries has run again, and a scrape has seen it, so that rows committed
// between the two queries do not page anybody.
func ControlForDefault(k *KPI, scrape Duration) Duration {
	return max(k.Interval, k.Control.Interval) + scrape
}

func setControlDefaults(c *Catalog, k *KPI) {
	ct := k.Control
	if ct == nil {
		return
	}
	setIfZero(&ct.Source, k.Source)
	setIfZero(&ct.Value, k.Value)
	if ct.Labels == nil {
		ct.Labels = k.Labels
	}
	setIfZero(&ct.Interval, k.Interval)
	if ct.Timeout == 0 {
		ct.Timeout = min(k.Timeout, ct.Interval)
	}
	setIfZero(&ct.For, ControlForDefault(k, c.Alerting.ScrapeInterval))
	q := *k
	q.Source, q.SQL, q.Value = ct.Source, ct.SQL, ct.Value
	q.Interval, q.Timeout, q.MaxAge = ct.Interval, ct.Timeout, ct.Interval+k.MaxAge
	q.Target, q.Thresholds, q.Compare, q.Anomaly, q.Control = nil, nil, nil, nil, nil
	ct.query = &q
}

func (l *loader) validateControl(k *KPI, path string) {
	ct := k.Control
	if ct == nil {
		return
	}
	p, file := path+".control", k.file
	if strings.TrimSpace(ct.SQL) == "" {
		l.errAt(file, p+".sql", "sql is required: the query whose value the KPI must match")
	}
	src := l.sources[ct.Source]
	if src == nil && ct.Source != "" && ct.Source != k.Source {
		l.errAt(file, p+".source", "unknown source %q%s", ct.Source, didYouMean(ct.Source, sortedKeys(l.sources)))
	}
	if src != nil && ct.SQL != "" {
		l.gateSQL(file, p+".sql", ct.SQL, src)
		l.checkParams(file, p+".sql", ct.SQL, src, k.Period)
	}
	if !sameSet(ct.Labels, k.Labels) {
		l.errAt(file, p+".labels", "labels %s differ from the KPI's labels %s: the control is compared per label set, so its SQL must return the KPI's label columns", listOf(ct.Labels), listOf(k.Labels))
	}
	l.checkColumn(file, p+".value", ct.Value)
	if slices.Contains(k.Labels, ct.Value) {
		l.errAt(file, p+".value", "column %q is also a label", ct.Value)
	}
	tol := ct.Tolerance
	switch {
	case tol.Absolute == nil && tol.Relative == nil:
		l.errAt(file, p+".tolerance", "tolerance is required: absolute (in the KPI's unit) or relative (a share of the control, 0.01 for 1%%)")
	case tol.Absolute != nil && tol.Relative != nil:
		l.errAt(file, p+".tolerance", "give an absolute or a relative tolerance, not both")
	case tol.Absolute != nil && *tol.Absolute < 0:
		l.errAt(file, p+".tolerance.absolute", "must not be negative, got %s", formatFloat(*tol.Absolute))
	case tol.Relative != nil && *tol.Relative < 0:
		l.errAt(file, p+".tolerance.relative", "must not be negative, got %s", formatFloat(*tol.Relative))
	}
	if ct.Timeout > ct.Interval {
		l.errAt(file, p+".timeout", "timeout %s is longer than the interval %s", ct.Timeout, ct.Interval)
	}
}

// sameSet reports whether a and b hold the same names, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b)) && len(a) == len(b)
}

func listOf(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	return fmt.Sprintf("[%s]", strings.Join(s, ", "))
}
