package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

func TestMySQLDSN(t *testing.T) {
	d := mysqlDialect{}
	cases := []struct {
		name string
		in   string
	}{
		{"multi-statements are forced off", "kpi:pw@tcp(db:3306)/crm?multiStatements=true"},
		{"local infile is forced off", "kpi:pw@tcp(db:3306)/crm?allowAllFiles=true"},
		{"plain DSN gets parseTime and a dial timeout", "kpi:pw@tcp(db:3306)/crm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := d.DSN(c.in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := mysql.ParseDSN(out)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MultiStatements || cfg.AllowAllFiles || !cfg.ParseTime || cfg.Timeout == 0 {
				t.Fatalf("unsafe config from %q: %+v", out, cfg)
			}
			if cfg.Passwd != "pw" || cfg.DBName != "crm" || cfg.Addr != "db:3306" {
				t.Fatalf("connection details lost: %q", out)
			}
		})
	}
	t.Run("a set dial timeout is kept", func(t *testing.T) {
		out, _ := d.DSN("u:p@tcp(h:1)/d?timeout=3s")
		if cfg, _ := mysql.ParseDSN(out); cfg.Timeout.Seconds() != 3 {
			t.Fatalf("timeout not kept: %q", out)
		}
	})
	t.Run("the session and the driver both run in UTC, over a DSN's own time_zone and loc", func(t *testing.T) {
		out, _ := d.DSN("u:p@tcp(h:1)/d?time_zone=%27%2B08%3A00%27&loc=Asia%2FShanghai")
		cfg, err := mysql.ParseDSN(out)
		if err != nil || cfg.Params["time_zone"] != "'+00:00'" || cfg.Loc != time.UTC {
			t.Fatalf("%q: time_zone %q, loc %v, %v", out, cfg.Params["time_zone"], cfg.Loc, err)
		}
	})
	t.Run("invalid DSN is an error", func(t *testing.T) {
		if _, err := d.DSN("not a dsn"); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("password with special characters is a secret", func(t *testing.T) {
		s := d.Secrets("kpi:p@ss#w:rd/x@tcp(db:3306)/crm")
		if len(s) != 1 || s[0] != "p@ss#w:rd/x" {
			t.Fatalf("secrets = %q", s)
		}
	})
}

func TestPostgresDSN(t *testing.T) {
	d := postgresDialect{}
	cases := []struct {
		name, in string
	}{
		{"URL gets read-only sessions", "postgres://kpi:pw@db:5432/wms?sslmode=disable"},
		{"key=value gets read-only sessions", "host=db port=5432 user=kpi password=pw dbname=wms sslmode=disable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := d.DSN(c.in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := pgx.ParseConfig(out)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.RuntimeParams["default_transaction_read_only"] != "on" || cfg.RuntimeParams["application_name"] != "kpi_exporter" {
				t.Fatalf("runtime params = %v", cfg.RuntimeParams)
			}
			if cfg.Password != "pw" || cfg.Database != "wms" || cfg.Host != "db" {
				t.Fatalf("connection details lost: %q", out)
			}
		})
	}
	t.Run("own application_name is kept", func(t *testing.T) {
		out, _ := d.DSN("postgres://u:p@h/d?application_name=mine")
		cfg, err := pgx.ParseConfig(out)
		if err != nil || cfg.RuntimeParams["application_name"] != "mine" {
			t.Fatalf("%q: %v %v", out, cfg.RuntimeParams, err)
		}
	})
	t.Run("password with special characters is a secret", func(t *testing.T) {
		pw := "p@ss#w:rd/x"
		s := d.Secrets("postgres://kpi:" + url.QueryEscape(pw) + "@db/wms")
		if len(s) != 1 || s[0] != pw {
			t.Fatalf("secrets = %q", s)
		}
	})
}

func TestMSSQLDSN(t *testing.T) {
	d := mssqlDialect{}
	cases := []struct {
		name, in string
		intent   bool
	}{
		{"URL with database gets read-only intent", "sqlserver://kpi:pw@erp-db:1433?database=erp", true},
		{"ADO form with database gets read-only intent", "server=erp-db;user id=kpi;password=pw;database=erp", true},
		{"URL without database gets no intent", "sqlserver://kpi:pw@erp-db:1433", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := d.DSN(c.in)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := msdsn.Parse(out)
			if err != nil {
				t.Fatalf("%q: %v", out, err)
			}
			if cfg.ReadOnlyIntent != c.intent || cfg.AppName != "kpi_exporter" || cfg.Password != "pw" || cfg.Host != "erp-db" {
				t.Fatalf("config from %q: intent %v app %q", out, cfg.ReadOnlyIntent, cfg.AppName)
			}
		})
	}
	t.Run("odbc form is refused with a hint", func(t *testing.T) {
		_, err := d.DSN("odbc:server=h;user id=u;password=p;database=d")
		if err == nil || !strings.Contains(err.Error(), "sqlserver://") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("password is a secret", func(t *testing.T) {
		if s := d.Secrets("sqlserver://kpi:s3cr%40t@h?database=d"); s[0] != "s3cr@t" {
			t.Fatalf("secrets = %q", s)
		}
	})
	t.Run("lock timeout is the server-side timeout", func(t *testing.T) {
		if d.IsTimeout(context.DeadlineExceeded) {
			t.Fatal("a context deadline is not the server's lock timeout")
		}
	})
}

func TestSQLiteDSN(t *testing.T) {
	d := sqliteDialect{}
	cases := []struct {
		name, in, wantPath string
	}{
		{"plain path opens read-only and query-only", "data/kpi.db", "data/kpi.db"},
		{"path with ? and # is escaped", "/tmp/a?b#c.db", "/tmp/a%3Fb%23c.db"},
		{"file URI keeps its parameters", "file:kpi.db?cache=shared&_pragma=query_only(0)&mode=rw", "kpi.db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := d.DSN(c.in)
			if err != nil {
				t.Fatal(err)
			}
			path, query, _ := strings.Cut(strings.TrimPrefix(out, "file:"), "?")
			q, _ := url.ParseQuery(query)
			if path != c.wantPath || q.Get("mode") != "ro" || strings.Join(q["_pragma"], ",") != "query_only(1),busy_timeout(5000)" {
				t.Fatalf("DSN %q", out)
			}
		})
	}
}

