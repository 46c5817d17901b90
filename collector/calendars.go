package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// calendarMetrics exports, at scrape time, the bounds of every period in use
// and the share of it elapsed by wall time and by working time. It computes
// from the clock alone, so a scrape never waits for it.
type calendarMetrics struct {
	clock               Clock
	uses                func() []catalog.CalendarUse
	start, end, elapsed *prometheus.Desc
}

func newCalendarMetrics(clock Clock, uses func() []catalog.CalendarUse) *calendarMetrics {
	cp := []string{catalog.LabelCalendar, catalog.LabelPeriod}
	return &calendarMetrics{
		clock: clock,
		uses:  uses,
		start: prometheus.NewDesc(catalog.CalendarPeriodStart, "Unix time at which the current period of the calendar started (local midnight of its first day).", cp, nil),
		end:   prometheus.NewDesc(catalog.CalendarPeriodEnd, "Unix time at which the current period of the calendar ends (local midnight after its last day).", cp, nil),
		elapsed: prometheus.NewDesc(catalog.CalendarPeriodElapsed, "Share of the current period elapsed, by wall time or by the calendar's working time.",
			[]string{catalog.LabelCalendar, catalog.LabelPeriod, catalog.LabelBasis}, nil),
	}
}

func (m *calendarMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.start
	ch <- m.end
	ch <- m.elapsed
}

func (m *calendarMetrics) Collect(ch chan<- prometheus.Metric) {
	now := m.clock.Now()
	for _, u := range m.uses() {
		name := u.Calendar.Name()
		for _, p := range u.Periods {
			s, e := u.Calendar.Bounds(p, now)
			ch <- prometheus.MustNewConstMetric(m.start, prometheus.GaugeValue, unixSeconds(s), name, string(p))
			ch <- prometheus.MustNewConstMetric(m.end, prometheus.GaugeValue, unixSeconds(e), name, string(p))
			ch <- prometheus.MustNewConstMetric(m.elapsed, prometheus.GaugeValue, u.Calendar.Elapsed(p, now), name, string(p), catalog.BasisWall)
			ch <- prometheus.MustNewConstMetric(m.elapsed, prometheus.GaugeValue, u.Calendar.WorkElapsed(p, now), name, string(p), catalog.BasisWork)
		}
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.Unix()) }
