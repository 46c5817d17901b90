package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Querier is the part of the Prometheus HTTP API client the report reads
// through: range queries only.
type Querier interface {
	QueryRange(ctx context.Context, query string, r v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

var _ Querier = v1.API(nil)

// maxPoints keeps each range query under Prometheus's limit of 11,000 points
// per series; longer ranges are asked for in pieces.
const maxPoints = 10000

// Point is one evaluation of a series.
type Point struct {
	T time.Time
	V float64
}

// Series is one label set of a recorded series, evaluated every step.
type Series struct {
	Labels model.Metric
	Points []Point
}

// KPIData are the recorded series of one KPI over the period and the one
// before it, as the generated rules name them (catalog.KPI.KPIRecord and
// TeamRecord), and the alerts that fired for it.
type KPIData struct {
	Value, Target, Attainment, Warning, Critical []Series
	// Sum, TargetSum and TeamAttainment are the team rollup of a summable
	// KPI.
	Sum, TargetSum, TeamAttainment []Series
	// Alerts are the KPI's ALERTS series while firing.
	Alerts []Series
}

// Data is everything a review is computed from.
type Data struct {
	Window Window
	// Step is the spacing of the points: each stands for one step of time.
	Step time.Duration
	KPIs map[string]*KPIData
	// Warnings are what Prometheus warned about while answering.
	Warnings []string
}

// Gather reads, for every KPI of the catalog, its recorded series from the
// start of the earlier period to the end of w (or now, for a partial
// period), one point per step, with at most parallel queries at a time.
// The first query that fails ends the gathering.
func Gather(ctx context.Context, q Querier, cat *catalog.Catalog, w Window, step time.Duration, parallel int) (*Data, error) {
	if step <= 0 {
		return nil, fmt.Errorf("query step %s is not positive", step)
	}
	d := &Data{Window: w, Step: step, KPIs: map[string]*KPIData{}}
	// The last point lies before the end: the end belongs to the next period.
	r := v1.Range{Start: w.PrevStart, End: w.dataEnd().Add(-time.Millisecond), Step: step}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(parallel, 1))
	for _, k := range cat.KPIs {
		kd := &KPIData{}
		d.KPIs[k.Name] = kd
		queries := []struct {
			dst  *[]Series
			expr string
			when bool
		}{
			{&kd.Value, k.KPIRecord(catalog.OpValue), true},
			{&kd.Target, k.KPIRecord(catalog.OpTarget), k.HasTarget()},
			{&kd.Attainment, k.KPIRecord(catalog.OpAttainment), k.HasTarget()},
			{&kd.Warning, k.KPIRecord(catalog.OpThresholdWarning), k.Thresholds != nil && k.Thresholds.Warning != nil},
			{&kd.Critical, k.KPIRecord(catalog.OpThresholdCritical), k.Thresholds != nil && k.Thresholds.Critical != nil},
			{&kd.Sum, k.TeamRecord(catalog.OpSum), rolledUp(k)},
			{&kd.TargetSum, k.TeamRecord(catalog.OpTargetSum), rolledUp(k) && k.HasTarget()},
			{&kd.TeamAttainment, k.TeamRecord(catalog.OpAttainment), rolledUp(k) && k.HasTarget()},
			{&kd.Alerts, `ALERTS{alertstate="firing",` + catalog.LabelKPI + `=` + strconv.Quote(k.Name) + `}`, true},
		}
		for _, qu := range queries {
			if !qu.when {
				continue
			}
			g.Go(func() error {
				s, warns, err := queryRange(ctx, q, qu.expr, r)
				if err != nil {
					return fmt.Errorf("kpi %q: %w", k.Name, err)
				}
				mu.Lock()
				defer mu.Unlock()
				*qu.dst = s
				d.Warnings = append(d.Warnings, warns...)
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(d.Warnings)
	d.Warnings = slices.Compact(d.Warnings)
	return d, nil
}

// rolledUp reports whether the KPI is read through its team rollup: its
// values add up and it has label columns to add up over.
func rolledUp(k *catalog.KPI) bool { return k.Unit.Summable() && len(k.Labels) > 0 }

// queryRange runs one range query, in pieces of at most maxPoints points,
// and joins the pieces per label set.
func queryRange(ctx context.Context, q Querier, expr string, r v1.Range) ([]Series, []string, error) {
	byKey := map[model.Fingerprint]*Series{}
	var warnings []string
	span := time.Duration(maxPoints-1) * r.Step
	for start := r.Start; !start.After(r.End); start = start.Add(span + r.Step) {
		end := start.Add(span)
		if end.After(r.End) {
			end = r.End
		}
		v, warns, _, err := q.QueryRange(ctx, expr, v1.Range{Start: start, End: end, Step: r.Step})
		if err != nil {
			return nil, nil, fmt.Errorf("query %s from %s to %s: %w", expr, start.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		warnings = append(warnings, warns...)
		m, ok := v.(model.Matrix)
		if !ok {
			return nil, nil, fmt.Errorf("query %s: got a %s, want a matrix", expr, v.Type())
		}
		for _, ss := range m {
			fp := ss.Metric.Fingerprint()
			s := byKey[fp]
			if s == nil {
				s = &Series{Labels: ss.Metric}
				byKey[fp] = s
			}
			for _, p := range ss.Values {
				s.Points = append(s.Points, Point{T: p.Timestamp.Time().UTC(), V: float64(p.Value)})
			}
		}
	}
	out := make([]Series, 0, len(byKey))
	for _, s := range byKey {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels.String() < out[j].Labels.String() })
	return out, warnings, nil
}
