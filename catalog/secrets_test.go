package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sourceCatalog is a catalog of one source with the given body and one KPI.
func sourceCatalog(body string) string {
	return "sources:\n  db:\n" + body + oneKPI
}

// fragments are the substrings of s of at least three bytes.
func fragments(s string) []string {
	var out []string
	for i := range len(s) {
		for j := i + 3; j <= len(s); j++ {
			out = append(out, s[i:j])
		}
	}
	return out
}

func TestSecretsAreEveryValueFromTheEnvironmentAndTheURLPassword(t *testing.T) {
	opts := env(map[string]string{"DB_USER": "kpi_reader", "DB_PASSWORD": "Zq%40x%2Fy", "EMPTY": ""})
	c, err := opts.Parse("cat.yml", []byte(sourceCatalog(
		"    driver: postgres\n    dsn: \"postgres://${DB_USER}:${DB_PASSWORD}@db/erp${EMPTY}\"\n")))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Source("db")
	if s.DSN() != "postgres://kpi_reader:Zq%40x%2Fy@db/erp" {
		t.Fatalf("DSN %q", s.DSN())
	}
	want := []string{"kpi_reader", "Zq%40x%2Fy", "Zq@x/y"}
	if got := s.Secrets(); !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q (empty values left out, the decoded password added)", got, want)
	}
}

