package collector

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// controlKey names a control's runner; no KPI name holds a NUL.
func controlKey(k *catalog.KPI) string { return k.Name + "\x00control" }

// newControlRunner runs the control query of k, whose own runner is kr (which
// may run an older, unchanged copy of k), on the control's own source and
// interval, and exports the control value as
// ControlMetricName and, for each label set the KPI has a fresh value for,
// the KPI's value minus the control value as ControlDifferenceMetricName.
// The difference is taken when the control runs, against the KPI's latest
// run: the exporter has both results then, and the two series of one page
// always agree with each other.
func newControlRunner(k *catalog.KPI, kr *runner, cat *catalog.Catalog, srcs map[string]*Source, key string, clock Clock, logger *slog.Logger) *runner {
	q := k.ControlQuery()
	r := newRunner(q, cat, srcs, key, clock, logger)
	r.logger = r.logger.With("control", true)
	help := kpiHelp(k)
	r.value = prometheus.NewDesc(k.ControlMetricName(), "Control value of: "+help, k.Labels, cat.Global.Labels)
	r.difference = prometheus.NewDesc(k.ControlDifferenceMetricName(), "KPI value minus control value of: "+help, k.Labels, cat.Global.Labels)
	r.target = nil
	r.of = kr
	return r
}

// waitForKPI holds a control's first run until the KPI's first run is over,
// so that its first page already has differences. It reports false when ctx
// ends first.
func (r *runner) waitForKPI(ctx context.Context) bool {
	if r.of == nil || r.waited {
		return true
	}
	select {
	case <-r.of.ran:
		r.waited = true
		return true
	case <-ctx.Done():
		return false
	}
}

// differences are a control run's KPI value minus control value, by label
// set, for the label sets of the KPI's last run while its values are still
// served at at. Nil for any other runner.
func (r *runner) differences(control []Series, at time.Time) map[string]float64 {
	if r.of == nil {
		return nil
	}
	st := r.of.snapshot()
	if st.values == nil || r.of.stale(st, at) {
		return nil
	}
	kpi := make(map[string]float64, len(st.values))
	for _, s := range st.values {
		kpi[labelKey(s.Labels)] = s.Value
	}
	out := make(map[string]float64, len(control))
	for _, s := range control {
		key := labelKey(s.Labels)
		if v, ok := kpi[key]; ok {
			out[key] = v - s.Value
		}
	}
	return out
}
