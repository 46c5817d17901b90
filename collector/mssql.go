package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// mssqlDialect serves SQL Server through go-mssqldb. SQL Server has no
// read-only transaction: each query runs in a transaction that is always
// rolled back, with ApplicationIntent=ReadOnly (routing to a readable
// secondary where one exists) and SET LOCK_TIMEOUT so that a blocked query
// fails on the server instead of holding the connection. Give the login only
// read permissions (db_datareader): that is the real guarantee.
type mssqlDialect struct{}

var _ Dialect = mssqlDialect{}

// mssqlErrLockTimeout is "Lock request time out period exceeded".
const mssqlErrLockTimeout = 1222

func (mssqlDialect) DriverName() string { return "sqlserver" }

// DSN accepts the URL form (sqlserver://user:pass@host?database=db) and the
// ADO form (server=host;user id=...;password=...). ApplicationIntent=ReadOnly
// is added when the DSN names a database (the driver requires one for it).
func (mssqlDialect) DSN(dsn string) (string, error) {
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return "", err
	}
	add := map[string]string{}
	if cfg.Database != "" && !cfg.ReadOnlyIntent && !hasMSSQLParam(dsn, "applicationintent") {
		add["ApplicationIntent"] = "ReadOnly"
	}
	if !hasMSSQLParam(dsn, "app name") {
		add["app name"] = "kpi_exporter"
	}
	if strings.HasPrefix(dsn, "sqlserver://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		for k, v := range add {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	if strings.HasPrefix(dsn, "odbc:") {
		return "", errors.New("the odbc: DSN form is not supported; use sqlserver://user:password@host?database=name")
	}
	out := strings.TrimRight(dsn, "; ")
	for _, k := range []string{"ApplicationIntent", "app name"} {
		if v, ok := add[k]; ok {
			out += ";" + k + "=" + v
		}
	}
	return out, nil
}

func hasMSSQLParam(dsn, key string) bool {
	return strings.Contains(strings.ToLower(dsn), key+"=")
}

func (mssqlDialect) Secrets(dsn string) []string {
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return nil
	}
	return []string{cfg.Password, cfg.ChangePassword}
}

func (mssqlDialect) Begin(ctx context.Context, db TxBeginner, timeout time.Duration) (*sql.Tx, error) {
	return beginWith(ctx, db, nil, fmt.Sprintf("SET LOCK_TIMEOUT %d", millis(timeout)))
}

func (mssqlDialect) IsTimeout(err error) bool {
	var me mssql.Error
	return errors.As(err, &me) && me.Number == mssqlErrLockTimeout
}
