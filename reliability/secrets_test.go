package reliability

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// requirePasswordAuth makes PostgreSQL check passwords on TCP for every user
// but the test's superuser: testdb starts it with trust, where any password
// would do and a password test would prove nothing.
func requirePasswordAuth(t *testing.T, srv *testdb.Server) {
	t.Helper()
	hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(srv.Dir, "data", "pg_hba.conf"), []byte(hba), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.Exec(t, "postgres", "SELECT pg_reload_conf()")
}

const secretsCatalog = `
global: {interval: 1s, timeout: 900ms}
sources:
  maria: {driver: mysql, dsn: "${MARIA_DSN}"}
  maria_wrong: {driver: mysql, dsn: "${MARIA_WRONG_DSN}"}
  maria_multi: {driver: mysql, dsn: "${MARIA_DSN}?multiStatements=true"}
  pg: {driver: postgres, dsn_file: pg.dsn}
  pg_wrong: {driver: postgres, dsn: "${PG_WRONG_DSN}"}
kpis:
  - {name: maria_ok, unit: count, team: t, source: maria, sql: "SELECT COUNT(*) AS v FROM t", value: v}
  - {name: maria_denied, unit: count, team: t, source: maria_wrong, sql: "SELECT 1 AS v", value: v}
  - {name: maria_bad_sql, unit: count, team: t, source: maria, sql: "SELECT nope FROM nowhere", value: v}
  - {name: maria_multi, unit: count, team: t, source: maria_multi, sql: "SELECT COUNT(*) AS v FROM t", value: v}
  - {name: pg_ok, unit: count, team: t, source: pg, sql: "SELECT COUNT(*) AS v FROM t", value: v}
  - {name: pg_denied, unit: count, team: t, source: pg_wrong, sql: "SELECT 1 AS v", value: v}
  - {name: pg_bad_sql, unit: count, team: t, source: pg, sql: "SELECT nope FROM nowhere", value: v}
`

// TestSecretsNeverShown plants a unique password, with @ # : and / in it, in
// MariaDB and PostgreSQL DSNs given through ${ENV} and dsn_file, and looks
// for it in everything kpi_exporter shows: debug logs, /metrics, the landing
// page, the other endpoints, reload errors, and the output of check and
// diff. It also shows that such passwords work.
func TestSecretsNeverShown(t *testing.T) {
	bin := buildExporter(t, false)
	secret := fmt.Sprintf("Pl@nted#%d:se/cret", time.Now().UnixNano())
	wrong := secret + "-but-wrong"

	maria, pg := testdb.StartMariaDB(t), testdb.StartPostgres(t)
	mdb, pdb := maria.CreateDatabase(t, "secrets"), pg.CreateDatabase(t, "secrets")
	for _, s := range []struct {
		srv *testdb.Server
		db  string
	}{{maria, mdb}, {pg, pdb}} {
		s.srv.Exec(t, s.db, "CREATE TABLE t (v INT)", "INSERT INTO t VALUES (1), (2), (3)")
		s.srv.CreateUser(t, "kpi", secret, s.db, "SELECT")
	}
	requirePasswordAuth(t, pg)

	dir := t.TempDir()
	catPath := filepath.Join(dir, "catalog.yml")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("catalog.yml", secretsCatalog)
	write("pg.dsn", pg.UserDSN("kpi", secret, pdb)+"\n")
	env := []string{
		"MARIA_DSN=" + maria.UserDSN("kpi", secret, mdb),
		"MARIA_WRONG_DSN=" + maria.UserDSN("kpi", wrong, mdb),
		"PG_WRONG_DSN=" + pg.UserDSN("kpi", wrong, pdb),
	}

	p := startProcess(t, bin, env, "--config.file="+catPath, "--log.level=debug")
	base := "http://" + p.addr
	p.waitHTTP(t, http.DefaultClient, base+"/-/healthy")
	var s *scrape
	waitFor(t, "the KPIs to run and fail as planned", 30*time.Second, func() bool {
		var err error
		if s, err = scrapeURL(http.DefaultClient, base+"/metrics"); err != nil {
			return false
		}
		return s.kpiErrors("maria_denied", catalog.ReasonConnection) > 0 && s.kpiErrors("pg_denied", catalog.ReasonConnection) > 0 &&
			s.kpiErrors("maria_bad_sql", catalog.ReasonQuery) > 0 && s.kpiErrors("pg_bad_sql", catalog.ReasonQuery) > 0 &&
			s.kpiUp("maria_ok") && s.kpiUp("pg_ok") && s.kpiUp("maria_multi")
	})
	for _, k := range []string{"maria_ok", "maria_multi", "pg_ok"} {
		if v, ok := s.value("kpi_" + k); !ok || v != 3 {
			t.Errorf("%s with a password holding @ # : / = %v (served %v), want 3", k, v, ok)
		}
	}

	shown := map[string]string{"/metrics": s.raw}
	get := func(method, path string) {
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		shown[method+" "+path+" "+resp.Status] = string(body)
	}
	get("GET", "/")
	get("GET", "/-/healthy")
	get("GET", "/-/ready")
	get("POST", "/-/reload")
	// A reload that fails on a DSN: the error must name the source, not the DSN.
	write("catalog.yml", strings.Replace(secretsCatalog, "${MARIA_DSN}\"}", "${MARIA_DSN}?timeout=banana\"}", 1))
	get("POST", "/-/reload")
	write("catalog.yml", secretsCatalog)
	get("POST", "/-/reload")
	get("GET", "/")
	if code := p.stop(); code != 0 {
		t.Errorf("kpi_exporter exited with %d", code)
	}
	shown["logs (debug)"] = p.Log()
	if !strings.Contains(p.Log(), "maria_denied") {
		t.Errorf("the logs never mention the failing KPI: the test would prove nothing\n%s", p.Log())
	}

	out, code := runCommand(t, bin, env, "check", "--config.file="+catPath)
	shown[fmt.Sprintf("check (exit %d)", code)] = out
	out, code = runCommand(t, bin, env, "check", "--config.file="+catPath, "--output=json")
	shown[fmt.Sprintf("check --output=json (exit %d)", code)] = out
	write("new.yml", strings.Replace(secretsCatalog, "SELECT 1 AS v\", value: v}", "SELECT 2 AS v\", value: v}", 1))
	out, code = runCommand(t, bin, env, "diff", catPath, filepath.Join(dir, "new.yml"))
	shown[fmt.Sprintf("diff (exit %d)", code)] = out
	out, code = runCommand(t, bin, env, "diff", "--output=json", catPath, filepath.Join(dir, "new.yml"))
	shown[fmt.Sprintf("diff --output=json (exit %d)", code)] = out

	for where, text := range shown {
		t.Logf("searched %s: %d bytes", where, len(text))
		if os.Getenv("RELIABILITY_SHOW") != "" {
			t.Log(text)
		}
		if containsSecret(text, secret) {
			t.Errorf("%s shows the planted password:\n%s", where, text)
		}
		if text == "" {
			t.Errorf("%s is empty: nothing was searched", where)
		}
	}
}
