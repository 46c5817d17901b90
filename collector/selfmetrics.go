package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// selfMetrics reports the state of every source and KPI at scrape time.
type selfMetrics struct {
	c *Collector

	sourceUp, kpiUp, lastSuccess, lastDuration, series, stale, runs, errs, kpis, info *prometheus.Desc
	// controlUp, controlLast and controlErrs are the same for control queries.
	controlUp, controlLast, controlErrs *prometheus.Desc
	// compareUp, compareLast and compareErrs are the same for comparisons.
	compareUp, compareLast, compareErrs *prometheus.Desc
}

func newSelfMetrics(c *Collector) *selfMetrics {
	kpi := []string{catalog.LabelKPI}
	compare := []string{catalog.LabelKPI, catalog.LabelCompare}
	return &selfMetrics{
		c:            c,
		sourceUp:     prometheus.NewDesc(catalog.SelfSourceUp, "Whether the last attempt to reach the source succeeded (1) or not (0).", []string{catalog.LabelSource}, nil),
		kpiUp:        prometheus.NewDesc(catalog.SelfKPIUp, "Whether the KPI's last run succeeded (1) or not (0).", kpi, nil),
		lastSuccess:  prometheus.NewDesc(catalog.SelfLastSuccess, "Unix time of the KPI's last successful run (0 before the first).", kpi, nil),
		lastDuration: prometheus.NewDesc(catalog.SelfLastDuration, "Duration of the KPI's last run, successful or not.", kpi, nil),
		series:       prometheus.NewDesc(catalog.SelfSeries, "Series the KPI's last successful run exported.", kpi, nil),
		stale:        prometheus.NewDesc(catalog.SelfStale, "Whether the KPI's values are withheld (1) because its last success is older than its max_age.", kpi, nil),
		runs:         prometheus.NewDesc(catalog.SelfRuns, "Runs of the KPI's SQL.", kpi, nil),
		errs:         prometheus.NewDesc(catalog.SelfErrors, "Failed runs of the KPI (timeout, connection, query, scan, target) and rows it skipped (null, type, duplicate, cardinality, invalid_label), by reason.", []string{catalog.LabelKPI, catalog.LabelReason}, nil),
		kpis:         prometheus.NewDesc(catalog.SelfCatalogKPIs, "KPIs in the running catalog.", nil, nil),
		info: prometheus.NewDesc(catalog.InfoMetric, "Metadata of each KPI; definition_hash changes when what decides its numbers changes, and the change_ labels hold its latest change-log entry.",
			append([]string{catalog.LabelKPI, catalog.LabelTeam, catalog.LabelGroup, catalog.LabelOwner, catalog.LabelUnit, catalog.LabelDirection, catalog.LabelPeriod, catalog.LabelDefinitionHash}, catalog.ChangeLabels...), nil),
		controlUp:   prometheus.NewDesc(catalog.SelfControlUp, "Whether the last run of the KPI's control query succeeded (1) or not (0).", kpi, nil),
		controlLast: prometheus.NewDesc(catalog.SelfControlLastSuccess, "Unix time of the last successful run of the KPI's control query (0 before the first).", kpi, nil),
		controlErrs: prometheus.NewDesc(catalog.SelfControlErrors, "Failed runs of the KPI's control query and rows it skipped, by reason.", []string{catalog.LabelKPI, catalog.LabelReason}, nil),
		compareUp:   prometheus.NewDesc(catalog.SelfCompareUp, "Whether the last run of the KPI's SQL over the earlier period succeeded (1) or not (0).", compare, nil),
		compareLast: prometheus.NewDesc(catalog.SelfCompareLastSuccess, "Unix time of the last successful run of the KPI's SQL over the earlier period (0 before the first).", compare, nil),
		compareErrs: prometheus.NewDesc(catalog.SelfCompareErrors, "Failed runs of the KPI's SQL over the earlier period and rows it skipped, by reason.", append(compare, catalog.LabelReason), nil),
	}
}

func (m *selfMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.sourceUp, m.kpiUp, m.lastSuccess, m.lastDuration, m.series, m.stale, m.runs, m.errs, m.kpis, m.info, m.controlUp, m.controlLast, m.controlErrs, m.compareUp, m.compareLast, m.compareErrs} {
		ch <- d
	}
}

func (m *selfMetrics) Collect(ch chan<- prometheus.Metric) {
	v := m.c.view.Load()
	now := m.c.clock.Now()
	for _, s := range v.sources {
		up, _ := s.Up()
		ch <- prometheus.MustNewConstMetric(m.sourceUp, prometheus.GaugeValue, b2f(up), s.Name())
	}
	if v.cat != nil {
		ch <- prometheus.MustNewConstMetric(m.kpis, prometheus.GaugeValue, float64(len(v.cat.KPIs)))
	}
	for _, r := range v.runners {
		k := r.k
		if ck := v.cat.KPI(k.Name); ck != nil {
			k = ck // metadata such as the owner may change without a restart
		}
		st := r.snapshot()
		name := k.Name
		ch <- prometheus.MustNewConstMetric(m.info, prometheus.GaugeValue, 1,
			append([]string{name, k.Team, k.Group, k.Owner, string(k.Unit), string(k.Direction), string(k.Period), k.DefinitionHash()}, k.ChangeLabelValues()...)...)
		ch <- prometheus.MustNewConstMetric(m.kpiUp, prometheus.GaugeValue, b2f(st.up), name)
		ch <- prometheus.MustNewConstMetric(m.lastSuccess, prometheus.GaugeValue, unixOf(st.lastSuccess), name)
		ch <- prometheus.MustNewConstMetric(m.lastDuration, prometheus.GaugeValue, st.lastDuration.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(m.series, prometheus.GaugeValue, float64(st.series), name)
		ch <- prometheus.MustNewConstMetric(m.stale, prometheus.GaugeValue, b2f(r.stale(st, now)), name)
		ch <- prometheus.MustNewConstMetric(m.runs, prometheus.CounterValue, float64(st.runs), name)
		for _, reason := range catalog.Reasons {
			ch <- prometheus.MustNewConstMetric(m.errs, prometheus.CounterValue, float64(st.errors[reason]), name, reason)
		}
	}
	for _, r := range v.controls {
		st := r.snapshot()
		ch <- prometheus.MustNewConstMetric(m.controlUp, prometheus.GaugeValue, b2f(st.up), r.k.Name)
		ch <- prometheus.MustNewConstMetric(m.controlLast, prometheus.GaugeValue, unixOf(st.lastSuccess), r.k.Name)
		for _, reason := range catalog.Reasons {
			ch <- prometheus.MustNewConstMetric(m.controlErrs, prometheus.CounterValue, float64(st.errors[reason]), r.k.Name, reason)
		}
	}
	for _, r := range v.compares {
		st, e := r.snapshot(), string(r.earlier)
		ch <- prometheus.MustNewConstMetric(m.compareUp, prometheus.GaugeValue, b2f(st.up), r.k.Name, e)
		ch <- prometheus.MustNewConstMetric(m.compareLast, prometheus.GaugeValue, unixOf(st.lastSuccess), r.k.Name, e)
		for _, reason := range catalog.Reasons {
			ch <- prometheus.MustNewConstMetric(m.compareErrs, prometheus.CounterValue, float64(st.errors[reason]), r.k.Name, e, reason)
		}
	}
}

// unixOf is t in Unix seconds, 0 for the zero time.
func unixOf(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
