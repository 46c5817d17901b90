package governance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// Runner runs a KPI's SQL (and its target's) once, the way the exporter
// would, and says what became of the rows. The check needs nothing else of
// the collector; cmd wires one in.
type Runner interface {
	RunOnce(ctx context.Context, k *catalog.KPI) (*DryRun, error)
}

// DryRun is one run of a KPI's SQL: the result's columns, the series it
// would export, and the rows it read and skipped, by reason.
type DryRun struct {
	Columns []string
	Series  []DrySeries
	// Rows is every row the query returned; Exported the series kept.
	Rows, Exported int
	// Rows skipped: NULL value, not a number, an earlier row with the same
	// labels, beyond max_series, a label that is not valid UTF-8.
	Nulls, NonNumeric, Duplicates, OverLimit, InvalidLabels int
	// TargetSkipped are target rows skipped; TargetErr the target query's
	// failure, if any (the values are still exported).
	TargetSkipped int
	TargetErr     error
	Duration      time.Duration
}

// DrySeries is one label set a dry run would export, in the KPI's label
// order.
type DrySeries struct {
	Labels    []string
	Value     float64
	Target    float64
	HasTarget bool
}

// Check runs every KPI once through r, one at a time so that a check never
// loads a business database with more than one query, and judges each run,
// and each value against its target and thresholds at now, as the landing
// page's scorecard does. progress, if not nil, hears of each KPI before it
// runs and of the end.
func Check(ctx context.Context, cat *catalog.Catalog, r Runner, now time.Time, progress func(i, n int, k *catalog.KPI)) []KPICheck {
	if progress == nil {
		progress = func(int, int, *catalog.KPI) {}
	}
	out := make([]KPICheck, 0, len(cat.KPIs))
	for i, k := range cat.KPIs {
		progress(i, len(cat.KPIs), k)
		res, err := r.RunOnce(ctx, k)
		c := CheckKPI(k, res, err)
		c.Score(cat, k, res, err, now)
		if err != nil {
			res = nil
		}
		c.checkControl(ctx, r, k, res)
		out = append(out, c)
	}
	progress(len(cat.KPIs), len(cat.KPIs), nil)
	return out
}

// SampleCount is how many series a dry run shows per KPI.
const SampleCount = 3

// seriesWarnShare is the share of max_series beyond which a dry run warns
// that the KPI is close to losing rows.
const seriesWarnShare = 0.8

// Sample is one series of a dry run, beside its target.
type Sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
	Target *float64          `json:"target,omitempty"`
	// Status is the sample's standing against its thresholds.
	Status    scorecard.Status `json:"status,omitempty"`
	labelText string
}