// TestDriversAreRegistered opens each dialect's driver with a rewritten DSN;
// sql.Open fails for an unregistered driver name.
func TestDriversAreRegistered(t *testing.T) {
	dsns := map[catalog.Driver]string{
		catalog.DriverSQLite:   "x.db",
		catalog.DriverMySQL:    "u:p@tcp(127.0.0.1:1)/d",
		catalog.DriverPostgres: "postgres://u:p@127.0.0.1:1/d",
		catalog.DriverMSSQL:    "sqlserver://u:p@127.0.0.1:1?database=d",
	}
	for _, drv := range catalog.Drivers {
		t.Run(string(drv), func(t *testing.T) {
			d, err := DialectFor(drv)
			if err != nil {
				t.Fatal(err)
			}
			dsn, err := d.DSN(dsns[drv])
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open(d.DriverName(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
		})
	}
}

func TestRedactorRemovesPasswordInEveryForm(t *testing.T) {
	pw := "p@ss#w:rd/x"
	dsn := "kpi:" + pw + "@tcp(db:3306)/crm"
	r := newRedactor(dsn, mysqlDialect{}.Secrets(dsn))
	for _, text := range []string{
		"dial " + dsn + ": refused",
		"password " + pw + " rejected",
		"url " + url.QueryEscape(pw),
		"url " + url.PathEscape(pw),
	} {
		if got := r.String(text); strings.Contains(got, "ss#w") || strings.Contains(got, url.QueryEscape(pw)) || !strings.Contains(got, redactedText) {
			t.Errorf("%q redacted to %q", text, got)
		}
	}
}

// TestUnparsableDSNErrorsHoldNoPartOfThePassword: a DSN written in another
// driver's form, or with a password that splits it, is refused without the
// driver's message, which could quote any part of it.
func TestUnparsableDSNErrorsHoldNoPartOfThePassword(t *testing.T) {
	const pw = "S3cr@t#:/pw"
	for _, c := range []struct {
		driver catalog.Driver
		dsn    string
	}{
		{catalog.DriverPostgres, "kpi:" + pw + "@tcp(db:3306)/crm"},
		{catalog.DriverMySQL, "postgres://kpi:" + url.QueryEscape(pw) + "@db:5432/wms"},
		{catalog.DriverMSSQL, "odbc:server=db;password=" + pw},
		{catalog.DriverPostgres, "host=db password='" + pw},
	} {
		t.Run(string(c.driver)+" "+c.dsn[:8], func(t *testing.T) {
			cat := loadCatalog(t, fmt.Sprintf(`
sources:
  db: {driver: %s, dsn: %q}
kpis:
  - {name: k, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}
`, c.driver, c.dsn))
			_, err := Open(context.Background(), cat.Source("db"), nil)
			if !errors.Is(err, ErrInvalidDSN) {
				t.Fatalf("err = %v, want ErrInvalidDSN", err)
			}
			for _, frag := range []string{"S3cr", "cr@t", "@t#", "#:/pw", "/pw", "%40t"} {
				if strings.Contains(err.Error(), frag) {
					t.Fatalf("the error %q holds %q, a part of the password", err, frag)
				}
			}
		})
	}
}

// TestValuesFromTheEnvironmentAreRedactedWhereverTheyAppear: pgx names the
// user in a connection error; the user came from ${ENV}, so it is a secret
// although no driver calls a user name one.
func TestValuesFromTheEnvironmentAreRedactedWhereverTheyAppear(t *testing.T) {
	const user = "erp_reader_7c1f"
	cat, err := catalog.Options{LookupEnv: func(name string) (string, bool) { return user, name == "ERP_USER" }}.Parse("test.yml", []byte(`
sources:
  db: {driver: postgres, dsn: "host=127.0.0.1 port=1 user=${ERP_USER} dbname=erp connect_timeout=2"}
kpis:
  - {name: k, unit: count, team: t, source: db, sql: SELECT 1 AS v, value: v}
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = runKPI(t, cat, "k")
	if err == nil {
		t.Fatal("a run against a closed port succeeded")
	}
	if strings.Contains(err.Error(), user) {
		t.Fatalf("the error shows the user from the environment: %v", err)
	}
	if !strings.Contains(err.Error(), redactedText) {
		t.Fatalf("the error %q shows no sign of redaction; does pgx still name the user?", err)
	}
}
