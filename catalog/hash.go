package catalog

import (
	"encoding/json"

	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

// SQLOptions returns the lexer options for a driver's SQL dialect.
func SQLOptions(d Driver) sqltext.Options {
	return sqltext.OptionsFor(SQLDialect(d))
}

// SQLDialect returns the read-only gate's dialect of a driver; Generic for
// an unknown one.
func SQLDialect(d Driver) sqltext.Dialect {
	switch d {
	case DriverMySQL:
		return sqltext.MySQL
	case DriverPostgres:
		return sqltext.PostgreSQL
	case DriverSQLite:
		return sqltext.SQLite
	case DriverMSSQL:
		return sqltext.MSSQL
	}
	return sqltext.Generic
}

// NormalizedSQL is the KPI's SQL with comments and layout removed, as the
// definition hash and the diff see it.
func (c *Catalog) NormalizedSQL(k *KPI) string {
	return sqltext.Normalize(k.SQL, SQLOptions(c.driverOf(k.Source)))
}

func (c *Catalog) driverOf(source string) Driver {
	if s := c.Source(source); s != nil {
		return s.Driver
	}
	return ""
}

// definitionHash hashes everything that decides a KPI's numbers.
func definitionHash(c *Catalog, k *KPI) string {
	type thresholdDef struct {
		Value    float64 `json:"v"`
		OfTarget bool    `json:"pct"`
	}
	def := struct {
		Source    string        `json:"source"`
		SQL       string        `json:"sql"`
		Labels    []string      `json:"labels"`
		Value     string        `json:"value"`
		Unit      Unit          `json:"unit"`
		Currency  string        `json:"currency,omitempty"`
		Direction Direction     `json:"direction,omitempty"`
		Period    Period        `json:"period,omitempty"`
		Calendar  string        `json:"calendar,omitempty"`
		Accrual   Accrual       `json:"accrual,omitempty"`
		Target    *Target       `json:"target,omitempty"`
		Warning   *thresholdDef `json:"warning,omitempty"`
		Critical  *thresholdDef `json:"critical,omitempty"`
	}{
		Source: k.Source, SQL: c.NormalizedSQL(k), Labels: k.Labels, Value: k.Value,
		Unit: k.Unit, Currency: k.Currency, Direction: k.Direction, Period: k.Period, Accrual: k.Accrual,
	}
	if k.Period != PeriodNone && c.CalendarName(k) != UTCCalendar {
		// Where the period starts decides the numbers; UTC is left out so
		// that catalogs without calendars keep their hashes.
		def.Calendar = c.CalendarName(k)
	}
	if k.Target != nil {
		t := *k.Target
		if t.SQL != "" {
			t.SQL = sqltext.Normalize(t.SQL, SQLOptions(c.driverOf(t.Source)))
		}
		def.Target = &t
	}
	if th := k.Thresholds; th != nil {
		if th.Warning != nil {
			def.Warning = &thresholdDef{th.Warning.Value, th.Warning.OfTarget}
		}
		if th.Critical != nil {
			def.Critical = &thresholdDef{th.Critical.Value, th.Critical.OfTarget}
		}
	}
	b, err := json.Marshal(def)
	if err != nil {
		panic("catalog: marshal definition: " + err.Error())
	}
	return shortHash(string(b))
}
