package collector

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Reloader reloads the catalog on request, one reload at a time. The new
// catalog is loaded and validated whole before it is applied; a bad one leaves
// the running catalog untouched. SIGHUP and HTTP requests both go through
// Run's goroutine, which hands each caller its own result.
type Reloader struct {
	c      *Collector
	load   func() (*catalog.Catalog, error)
	logger *slog.Logger
	reqs   chan chan error

	successful  prometheus.Gauge
	successTime prometheus.Gauge
	total       *prometheus.CounterVec
}

// NewReloader registers the reload metrics on the collector's registry.
// load reads and validates the catalog files.
func NewReloader(c *Collector, load func() (*catalog.Catalog, error), logger *slog.Logger) *Reloader {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{
		c: c, load: load, logger: logger, reqs: make(chan chan error),
		successful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: catalog.SelfReloadSuccessful, Help: "Whether the last catalog reload succeeded (1) or not (0).",
		}),
		successTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: catalog.SelfReloadSuccessTime, Help: "Unix time of the last successful catalog load.",
		}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: catalog.SelfReloadsTotal, Help: "Catalog reloads, by result (success or failure).",
		}, []string{"result"}),
	}
	r.total.WithLabelValues("success")
	r.total.WithLabelValues("failure")
	c.Registry().MustRegister(r.successful, r.successTime, r.total)
	return r
}

// Load loads and validates the catalog without applying it.
func (r *Reloader) Load() (*catalog.Catalog, error) { return r.load() }

// Initial applies the first catalog, which the caller loaded with Load.
func (r *Reloader) Initial(ctx context.Context, cat *catalog.Catalog) error {
	if err := r.c.Apply(ctx, cat); err != nil {
		return err
	}
	r.successful.Set(1)
	r.successTime.SetToCurrentTime()
	return nil
}

// Run serves reload requests until ctx ends. A value on hup (SIGHUP) reloads
// too; its error is logged.
func (r *Reloader) Run(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := r.reload(ctx); err != nil {
				r.logger.Error("reload on SIGHUP failed; the running catalog stays", "err", err)
			} else {
				r.logger.Info("catalog reloaded on SIGHUP")
			}
		case reply := <-r.reqs:
			reply <- r.reload(ctx)
		}
	}
}

// Reload asks Run's goroutine for a reload and returns its result.
func (r *Reloader) Reload(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case r.reqs <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrReloadFailed is wrapped by every failed reload.
var ErrReloadFailed = errors.New("reload failed")

func (r *Reloader) reload(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			r.successful.Set(0)
			r.total.WithLabelValues("failure").Inc()
			err = errors.Join(ErrReloadFailed, err)
			return
		}
		r.successful.Set(1)
		r.successTime.SetToCurrentTime()
		r.total.WithLabelValues("success").Inc()
	}()
	cat, err := r.load()
	if err != nil {
		return err
	}
	return r.c.Apply(ctx, cat)
}