func TestSecretsHoldTheWholeDSNFile(t *testing.T) {
	dir := t.TempDir()
	dsn := "kpi:Not@URL(form)#x@tcp(db:3306)/erp"
	if err := os.WriteFile(filepath.Join(dir, "dsn"), []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Options{}.Parse(filepath.Join(dir, "cat.yml"), []byte(sourceCatalog("    driver: mysql\n    dsn_file: dsn\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Source("db").Secrets(); !slices.Equal(got, []string{dsn}) {
		t.Errorf("Secrets() = %q, want the file's content", got)
	}
}

func TestLiteralDSNHasNoSecretsButItsURLPassword(t *testing.T) {
	c, err := Options{}.Parse("cat.yml", []byte(sourceCatalog("    driver: sqlite\n    dsn: 'file:x.db?mode=ro'\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Source("db").Secrets(); len(got) != 0 {
		t.Errorf("Secrets() = %q, want none", got)
	}
}

// Each password would be split by net/url: the load refuses it, says how
// to escape it, and shows no three bytes of it.
func TestUnescapedURLPasswordIsRefusedWithoutShowingIt(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, driver, dsn, password string
		from                        string // "dsn", "env" or "file"
	}{
		{"@ and # in a postgres password", "postgres", "postgres://kpi:PW@Zq#x9@db.example.com:5432/erp", "PW@Zq#x9", "dsn"},
		{"/ in a postgres password", "postgres", "postgres://kpi:Pw/Zq9x@db/erp", "Pw/Zq9x", "dsn"},
		{": and ? in a password", "postgres", "postgresql://kpi:Pw:Zq?x9@db/erp", "Pw:Zq?x9", "dsn"},
		{"a broken % escape", "postgres", "postgres://kpi:Pw%zzQx9@db/erp", "Pw%zzQx9", "dsn"},
		{"a space", "mssql", "sqlserver://kpi:Pw Zq x9@db:1433?database=erp", "Pw Zq x9", "dsn"},
		{"from an environment variable", "postgres", "postgres://kpi:${PW}@db/erp", "Sx@#Yz/Qw", "env"},
		{"from a dsn_file", "mssql", "sqlserver://kpi:Fq#9@Wz/@db:1433?database=erp", "Fq#9@Wz/", "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "    driver: " + tc.driver + "\n    dsn: '" + tc.dsn + "'\n"
			key := "sources.db.dsn"
			if tc.from == "file" {
				p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
				if err := os.WriteFile(p, []byte(tc.dsn), 0o600); err != nil {
					t.Fatal(err)
				}
				body, key = "    driver: "+tc.driver+"\n    dsn_file: "+p+"\n", "sources.db.dsn_file"
			}
			es := loadErrors(t, env(map[string]string{"PW": tc.password}), sourceCatalog(body))
			msg := es.Error()
			if len(es) != 1 || es[0].Path != key || !strings.Contains(msg, "percent-encode") || !strings.Contains(msg, "@ as %40") {
				t.Errorf("got %s\nwant one error at %s that says how to escape", msg, key)
			}
			for _, f := range fragments(tc.password) {
				if strings.Contains(msg, f) {
					t.Fatalf("the error shows %q of the password: %s", f, msg)
				}
			}
		})
	}
}

func TestURLDSNsThatAreEscapedOrHaveNoPasswordLoad(t *testing.T) {
	for _, dsn := range []string{
		"postgres://kpi:Zq%40x%23y%2Fz%3A%3F@db.example.com:5432/erp?sslmode=require",
		"postgres://kpi:pa$$w0rd!(ok)*+,;=&'~._-@db/erp",
		"postgres://db.example.com:5432/erp?user=me@corp",
		"postgres://db/erp?options=a@b",
		"postgres://kpi@db/erp",
		"sqlserver://kpi:s3cr%40t@erp-db:1433?database=erp",
		"file:x.db?mode=ro",
		"kpi:p@ss:w/rd#1@tcp(db:3306)/erp", // MySQL form: not a URL
	} {
		t.Run(dsn, func(t *testing.T) {
			if _, err := parse(t, sourceCatalog("    driver: postgres\n    dsn: "+strconv.Quote(dsn)+"\n")); err != nil {
				t.Error(err)
			}
		})
	}
}

// The DSN in the wrong place, or beside other mistakes, is never quoted.
func TestLoadErrorsNeverShowTheDSN(t *testing.T) {
	const secret = "Hx7Qz9Wv"
	for _, tc := range []struct{ name, yml string }{
		{"a source written as a string", "sources:\n  db: 'postgres://kpi:" + secret + "@db/erp'\n" + oneKPI},
		{"a dsn written as a list", sourceCatalog("    driver: postgres\n    dsn: ['postgres://kpi:" + secret + "@db/erp']\n")},
		{"a dsn written as a mapping", sourceCatalog("    driver: postgres\n    dsn: {postgres: 'kpi:" + secret + "'}\n")},
		{"a source with other mistakes", sourceCatalog("    driver: oracle\n    dsn: 'kpi/" + secret + "@db'\n    max_open_conns: -1\n    timeout: never\n")},
		{"a dsn with a missing variable", sourceCatalog("    driver: mysql\n    dsn: 'kpi:" + secret + "${NOPE}@tcp(db)/x'\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := loadErrors(t, Options{LookupEnv: func(string) (string, bool) { return "", false }}, tc.yml).Error()
			for _, f := range fragments(secret) {
				if strings.Contains(msg, f) {
					t.Fatalf("the error shows %q: %s", f, msg)
				}
			}
		})
	}
}

// TestRelativeSQLitePathResolvesAgainstTheCatalogFile: like dsn_file, a
// relative SQLite file (plain or in a file: URI) is read beside the catalog
// file, whatever the working directory; :memory: and absolute paths stay.
func TestRelativeSQLitePathResolvesAgainstTheCatalogFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ dsn, want string }{
		{"kpi.db", filepath.Join(dir, "kpi.db")},
		{"data/kpi.db", filepath.Join(dir, "data", "kpi.db")},
		{"../kpi.db", filepath.Join(filepath.Dir(dir), "kpi.db")},
		{"file:kpi.db?mode=ro", "file:" + filepath.Join(dir, "kpi.db") + "?mode=ro"},
		{"file:kpi.db", "file:" + filepath.Join(dir, "kpi.db")},
		{"/var/lib/kpi.db", "/var/lib/kpi.db"},
		{"file:/var/lib/kpi.db?mode=ro", "file:/var/lib/kpi.db?mode=ro"},
		{":memory:", ":memory:"},
		{"file::memory:?cache=shared", "file::memory:?cache=shared"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			c, err := Options{}.Parse(filepath.Join(dir, "cat.yml"), []byte(sourceCatalog("    driver: sqlite\n    dsn: '"+tc.dsn+"'\n")))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Source("db").DSN(); got != tc.want {
				t.Errorf("DSN() = %q, want %q", got, tc.want)
			}
		})
	}
}
