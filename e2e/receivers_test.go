package e2e

import (
	"fmt"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
	"github.com/kpi-exporter/kpi_exporter/internal/testproc"
)

// The suite's own instruments are checked before they are trusted.

func TestSMTPReceiver(t *testing.T) {
	inbox := startSMTPReceiver(t)
	// A message shaped as Alertmanager writes one: an encoded subject and a
	// quoted-printable multipart/alternative body.
	msg := "From: kpi-alerts@e2e.example\r\n" +
		"To: sales-oncall@e2e.example\r\n" +
		"Subject: =?utf-8?q?[FIRING:1]_order=5Ffill=5Frate_(north_=E2=86=92_critical)?=\r\n" +
		"Content-Type: multipart/alternative;  boundary=b0\r\n" +
		"MIME-Version: 1.0\r\n\r\n" +
		"--b0\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n" +
		"<b>kpi =3D order_fill_rate</b> a long line that is soft-=\r\nbroken\r\n" +
		"--b0--\r\n"
	sent := time.Now()
	if err := smtp.SendMail(inbox.addr, nil, "kpi-alerts@e2e.example", []string{"sales-oncall@e2e.example", "x@e2e.example"}, []byte(msg)); err != nil {
		t.Fatalf("net/smtp client: %v", err)
	}
	got := inbox.received()
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	m := got[0]
	if m.From != "kpi-alerts@e2e.example" || !slices.Equal(m.To, []string{"sales-oncall@e2e.example", "x@e2e.example"}) {
		t.Errorf("envelope from %q to %v", m.From, m.To)
	}
	if want := "[FIRING:1] order_fill_rate (north → critical)"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if want := "<b>kpi = order_fill_rate</b> a long line that is soft-broken"; !strings.Contains(m.Body, want) {
		t.Errorf("body %q does not hold %q", m.Body, want)
	}
	// Received between sending and reading: an order, not a delay.
	if m.At.Before(sent) || m.At.After(time.Now()) {
		t.Errorf("received at %v, want between the send at %v and now", m.At, sent)
	}
}

func TestAdaptAlertmanager(t *testing.T) {
	in := `global:
  smtp_smarthost: smtp.e2e.example:25
  smtp_from: kpi-alerts@e2e.example
  smtp_require_tls: false
route:
  receiver: sales-notify
  group_by: [kpi]
receivers:
  - name: sales-notify
    webhook_configs:
      - url: http://hooks.e2e.example/sales-notify
        send_resolved: true
    email_configs:
      - to: sales-team@e2e.example
  - name: ops-oncall
    email_configs:
      - to: ops@e2e.example
        smarthost: smtp.e2e.example:25
    webhook_configs:
      - url: http://hooks.e2e.example/ops-oncall
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [kpi]
`
	hookURL := func(name string) string { return "http://127.0.0.1:9/hook/" + name }
	out, hooks, err := adaptAlertmanager([]byte(in), hookURL, "127.0.0.1:2525")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hooks, []string{"sales-notify", "ops-oncall"}) {
		t.Errorf("hooks %v", hooks)
	}
	var got, want map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	wantText := strings.NewReplacer(
		"smtp_smarthost: smtp.e2e.example:25", "smtp_smarthost: 127.0.0.1:2525",
		"smarthost: smtp.e2e.example:25", "smarthost: 127.0.0.1:2525",
		"http://hooks.e2e.example/", "http://127.0.0.1:9/hook/",
	).Replace(in)
	if err := yaml.Unmarshal([]byte(wantText), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("adapted config changed more than the endpoints:\n%s", out)
	}

	for name, bad := range map[string]string{
		"a webhook outside the catalog is refused": strings.Replace(in, "hooks.e2e.example/ops-oncall", "pager.example.com/x", 1),
		"an unknown smarthost is refused":          strings.Replace(in, "smtp_smarthost: smtp.e2e.example:25", "smtp_smarthost: mail.example.com:25", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := adaptAlertmanager([]byte(bad), hookURL, "127.0.0.1:2525"); err == nil {
				t.Error("adapted without error")
			}
		})
	}
}

// The receivers take what the real Alertmanager sends: its webhook JSON and
// its SMTP client's mail.
func TestReceiversTakeAlertmanagersDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Alertmanager; skipped with -short")
	}
	bin := testdb.RequireBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	hooks, inbox := startWebhookReceiver(t), startSMTPReceiver(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  smtp_smarthost: %q
  smtp_from: kpi-alerts@e2e.example
  smtp_require_tls: false
route:
  receiver: probe
  group_by: [kpi]
  group_wait: 0s
receivers:
  - name: probe
    webhook_configs:
      - url: %q
    email_configs:
      - to: probe@e2e.example
`, inbox.addr, hooks.URL("probe"))
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testdb.FreePort(t))
	p := testproc.Start(t, "alertmanager", dir, bin, nil, "--config.file=alertmanager.yml", "--storage.path=data",
		"--web.listen-address="+addr, "--cluster.listen-address=")
	p.WaitHTTP(t, http.DefaultClient, "http://"+addr+"/-/ready", true, time.Minute)

	body := `[{"labels": {"alertname": "Probe", "kpi": "probe_kpi", "severity": "critical"}, "annotations": {"summary": "probe is 50%"}}]`
	resp, err := http.Post("http://"+addr+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post alert: %s", resp.Status)
	}
	eventually(t, 30*time.Second, "the webhook delivery", func() error {
		got := hooks.find(time.Time{}, func(a amAlert) bool { return a.Labels["kpi"] == "probe_kpi" })
		if len(got) == 0 {
			return fmt.Errorf("none yet")
		}
		if got[0].Hook != "probe" || got[0].Alert.Annotations["summary"] != "probe is 50%" || got[0].Alert.Status != "firing" {
			return fmt.Errorf("delivery %+v", got[0])
		}
		return nil
	})
	eventually(t, 30*time.Second, "the email", func() error {
		for _, m := range inbox.received() {
			if slices.Equal(m.To, []string{"probe@e2e.example"}) && strings.Contains(m.Subject, "probe_kpi") && strings.Contains(m.Body, "probe is 50%") {
				return nil
			}
		}
		return fmt.Errorf("none yet: %s", inbox.dump())
	})
}
