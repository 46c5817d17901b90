package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mysqlDialect serves MySQL and MariaDB. Multi-statements and LOAD DATA LOCAL
// stay off whatever the DSN says; each query runs in START TRANSACTION READ
// ONLY, in a session whose default access mode is READ ONLY too (DDL commits
// the transaction implicitly and would otherwise run outside it), with the
// server's statement time limit set for the session:
// max_statement_time (seconds) on MariaDB, max_execution_time (milliseconds)
// on MySQL. The session's time_zone is UTC ('+00:00', which needs no zone
// tables) and the driver writes bound times in UTC too, so a period
// parameter compared with a TIMESTAMP column selects the same instants
// whatever the server's time zone.
type mysqlDialect struct{}

var _ Dialect = mysqlDialect{}

var _ serverTimed = mysqlDialect{}

func (mysqlDialect) serverEnforcesTimeout() {}

// MySQL and MariaDB error numbers.
const (
	mysqlErrUnknownSystemVariable = 1193
	mysqlErrQueryInterrupted      = 1317
	mariadbErrStatementTimeout    = 1969
	mysqlErrExecutionTimeExceeded = 3024
)

// mysqlDialTimeout bounds connecting when the DSN does not.
const mysqlDialTimeout = 10 * time.Second

func (mysqlDialect) DriverName() string { return "mysql" }

func (mysqlDialect) DSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	cfg.ParseTime = true
	// The driver formats a bound time.Time in cfg.Loc and the server reads
	// it in the session's time_zone: the two must agree.
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	if cfg.Timeout == 0 {
		cfg.Timeout = mysqlDialTimeout
	}
	return cfg.FormatDSN(), nil
}

func (mysqlDialect) Secrets(dsn string) []string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil
	}
	return []string{cfg.Passwd}
}

func (mysqlDialect) Begin(ctx context.Context, db TxBeginner, timeout time.Duration) (*sql.Tx, error) {
	// A DDL statement commits the read-only transaction implicitly and then
	// runs on its own: the session's default access mode must refuse it too.
	tx, err := beginWith(ctx, db, &sql.TxOptions{ReadOnly: true}, "SET SESSION TRANSACTION READ ONLY")
	if err != nil {
		return nil, err
	}
	// MariaDB first; MySQL does not know the variable and takes milliseconds.
	_, err = tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %.3f", timeout.Seconds()))
	if isMySQLError(err, mysqlErrUnknownSystemVariable) {
		_, err = tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_execution_time = %d", millis(timeout)))
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("set statement timeout: %w", err)
	}
	return tx, nil
}

func (mysqlDialect) IsTimeout(err error) bool {
	return isMySQLError(err, mariadbErrStatementTimeout) || isMySQLError(err, mysqlErrExecutionTimeExceeded) ||
		isMySQLError(err, mysqlErrQueryInterrupted)
}

func isMySQLError(err error, number uint16) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == number
}
