package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const applyCatalog = `
sources:
  a: {driver: sqlite, dsn: %q}
  b: {driver: sqlite, dsn: %q}
kpis:
  - {name: kept, unit: count, team: t, source: a, sql: SELECT 1 AS v, value: v, interval: 10s}
  - {name: changed, unit: count, team: t, source: a, sql: %q, value: v, interval: 10s}
  - {name: %s, unit: count, team: t, source: b, sql: SELECT 3 AS v, value: v, interval: 10s}
`

func TestApplyKeepsWhatDidNotChange(t *testing.T) {
	pa, pb := sqliteFile(t), sqliteFile(t)
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(applyCatalog, pa, pb, "SELECT 2 AS v", "removed"))
	waitFor(t, "runs scheduled", func() bool { return clock.pending() == 3 })
	clock.Advance(maxStartJitter)
	waitFor(t, "first runs", func() bool {
		return runsOf(c, "kept") == 1 && runsOf(c, "changed") == 1 && runsOf(c, "removed") == 1
	})
	oldRunners := map[string]*runner{}
	for _, r := range c.view.Load().runners {
		oldRunners[r.k.Name] = r
	}
	srcA, srcB := c.sources["a"], c.sources["b"]

	if err := c.Apply(context.Background(), loadCatalog(t, fmt.Sprintf(applyCatalog, pa, pb, "SELECT 20 AS v", "added"))); err != nil {
		t.Fatal(err)
	}
	now := map[string]*runner{}
	for _, r := range c.view.Load().runners {
		now[r.k.Name] = r
	}
	t.Run("unchanged sources keep their pools", func(t *testing.T) {
		if c.sources["a"] != srcA || c.sources["b"] != srcB {
			t.Fatal("a pool was reopened")
		}
	})
	t.Run("unchanged KPI keeps running with its values", func(t *testing.T) {
		if now["kept"] != oldRunners["kept"] {
			t.Fatal("kept KPI restarted")
		}
		body, _ := scrape(t, c.Handler())
		if !strings.Contains(body, "kpi_kept 1") {
			t.Fatal("kept KPI lost its value")
		}
	})
	t.Run("changed KPI restarts", func(t *testing.T) {
		if now["changed"] == oldRunners["changed"] || now["changed"] == nil {
			t.Fatal("changed KPI kept its old runner")
		}
	})
	t.Run("new and changed KPIs are served as soon as the reload returns", func(t *testing.T) {
		body, _ := scrape(t, c.Handler())
		for _, want := range []string{"kpi_added 3", "kpi_changed 20"} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q right after the reload: a scrape would show the new catalog half collected", want)
			}
		}
		if strings.Contains(body, "kpi_changed 2\n") {
			t.Error("the changed KPI still serves its old definition's value")
		}
	})
	t.Run("removed KPI stops", func(t *testing.T) {
		select {
		case <-oldRunners["removed"].done:
		case <-time.After(5 * time.Second):
			t.Fatal("removed KPI still runs")
		}
		if now["removed"] != nil || now["added"] == nil {
			t.Fatal("view not updated")
		}
		body, _ := scrape(t, c.Handler())
		if strings.Contains(body, "kpi_removed") || strings.Contains(body, `kpi="removed"`) {
			t.Fatal("removed KPI still exported")
		}
	})
}

func TestApplyWithABadSourceKeepsTheRunningCatalog(t *testing.T) {
	pa, pb := sqliteFile(t), sqliteFile(t)
	clock := newFakeClock()
	c := startCollector(t, clock, fmt.Sprintf(applyCatalog, pa, pb, "SELECT 2 AS v", "removed"))
	before := c.view.Load()
	bad := loadCatalog(t, `
sources:
  a: {driver: mysql, dsn: "not a mysql dsn"}
kpis:
  - {name: kept, unit: count, team: t, source: a, sql: SELECT 1 AS v, value: v}
`)
	err := c.Apply(context.Background(), bad)
	if !errors.Is(err, ErrInvalidDSN) {
		t.Fatalf("err = %v", err)
	}
	if c.view.Load() != before || c.sources["a"] == nil || c.sources["a"].cfg.Driver != "sqlite" {
		t.Fatal("a failed Apply changed the running catalog")
	}
}
