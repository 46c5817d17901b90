package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// amMessage is the part of Alertmanager's webhook payload the suite reads.
type amMessage struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

// delivery is one webhook call: which hook (the path after /hook/) and when.
type delivery struct {
	Hook string
	At   time.Time
	Msg  amMessage
}

// webhookReceiver records every Alertmanager webhook call it gets, on a
// loopback port. Each catalog webhook is mapped to its own path, so the
// suite knows which team receiver a delivery reached.
type webhookReceiver struct {
	url string
	srv *http.Server

	mu         sync.Mutex
	deliveries []delivery
	errs       []string
}

func startWebhookReceiver(t testing.TB) *webhookReceiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &webhookReceiver{url: "http://" + l.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook/{name}", w.handle)
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.srv.Serve(l) }()
	t.Cleanup(func() {
		_ = w.srv.Close()
		if t.Failed() {
			t.Logf("---- webhook deliveries ----\n%s", w.dump())
		}
	})
	return w
}

// URL is the endpoint for the named hook.
func (w *webhookReceiver) URL(name string) string { return w.url + "/hook/" + name }

func (w *webhookReceiver) handle(rw http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(r.Body)
	var msg amMessage
	if err == nil {
		err = json.Unmarshal(body, &msg)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errs = append(w.errs, r.PathValue("name")+": "+err.Error())
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.deliveries = append(w.deliveries, delivery{Hook: r.PathValue("name"), At: at, Msg: msg})
}

// all returns a copy of the deliveries so far.
func (w *webhookReceiver) all() []delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]delivery(nil), w.deliveries...)
}

// alertSeen is one alert inside one delivery.
type alertSeen struct {
	Hook  string
	At    time.Time
	Alert amAlert
}

// find returns every alert in every delivery (since from) that match has.
func (w *webhookReceiver) find(from time.Time, match func(amAlert) bool) []alertSeen {
	var out []alertSeen
	for _, d := range w.all() {
		if d.At.Before(from) {
			continue
		}
		for _, a := range d.Msg.Alerts {
			if match(a) {
				out = append(out, alertSeen{Hook: d.Hook, At: d.At, Alert: a})
			}
		}
	}
	return out
}

func (w *webhookReceiver) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, d := range w.deliveries {
		b.WriteString(d.At.Format("15:04:05.000") + " " + d.Hook + " " + d.Msg.Status + "\n")
		for _, a := range d.Msg.Alerts {
			lb, _ := json.Marshal(a.Labels)
			an, _ := json.Marshal(a.Annotations)
			b.WriteString("  " + a.Status + " " + string(lb) + " " + string(an) + "\n")
		}
	}
	for _, e := range w.errs {
		b.WriteString("bad payload: " + e + "\n")
	}
	return b.String()
}

// labelsMatch reports whether a has every label in want.
func labelsMatch(a amAlert, want map[string]string) bool {
	for k, v := range want {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}