// KPICheck is the judged outcome of one KPI's dry run.
type KPICheck struct {
	KPI           string   `json:"kpi"`
	Source        string   `json:"source"`
	Rows          int      `json:"rows"`
	Exported      int      `json:"exported"`
	Nulls         int      `json:"nulls"`
	NonNumeric    int      `json:"non_numeric"`
	Duplicates    int      `json:"duplicates"`
	OverLimit     int      `json:"over_limit"`
	InvalidLabels int      `json:"invalid_labels"`
	MaxSeries     int      `json:"max_series"`
	Seconds       float64  `json:"duration_seconds"`
	Samples       []Sample `json:"samples,omitempty"`
	// Status is the worst standing of the KPI's values against their
	// thresholds, as the landing page's scorecard shows it; StatusCount
	// is how many series have it.
	Status      scorecard.Status `json:"status,omitempty"`
	StatusCount int              `json:"status_series,omitempty"`
	// Control is the KPI's control query beside its values, if it has one.
	Control *ControlCheck `json:"control,omitempty"`
	// NotRun is set when the check only loaded and linted (--no-queries).
	NotRun bool `json:"not_run,omitempty"`
	// Problems fail the check; Warnings do not.
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether the dry run found nothing wrong.
func (c KPICheck) OK() bool { return len(c.Problems) == 0 }

// NotRunKPI lists a KPI whose SQL the check did not run.
func NotRunKPI(k *catalog.KPI) KPICheck {
	return KPICheck{KPI: k.Name, Source: k.Source, MaxSeries: k.MaxSeries, NotRun: true}
}

// CheckKPI judges one dry run of a KPI: the result and error of
// Runner.RunOnce. The label and value columns must exist in the result,
// the rows must fit max_series, and rows skipped for NULL, non-numeric,
// duplicate or invalid values are counted and reported.
func CheckKPI(k *catalog.KPI, res *DryRun, runErr error) KPICheck {
	c := KPICheck{KPI: k.Name, Source: k.Source, MaxSeries: k.MaxSeries}
	problem := func(format string, args ...any) { c.Problems = append(c.Problems, fmt.Sprintf(format, args...)) }
	warn := func(format string, args ...any) { c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...)) }
	if res != nil {
		c.Rows, c.Exported, c.Nulls, c.NonNumeric = res.Rows, res.Exported, res.Nulls, res.NonNumeric
		c.Duplicates, c.OverLimit, c.InvalidLabels = res.Duplicates, res.OverLimit, res.InvalidLabels
		c.Seconds = res.Duration.Seconds()
	}
	missing := false
	if res != nil && res.Columns != nil {
		for _, col := range append(slices.Clone(k.Labels), k.Value) {
			if !hasColumn(res.Columns, col) {
				missing = true
				kind := "label"
				if col == k.Value {
					kind = "value"
				}
				problem("%s column %q is not in the result (columns: %s)", kind, col, strings.Join(res.Columns, ", "))
			}
		}
	}
	if runErr != nil {
		if !missing { // a missing column is already named above
			problem("query failed: %v", runErr)
		}
		return c
	}
	if res == nil {
		return c
	}
	switch {
	case c.OverLimit > 0:
		problem("%d rows over max_series %d were dropped: raise max_series or aggregate in the SQL", c.OverLimit, k.MaxSeries)
	case float64(c.Exported) > seriesWarnShare*float64(k.MaxSeries):
		warn("%d series, close to max_series %d", c.Exported, k.MaxSeries)
	}
	if c.Duplicates > 0 {
		problem("%d rows repeat an earlier label set and were dropped: group by every label column", c.Duplicates)
	}
	if c.NonNumeric > 0 {
		problem("%d rows have a value that is not a number", c.NonNumeric)
	}
	if c.InvalidLabels > 0 {
		problem("%d rows have a label value that is not valid UTF-8", c.InvalidLabels)
	}
	if c.Nulls > 0 {
		warn("%d rows have a NULL value and are skipped", c.Nulls)
	}
	if c.Rows == 0 {
		warn("the query returned no rows: the KPI exports nothing")
	}
	if res.TargetErr != nil {
		problem("target query failed: %v", res.TargetErr)
	} else if k.HasTarget() {
		without := 0
		for _, s := range res.Series {
			if !s.HasTarget {
				without++
			}
		}
		if without > 0 {
			warn("%d of %d series have no target row", without, len(res.Series))
		}
	}
	if res.TargetSkipped > 0 {
		warn("%d target rows were skipped (NULL, not a number, invalid or duplicate)", res.TargetSkipped)
	}
	for i, s := range res.Series {
		if i == SampleCount {
			break
		}
		sm := Sample{Value: s.Value}
		var parts []string
		if len(k.Labels) > 0 {
			sm.Labels = map[string]string{}
			for j, l := range k.Labels {
				if j < len(s.Labels) {
					sm.Labels[l] = s.Labels[j]
					parts = append(parts, l+"="+s.Labels[j])
				}
			}
		}
		sm.labelText = strings.Join(parts, ",")
		if s.HasTarget {
			t := s.Target
			sm.Target = &t
		}
		c.Samples = append(c.Samples, sm)
	}
	return c
}

// Score sets the status column from the dry run's values with the
// scorecard's code: a failed run has no data to judge.
func (c *KPICheck) Score(cat *catalog.Catalog, k *catalog.KPI, res *DryRun, runErr error, now time.Time) {
	in := scorecard.Input{KPI: k, Health: scorecard.HealthDown}
	if runErr == nil && res != nil {
		in.Health, in.LastSuccess = scorecard.HealthUp, now
		in.Series = make([]scorecard.Series, len(res.Series))
		for i, s := range res.Series {
			in.Series[i] = scorecard.Series{Labels: s.Labels, Value: s.Value, Target: s.Target, HasTarget: s.HasTarget}
		}
	}
	kp := scorecard.Judge(cat, in, now)
	c.Status, c.StatusCount = kp.Status, 0
	for i, r := range kp.Series {
		if r.Status == kp.Status {
			c.StatusCount++
		}
		if i < len(c.Samples) {
			c.Samples[i].Status = r.Status
		}
	}
}

func hasColumn(cols []string, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

// CheckReport is the outcome of `kpi_exporter check`: the lint findings and
// every KPI's dry run.
type CheckReport struct {
	Files []string   `json:"files"`
	Lint  []Finding  `json:"lint"`
	KPIs  []KPICheck `json:"kpis"`
}

// LintFailed reports whether the lint found an error.
func (r CheckReport) LintFailed() bool { return HasErrors(r.Lint) }

// QueriesFailed reports whether any dry run found a problem.
func (r CheckReport) QueriesFailed() bool {
	for _, k := range r.KPIs {
		if !k.OK() {
			return true
		}
	}
	return false
}
