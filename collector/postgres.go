package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
)

// postgresDialect serves PostgreSQL through pgx. Every session starts with
// default_transaction_read_only on, each query runs in BEGIN READ ONLY, and
// SET LOCAL statement_timeout makes the server cancel a query that outlives
// its timeout.
type postgresDialect struct{}

var _ Dialect = postgresDialect{}

var _ serverTimed = postgresDialect{}

func (postgresDialect) serverEnforcesTimeout() {}

// pgQueryCanceled is SQLSTATE query_canceled, which statement_timeout raises.
const pgQueryCanceled = "57014"

// postgresParams are the runtime parameters forced on every session.
var postgresParams = [][2]string{
	{"default_transaction_read_only", "on"},
	{"application_name", "kpi_exporter"},
}

func (postgresDialect) DriverName() string { return "pgx" }

// DSN accepts both forms pgx does, a URL or key=value pairs, and adds the
// runtime parameters. A DSN's own application_name is kept.
func (postgresDialect) DSN(dsn string) (string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		for _, p := range postgresParams {
			if p[0] == "application_name" && cfg.RuntimeParams[p[0]] != "" {
				continue
			}
			q.Set(p[0], p[1])
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	var b strings.Builder
	b.WriteString(dsn)
	for _, p := range postgresParams {
		if p[0] == "application_name" && cfg.RuntimeParams[p[0]] != "" {
			continue
		}
		fmt.Fprintf(&b, " %s=%s", p[0], p[1])
	}
	return b.String(), nil
}

func (postgresDialect) Secrets(dsn string) []string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil
	}
	return []string{cfg.Password}
}

func (postgresDialect) Begin(ctx context.Context, db TxBeginner, timeout time.Duration) (*sql.Tx, error) {
	return beginWith(ctx, db, &sql.TxOptions{ReadOnly: true}, fmt.Sprintf("SET LOCAL statement_timeout = %d", millis(timeout)))
}

func (postgresDialect) IsTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgQueryCanceled
}
