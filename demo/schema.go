package demo

// schemaVersion changes whenever the schema or the generated data change, so
// that an older demo database is rebuilt instead of topped up with rows that
// no longer match it.
const schemaVersion = 2

// The schema is exactly what the KPIs of config.example.yaml read, plus
// demo_meta, which records how far the data reaches. Times are Unix seconds.
const schemaDDL = `
CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE orders (
	ts INTEGER NOT NULL,
	region TEXT NOT NULL,
	status TEXT NOT NULL,
	amount REAL NOT NULL
);
CREATE INDEX orders_ts ON orders (ts);
CREATE TABLE sales_budgets (region TEXT PRIMARY KEY, monthly_budget REAL NOT NULL);
CREATE TABLE sessions (
	ts INTEGER NOT NULL,
	channel TEXT NOT NULL,
	converted INTEGER NOT NULL CHECK (converted IN (0, 1))
);
CREATE INDEX sessions_ts ON sessions (ts);
CREATE TABLE production_runs (
	ts INTEGER NOT NULL,
	line TEXT NOT NULL,
	units INTEGER NOT NULL,
	passed_first INTEGER NOT NULL,
	defects INTEGER NOT NULL
);
CREATE INDEX production_runs_ts ON production_runs (ts);
CREATE TABLE deliveries (
	plant TEXT NOT NULL,
	promised_ts INTEGER NOT NULL,
	delivered_ts INTEGER NOT NULL
);
CREATE INDEX deliveries_delivered_ts ON deliveries (delivered_ts);
CREATE TABLE line_capacity (line TEXT PRIMARY KEY, weekly_capacity INTEGER NOT NULL);
CREATE TABLE tickets (
	id INTEGER PRIMARY KEY,
	channel TEXT NOT NULL,
	priority TEXT NOT NULL,
	opened_ts INTEGER NOT NULL,
	closed_ts INTEGER,
	csat INTEGER CHECK (csat BETWEEN 1 AND 5)
);
CREATE INDEX tickets_closed_ts ON tickets (closed_ts);
CREATE TABLE subscriptions (
	region TEXT NOT NULL,
	due_ts INTEGER NOT NULL,
	renewed INTEGER NOT NULL CHECK (renewed IN (0, 1))
);
CREATE INDEX subscriptions_due_ts ON subscriptions (due_ts);
`

// The keys of demo_meta.
const (
	metaVersion = "schema_version"
	// metaFilled is the first bucket not yet written: the data is complete for
	// every bucket before it, and is a pure function of it.
	metaFilled = "filled_until"
)

// retention is how many buckets each table keeps. Older rows are deleted as
// the data grows, so the database stays small however long the demo runs.
type retention struct {
	long int64 // orders and subscriptions: month-to-date and 30-day windows
	week int64 // production runs, deliveries, tickets: week-to-date and 7-day windows
	day  int64 // sessions: 24-hour windows
}

const day = 24 * 60 * 60 / bucketSeconds

// defaultRetention keeps what the KPI windows of config.example.yaml need,
// plus a margin.
func defaultRetention() retention {
	return retention{long: 40 * day, week: 8 * day, day: 2 * day}
}

// max is the longest retention: how far back a new database reaches.
func (r retention) max() int64 { return max(r.long, r.week, r.day) }

// prune lists each table's deletion of rows older than its retention; the
// one parameter is the first Unix second that table keeps.
func (r retention) prune() []struct {
	keep int64
	sql  string
} {
	return []struct {
		keep int64
		sql  string
	}{
		{r.long, `DELETE FROM orders WHERE ts < ?`},
		{r.day, `DELETE FROM sessions WHERE ts < ?`},
		{r.week, `DELETE FROM production_runs WHERE ts < ?`},
		{r.week, `DELETE FROM deliveries WHERE delivered_ts < ?`},
		{r.week, `DELETE FROM tickets WHERE opened_ts < ?`},
		{r.long, `DELETE FROM subscriptions WHERE due_ts < ?`},
	}
}
