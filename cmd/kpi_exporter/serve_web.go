package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/kpi-exporter/kpi_exporter/collector"
	"github.com/kpi-exporter/kpi_exporter/report"
	"github.com/kpi-exporter/kpi_exporter/scorecard"
)

// webHandlers are the serve command's endpoints.
type webHandlers struct {
	c             *collector.Collector
	reloader      *collector.Reloader
	logger        *slog.Logger
	enableReload  bool
	telemetryPath string
	// now is the instant the scorecard judges at.
	now func() time.Time
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
	mux.HandleFunc(scorecardPath, h.scorecardJSON)
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

// scorecardPath serves the scorecard as JSON, on the same mux, TLS and
// basic auth as every endpoint.
const scorecardPath = "/api/v1/scorecard"

//go:embed scorecard.html.tmpl
var scorecardHTML string

var scorecardPage = template.Must(template.New("scorecard").Funcs(template.FuncMap{
	// The word beside the colour is for readers who cannot tell the
	// colours apart.
	"word": scorecard.Status.Word,
	"since": func(k scorecard.KPI) string {
		if k.LastSuccess == nil {
			return "never"
		}
		return k.LastSuccess.Format("2006-01-02 15:04:05 MST")
	},
}).Parse(scorecardHTML))

// scorecardCSS colours the statuses as the review report does.
const scorecardCSS = `table.sc { border-collapse: collapse; margin-bottom: 1em; }
table.sc th, table.sc td { border: 1px solid #d0d7de; padding: 3px 6px; }
td.num { text-align: right; }
.st { font-weight: bold; color: #fff; padding: 2px 6px; }
.st-ok { background: ` + report.ColourOK + `; }
.st-warning { background: ` + report.ColourWarning + `; }
.st-critical { background: ` + report.ColourCritical + `; }
.st-none, .st-unknown { background: ` + report.ColourNoData + `; }
`

// scorecard judges the running catalog's KPIs on their last values.
func (h *webHandlers) scorecard() scorecard.Scorecard {
	cat := h.c.Catalog()
	if cat == nil {
		return scorecard.Scorecard{At: h.now()}
	}
	states := h.c.States()
	in := make([]scorecard.Input, 0, len(states))
	for _, st := range states {
		k := cat.KPI(st.Name)
		if k == nil { // reloaded in between: the next request sees it
			continue
		}
		x := scorecard.Input{KPI: k, Health: scorecard.HealthDown, LastSuccess: st.LastSuccess, LastError: st.LastError}
		switch {
		case st.Stale:
			x.Health = scorecard.HealthStale
		case st.Up:
			x.Health = scorecard.HealthUp
		}
		x.Series = make([]scorecard.Series, len(st.Values))
		for i, v := range st.Values {
			x.Series[i] = scorecard.Series{Labels: v.Labels, Value: v.Value, Target: v.Target, HasTarget: v.HasTarget}
		}
		in = append(in, x)
	}
	return scorecard.Build(cat, in, h.now())
}

// scorecardJSON serves the scorecard for other tools.
func (h *webHandlers) scorecardJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(h.scorecard()); err != nil {
		h.logger.Debug("write scorecard", "err", err)
	}
}

// renderScorecard renders the scorecard's HTML for the landing page.
func renderScorecard(w io.Writer, sc scorecard.Scorecard) error {
	return scorecardPage.Execute(w, struct {
		scorecard.Scorecard
		JSONPath string
	}{sc, scorecardPath})
}

// landing renders the exporter-toolkit landing page with the scorecard.
// Every value goes through html/template; errors in it were redacted by the
// collector.
func (h *webHandlers) landing(w http.ResponseWriter, r *http.Request) {
	var table bytes.Buffer
	if err := renderScorecard(&table, h.scorecard()); err != nil {
		http.Error(w, "render the scorecard", http.StatusInternalServerError)
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
			{Address: scorecardPath, Text: "Scorecard (JSON)"},
		},
		ExtraHTML: table.String(),
		ExtraCSS:  scorecardCSS,
	})
	if err != nil {
		http.Error(w, "render landing page", http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}
