package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// RunOnce runs one KPI (and its target SQL, if any) once, with its period
// parameters at the current time, and converts the rows. cat is the catalog
// k belongs to; srcs holds the open sources by name. A failed KPI query
// returns a *RunError. A failed target query does not fail the run: the
// values come back without targets and Result.TargetErr says why.
func RunOnce(ctx context.Context, cat *catalog.Catalog, k *catalog.KPI, srcs map[string]*Source) (*Result, error) {
	return RunWindow(ctx, k, srcs, WindowOf(cat, k, time.Now(), ""))
}

// RunWindow is RunOnce with the period parameters of window w.
func RunWindow(ctx context.Context, k *catalog.KPI, srcs map[string]*Source, w Window) (*Result, error) {
	return runWindow(ctx, k, srcs, w, nil)
}

// runWindow is RunWindow, telling hook, if not nil, what it does.
func runWindow(ctx context.Context, k *catalog.KPI, srcs map[string]*Source, w Window, hook *rowHook) (*Result, error) {
	start := time.Now()
	res, err := runValues(ctx, k, srcs, w, hook)
	if err != nil {
		return res, err
	}
	if t := k.Target; t != nil {
		if t.IsConstant() {
			for i := range res.Series {
				res.Series[i].Target, res.Series[i].HasTarget = t.Value, true
			}
		} else {
			res.TargetErr = runTarget(ctx, k, srcs, w, res, hook)
		}
	}
	res.Stats.Duration = time.Since(start)
	return res, nil
}

// runValues runs the KPI's own SQL over window w, without its target: what
// a comparison runs.
func runValues(ctx context.Context, k *catalog.KPI, srcs map[string]*Source, w Window, hook *rowHook) (*Result, error) {
	src := srcs[k.Source]
	if src == nil {
		return nil, &RunError{Reason: catalog.ReasonConnection, msg: fmt.Sprintf("source %q is not open", k.Source)}
	}
	res := &Result{}
	query, names, args := bindNamed(k.SQL, src.cfg.Driver, w)
	if hook != nil {
		hook.query(false, query, names, args)
	}
	err := src.query(ctx, query, args, k.Timeout.D(), func(rows *sql.Rows) error {
		return runErrorFor(src, convertRows(rows, k, res, hook))
	})
	if err != nil {
		return res, fmt.Errorf("query kpi %q on source %q: %w", k.Name, k.Source, err)
	}
	return res, nil
}

// runErrorFor classifies a conversion error: a missing column is the
// query's fault, anything else happened while scanning. An error reading the
// rows is left to Source.query, which classifies it as a failed query.
func runErrorFor(src *Source, err error) error {
	var rd readError
	if err == nil || errors.As(err, &rd) {
		return err
	}
	reason := catalog.ReasonScan
	if errorsIsMissing(err) {
		reason = catalog.ReasonQuery
	}
	return src.fail(reason, "convert rows", err)
}

func runTarget(ctx context.Context, k *catalog.KPI, srcs map[string]*Source, w Window, res *Result, hook *rowHook) error {
	t := k.Target
	tsrc := srcs[t.Source]
	if tsrc == nil {
		return fmt.Errorf("target of kpi %q: source %q is not open", k.Name, t.Source)
	}
	var tg map[string]float64
	query, names, args := bindNamed(t.SQL, tsrc.cfg.Driver, w)
	if hook != nil {
		hook.query(true, query, names, args)
	}
	err := tsrc.query(ctx, query, args, k.Timeout.D(), func(rows *sql.Rows) error {
		var err error
		tg, err = convertTargets(rows, k, &res.Stats, hook)
		return runErrorFor(tsrc, err)
	})
	if err != nil {
		return fmt.Errorf("query target of kpi %q on source %q: %w", k.Name, t.Source, err)
	}
	joinTargets(res.Series, tg)
	return nil
}
