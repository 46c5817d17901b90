package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// chunkRows is how many rows one INSERT statement writes: a multi-row INSERT
// is several times faster than one statement per row.
const chunkRows = 256

// rowBuffer gathers the rows of one table for one transaction.
type rowBuffer struct {
	table string
	cols  []string
	args  []any // row-major, len(cols) per row
}

func (r *rowBuffer) add(vals ...any) { r.args = append(r.args, vals...) }

// write inserts the buffered rows in chunks of chunkRows.
func (r *rowBuffer) write(ctx context.Context, tx *sql.Tx) error {
	width := len(r.cols)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for args := r.args; len(args) > 0; {
		n := min(len(args)/width, chunkRows)
		query := r.insertSQL(n)
		var err error
		switch {
		case n < chunkRows:
			_, err = tx.ExecContext(ctx, query, args[:n*width]...)
		default:
			if full == nil {
				if full, err = tx.PrepareContext(ctx, query); err != nil {
					return fmt.Errorf("prepare insert into %s: %w", r.table, err)
				}
			}
			_, err = full.ExecContext(ctx, args[:n*width]...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", r.table, err)
		}
		args = args[n*width:]
	}
	return nil
}

func (r *rowBuffer) insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + r.table + " (" + strings.Join(r.cols, ", ") + ") VALUES ")
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.cols)), ", ") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}

// batchRows are the rows of every growing table for one transaction.
type batchRows struct {
	orders, sessions, runs, deliveries, tickets, subscriptions rowBuffer
}

func newBatchRows() *batchRows {
	return &batchRows{
		orders:        rowBuffer{table: "orders", cols: []string{"ts", "region", "status", "amount"}},
		sessions:      rowBuffer{table: "sessions", cols: []string{"ts", "channel", "converted"}},
		runs:          rowBuffer{table: "production_runs", cols: []string{"ts", "line", "units", "passed_first", "defects"}},
		deliveries:    rowBuffer{table: "deliveries", cols: []string{"plant", "promised_ts", "delivered_ts"}},
		tickets:       rowBuffer{table: "tickets", cols: []string{"id", "channel", "priority", "opened_ts", "closed_ts", "csat"}},
		subscriptions: rowBuffer{table: "subscriptions", cols: []string{"region", "due_ts", "renewed"}},
	}
}

// addBucket adds the rows of bucket b of every table whose retention at end
// still holds b. Tickets that close before cutoff are added closed.
func (br *batchRows) addBucket(b, end, cutoff int64, keep retention) {
	if b >= end-keep.long {
		for _, o := range genOrders(b) {
			br.orders.add(o.ts, o.region, o.status, o.amount)
		}
		for _, s := range genSubscriptions(b) {
			br.subscriptions.add(s.region, s.due, s.renewed)
		}
	}
	if b >= end-keep.day {
		for _, s := range genSessions(b) {
			br.sessions.add(s.ts, s.channel, s.converted)
		}
	}
	if b >= end-keep.week {
		for _, r := range genRuns(b) {
			br.runs.add(r.ts, r.line, r.units, r.passedFirst, r.defects)
		}
		for _, d := range genDeliveries(b) {
			br.deliveries.add(d.plant, d.promised, d.delivered)
		}
		if t, ok := genTicket(b); ok {
			if t.closes < cutoff {
				br.tickets.add(t.id, t.channel, t.priority, t.opened, t.closes, csatValue(t))
			} else {
				br.tickets.add(t.id, t.channel, t.priority, t.opened, nil, nil)
			}
		}
	}
}

func (br *batchRows) write(ctx context.Context, tx *sql.Tx) error {
	for _, r := range []*rowBuffer{&br.orders, &br.sessions, &br.runs, &br.deliveries, &br.tickets, &br.subscriptions} {
		if err := r.write(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}
