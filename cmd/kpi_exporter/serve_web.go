package main

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/kpi-exporter/kpi_exporter/collector"
)

// webHandlers are the serve command's endpoints.
type webHandlers struct {
	c             *collector.Collector
	reloader      *collector.Reloader
	logger        *slog.Logger
	enableReload  bool
	telemetryPath string
}

func (h *webHandlers) mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(h.telemetryPath, h.c.Handler())
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("Healthy.\n"))
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if h.c.Catalog() == nil {
			http.Error(w, "Not ready: no catalog loaded.", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Ready.\n"))
	})
	mux.HandleFunc("/-/reload", h.reload)
	if h.telemetryPath != "/" {
		mux.HandleFunc("/", h.landing)
	}
	return mux
}

func (h *webHandlers) reload(w http.ResponseWriter, r *http.Request) {
	if !h.enableReload {
		http.Error(w, "The reload endpoint is disabled (--no-web.enable-reload-endpoint); send SIGHUP instead.", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Only POST reloads the catalog.", http.StatusMethodNotAllowed)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	if err := h.reloader.Reload(ctx); err != nil {
		h.logger.Error("reload failed; the running catalog stays", "err", err)
		http.Error(w, "Reload failed; the running catalog stays:\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	h.logger.Info("catalog reloaded")
	_, _ = w.Write([]byte("Reloaded.\n"))
}

var kpiTable = template.Must(template.New("kpis").Parse(`<h2>KPIs</h2>
<table style="border-collapse: collapse" cellpadding="4" border="1">
<tr><th>KPI</th><th>Team</th><th>Owner</th><th>Source</th><th>State</th><th>Series</th><th>Last success</th><th>Last duration</th><th>Last error</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Team}}</td><td>{{.Owner}}</td><td>{{.Source}}</td><td>{{if .Stale}}stale{{else if .Up}}up{{else}}down{{end}}</td><td>{{.Series}}</td><td>{{if .LastSuccess.IsZero}}never{{else}}{{.LastSuccess.UTC.Format "2006-01-02 15:04:05Z"}}{{end}}</td><td>{{.LastDuration}}</td><td>{{.LastError}}</td></tr>
{{end}}</table>`))

// landing renders the exporter-toolkit landing page with a table of the
// KPIs and their state. Every value goes through html/template; errors in
// it were redacted by the collector.
func (h *webHandlers) landing(w http.ResponseWriter, r *http.Request) {
	var table bytes.Buffer
	if err := kpiTable.Execute(&table, h.c.States()); err != nil {
		http.Error(w, "render KPI table", http.StatusInternalServerError)
		return
	}
	page, err := web.NewLandingPage(web.LandingConfig{
		Name:        "KPI Exporter",
		Description: "Business KPIs from SQL, for Prometheus",
		Version:     version.Info(),
		Profiling:   "false",
		Links: []web.LandingLinks{
			{Address: h.telemetryPath, Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
		ExtraHTML: table.String(),
	})
	if err != nil {
		http.Error(w, "render landing page", http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}
