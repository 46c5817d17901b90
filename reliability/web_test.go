package reliability

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const webCatalog = `
global: {interval: 1s, timeout: 900ms}
sources:
  local: {driver: sqlite, dsn: %q}
kpis:
  - {name: web_secret_kpi, unit: count, team: t, source: local, sql: "SELECT 42 AS v", value: v}
`

// selfSignedCert writes a certificate and key for 127.0.0.1 into dir and
// returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kpi_exporter test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestWebAccessNeedsTLSAndAuth runs kpi_exporter with --web.config.file (TLS
// and a bcrypt basic-auth user) and checks that every endpoint, the landing
// page included, refuses anonymous and wrong-password requests with a 401
// that reveals nothing, answers the right password, and that /-/reload only
// takes POST. A second exporter shows that the flag turns reload off.
func TestWebAccessNeedsTLSAndAuth(t *testing.T) {
	bin := buildExporter(t, false)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("right-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+
		"\nbasic_auth_users:\n  admin: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	catPath := filepath.Join(dir, "catalog.yml")
	if err := os.WriteFile(catPath, []byte(strings.ReplaceAll(webCatalog, "%q", `"`+sqliteFile(t, "CREATE TABLE x (v INT)")+`"`)), 0o600); err != nil {
		t.Fatal(err)
	}

	p := startProcess(t, bin, nil, "--config.file="+catPath, "--web.config.file="+webConfig)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + p.addr
	p.waitHTTP(t, client, base+"/-/healthy")

	do := func(method, path, user, pw string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// Wait for the KPI, so that a leak of it would show.
	waitFor(t, "the KPI to be served", hangBound, func() bool {
		code, body := do("GET", "/metrics", "admin", "right-pw")
		return code == 200 && strings.Contains(body, "kpi_web_secret_kpi 42")
	})

	endpoints := []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/metrics"}, {"GET", "/-/healthy"}, {"GET", "/-/ready"}, {"POST", "/-/reload"}, {"GET", "/no/such/page"},
	}
	for _, ep := range endpoints {
		for _, cred := range []struct{ name, user, pw string }{
			{"anonymous", "", ""}, {"wrong password", "admin", "wrong-pw"}, {"unknown user", "root", "right-pw"},
		} {
			code, body := do(ep.method, ep.path, cred.user, cred.pw)
			if code != http.StatusUnauthorized {
				t.Errorf("%s %s as %s: %d, want 401", ep.method, ep.path, cred.name, code)
			}
			for _, leak := range []string{"web_secret_kpi", "kpi_", "Healthy", "Ready", "catalog"} {
				if strings.Contains(body, leak) {
					t.Errorf("%s %s as %s: the 401 reveals %q: %s", ep.method, ep.path, cred.name, leak, body)
				}
			}
		}
		code, _ := do(ep.method, ep.path, "admin", "right-pw")
		want := http.StatusOK
		if ep.path == "/no/such/page" {
			want = http.StatusNotFound
		}
		if code != want {
			t.Errorf("%s %s with the right password: %d, want %d", ep.method, ep.path, code, want)
		}
	}
	if code, body := do("GET", "/", "admin", "right-pw"); !strings.Contains(body, "web_secret_kpi") {
		t.Errorf("the landing page with the right password does not list the KPI (%d)", code)
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if code, _ := do(m, "/-/reload", "admin", "right-pw"); code != http.StatusMethodNotAllowed {
			t.Errorf("%s /-/reload: %d, want 405", m, code)
		}
	}
	// Plain HTTP on the TLS port gets nothing.
	if resp, err := http.Get("http://" + p.addr + "/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "kpi_") {
			t.Errorf("plain HTTP: %s %.200s", resp.Status, body)
		}
	}

	// --no-web.enable-reload-endpoint: POST /-/reload is refused and the
	// catalog on disk is not loaded; SIGHUP still reloads.
	q := startProcess(t, bin, nil, "--config.file="+catPath, "--no-web.enable-reload-endpoint")
	qbase := "http://" + q.addr
	q.waitHTTP(t, http.DefaultClient, qbase+"/-/healthy")
	if err := os.WriteFile(catPath, []byte("kpis: [{name: broken}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(qbase+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		t.Errorf("POST /-/reload with the endpoint disabled: %s, want a refusal", resp.Status)
	}
	s, err := scrapeURL(http.DefaultClient, qbase+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.value("kpi_exporter_config_reloads_total", "result=failure"); v != 0 {
		t.Errorf("a disabled reload endpoint still reloaded (failures %v)", v)
	}
	if err := q.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "SIGHUP to try the broken catalog", hangBound, func() bool {
		s, err := scrapeURL(http.DefaultClient, qbase+"/metrics")
		if err != nil {
			return false
		}
		failures, _ := s.value("kpi_exporter_config_reloads_total", "result=failure")
		ok, _ := s.value("kpi_exporter_config_last_reload_successful")
		v, served := s.value("kpi_web_secret_kpi")
		return failures == 1 && ok == 0 && served && v == 42
	})
}
