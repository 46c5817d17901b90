package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// query is one KPI both exporters serve: its name, SQL, label columns and
// value column.
type query struct {
	Name   string
	SQL    string
	Labels []string
	Value  string
}

type ourKPI struct {
	Name      string   `yaml:"name"`
	Help      string   `yaml:"help"`
	Unit      string   `yaml:"unit"`
	Owner     string   `yaml:"owner"`
	Team      string   `yaml:"team"`
	Source    string   `yaml:"source"`
	SQL       string   `yaml:"sql"`
	Labels    []string `yaml:"labels"`
	Value     string   `yaml:"value"`
	Direction string   `yaml:"direction"`
	Interval  string   `yaml:"interval"`
	Timeout   string   `yaml:"timeout"`
	MaxSeries int      `yaml:"max_series"`
}

// writeOurCatalog writes a kpi_exporter catalog serving qs from the MariaDB
// at dsn, every interval, loads it back through the real loader (so a
// catalog the exporter would refuse fails here, with its file:line errors)
// and returns it.
func writeOurCatalog(path, dsn string, interval time.Duration, qs []query) (*catalog.Catalog, error) {
	kpis := make([]ourKPI, 0, len(qs))
	for _, q := range qs {
		kpis = append(kpis, ourKPI{
			Name: q.Name, Help: "Benchmark KPI " + q.Name + ".", Unit: "count", Owner: "bench", Team: "bench",
			Source: "bench", SQL: q.SQL, Labels: q.Labels, Value: q.Value, Direction: "higher",
			Interval: durationString(interval), Timeout: durationString(interval * 9 / 10), MaxSeries: 5_000_000,
		})
	}
	doc := map[string]any{
		"global":   map[string]any{"interval": durationString(interval), "timeout": durationString(interval * 9 / 10), "max_series": 5_000_000},
		"alerting": map[string]any{"smtp": map[string]any{"smarthost": "smtp.example.com:587", "from": "kpi@example.com"}},
		"sources": map[string]any{"bench": map[string]any{
			"driver": "mysql", "dsn": dsn, "max_open_conns": 2, "max_concurrent_queries": 2,
		}},
		"teams": map[string]any{"bench": map[string]any{
			"description": "Benchmark", "notify": map[string]any{"email": []any{map[string]any{"to": "bench@example.com"}}},
		}},
		"kpis": kpis,
	}
	if err := writeYAML(path, doc); err != nil {
		return nil, err
	}
	cat, err := catalog.Load(path)
	if err != nil {
		return nil, fmt.Errorf("the benchmark catalog does not load: %w", err)
	}
	return cat, nil
}

// writePeerConfig writes a prometheus-sql-exporter (justwatchcom/sql_exporter
// 0.4) configuration: one job on the same database, the same queries, the
// same interval. Its metrics are named sql_<name>.
func writePeerConfig(path, mysqlDSN string, interval time.Duration, qs []query) error {
	queries := make([]map[string]any, 0, len(qs))
	for _, q := range qs {
		queries = append(queries, map[string]any{
			"name": q.Name, "help": "Benchmark KPI " + q.Name + ".",
			"labels": q.Labels, "values": []string{q.Value}, "query": q.SQL,
		})
	}
	doc := map[string]any{"jobs": []any{map[string]any{
		"name": "bench", "interval": durationString(interval),
		"connections": []string{"mysql://" + mysqlDSN},
		"queries":     queries,
	}}}
	return writeYAML(path, doc)
}

func writeYAML(path string, doc any) error {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// durationString renders d in whole milliseconds, which both exporters'
// duration parsers accept ("1500ms", "30000ms").
func durationString(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}
