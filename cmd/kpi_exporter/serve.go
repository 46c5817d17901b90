package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/collector"
	"github.com/kpi-exporter/kpi_exporter/demo"
)

// defaultPort is kpi_exporter's port, free in the Prometheus default port
// allocations list.
const defaultListenAddress = ":9786"

// defaultConfigFile is read when --config.file is not given.
const defaultConfigFile = "kpi_exporter.yml"

// demoGrowEvery is how often the demo database gets new rows.
const demoGrowEvery = 10 * time.Second

// serveCmd runs the exporter: the default command.
type serveCmd struct {
	cmd           *kingpin.CmdClause
	configFiles   *[]string
	webFlags      *web.FlagConfig
	telemetryPath *string
	enableReload  *bool
	logConfig     promslog.Config
}

func newServeCmd(app *kingpin.Application) *serveCmd {
	s := &serveCmd{cmd: app.Command("serve", "Run the exporter: collect every KPI of the catalog on its schedule and serve the results (the default command).").Default()}
	s.configFiles = s.cmd.Flag("config.file", "Catalog file or directory of *.yml/*.yaml files. Repeatable: each department can own its own file.").
		Default(defaultConfigFile).Strings()
	s.telemetryPath = s.cmd.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	s.enableReload = s.cmd.Flag("web.enable-reload-endpoint", "Allow POST /-/reload to reload the catalog; --no-web.enable-reload-endpoint turns it off (SIGHUP always reloads).").Default("true").Bool()
	s.webFlags = kingpinflag.AddFlags(s.cmd, defaultListenAddress)
	s.logConfig.Level = promslog.NewLevel()
	s.cmd.Flag(promslogflag.LevelFlagName, promslogflag.LevelFlagHelp).Default("info").
		HintOptions(promslog.LevelFlagOptions...).SetValue(s.logConfig.Level)
	s.logConfig.Format = promslog.NewFormat()
	s.cmd.Flag(promslogflag.FormatFlagName, promslogflag.FormatFlagHelp).Default("logfmt").
		HintOptions(promslog.FormatFlagOptions...).SetValue(s.logConfig.Format)
	return s
}

func (s *serveCmd) FullCommand() string { return s.cmd.FullCommand() }

func (s *serveCmd) Run(ctx context.Context, stdout, stderr io.Writer) int {
	cfg := s.logConfig
	cfg.Writer = stderr
	logger := promslog.New(&cfg)
	// The MySQL driver logs connection trouble on its own; the errors also
	// reach the KPIs, so its lines go to the debug level.
	_ = mysql.SetLogger(slog.NewLogLogger(logger.Handler(), slog.LevelDebug))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	demos := &demoGrower{ctx: ctx, logger: logger}
	c := collector.New(collector.Options{Logger: logger, Prepare: demos.prepare})
	defer func() {
		if err := c.Close(); err != nil {
			logger.Error("close sources", "err", err)
		}
	}()
	files := *s.configFiles
	reloader := collector.NewReloader(c, func() (*catalog.Catalog, error) { return catalog.Load(files...) }, logger)
	cat, err := reloader.Load()
	if err != nil {
		fmt.Fprintf(stderr, "kpi_exporter: load catalog: %v\n", err)
		return exitFailure
	}

	// Listen before the catalog is applied: preparing a demo database takes
	// a moment, and /-/healthy should answer meanwhile (/-/ready does not).
	h := &webHandlers{c: c, reloader: reloader, logger: logger, enableReload: *s.enableReload, telemetryPath: *s.telemetryPath, now: time.Now}
	server := &http.Server{Handler: h.mux(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- web.ListenAndServe(server, s.webFlags, logger) }()
	defer func() {
		cancel() // ends the demo writers too
		shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = server.Shutdown(shutdown)
		demos.wait()
	}()

	if err := reloader.Initial(ctx, cat); err != nil {
		fmt.Fprintf(stderr, "kpi_exporter: start: %v\n", err)
		return exitFailure
	}
	logger.Info("catalog loaded", "files", cat.Files, "kpis", len(cat.KPIs))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloader.Run(ctx, hup)

	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serve", "err", err)
			return exitFailure
		}
	case <-ctx.Done():
	}
	return exitOK
}

// demoGrower prepares demo sources before they open and keeps each demo
// database growing while the exporter runs.
type demoGrower struct {
	ctx    context.Context
	logger *slog.Logger
	mu     sync.Mutex
	paths  map[string]bool
	wg     sync.WaitGroup
}

func (d *demoGrower) prepare(ctx context.Context, src *catalog.Source) error {
	if !src.Demo {
		return nil
	}
	path := src.DSN()
	if err := demo.Prepare(ctx, path, time.Now()); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.paths == nil {
		d.paths = map[string]bool{}
	}
	if !d.paths[path] {
		d.paths[path] = true
		d.wg.Go(func() { demo.Grow(d.ctx, path, demoGrowEvery, time.Now, d.logger.With("demo", path)) })
	}
	return nil
}

func (d *demoGrower) wait() { d.wg.Wait() }
