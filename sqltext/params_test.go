package sqltext

import (
	"slices"
	"testing"
)

func TestBind(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		d           Dialect
		want        string
		names       []string
	}{
		{"MySQL gets question marks", "SELECT SUM(v) AS v FROM t WHERE ts >= :period_start AND ts < :period_end",
			MySQL, "SELECT SUM(v) AS v FROM t WHERE ts >= ? AND ts < ?", []string{"period_start", "period_end"}},
		{"PostgreSQL gets numbered placeholders and keeps its :: cast", "SELECT COUNT(*) AS v FROM t WHERE d >= :period_start_date::date AND ts < :now",
			PostgreSQL, "SELECT COUNT(*) AS v FROM t WHERE d >= $1::date AND ts < $2", []string{"period_start_date", "now"}},
		{"SQL Server gets @p placeholders", "SELECT 1 AS v WHERE :now > :period_start",
			MSSQL, "SELECT 1 AS v WHERE @p1 > @p2", []string{"now", "period_start"}},
		{"SQLite gets question marks, a parameter used twice is bound twice", "SELECT :now_unix - :period_start_unix AS v, :now_unix AS w",
			SQLite, "SELECT ? - ? AS v, ? AS w", []string{"now_unix", "period_start_unix", "now_unix"}},
		{"a :name in a string, a comment or a quoted identifier stays", "SELECT ':now' AS \":period_end\" -- :period_start\n/* :x */ FROM t WHERE a = :now",
			PostgreSQL, "SELECT ':now' AS \":period_end\" -- :period_start\n/* :x */ FROM t WHERE a = $1", []string{"now"}},
		{"an array slice and a MySQL assignment are not parameters", "SELECT a[1:n] AS v, (a)[2:m] AS w, a[:n] AS z, @x:=1 AS y FROM t",
			PostgreSQL, "SELECT a[1:n] AS v, (a)[2:m] AS w, a[:n] AS z, @x:=1 AS y FROM t", nil},
		{"a MySQL # comment hides a parameter", "SELECT 1 AS v # :now\nFROM t",
			MySQL, "SELECT 1 AS v # :now\nFROM t", nil},
		{"SQL without parameters is returned unchanged", "SELECT 1 AS v", Generic, "SELECT 1 AS v", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, names := Bind(tc.query, tc.d)
			if got != tc.want || !slices.Equal(names, tc.names) {
				t.Errorf("Bind(%q) = %q %q, want %q %q", tc.query, got, names, tc.want, tc.names)
			}
		})
	}
}
