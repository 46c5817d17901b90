package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// testReload: the catalog's stock_accuracy SQL changes (same numbers, new
// definition); after POST /-/reload, Prometheus sees its new definition
// hash, and only its.
func testReload(t *testing.T, x *suite) {
	k, other := x.cat.KPI("stock_accuracy"), x.cat.KPI("order_fill_rate")
	infoHash := func(kpi, want string) func() error {
		return func() error {
			v, err := x.prom.query(fmt.Sprintf(`%s{%s=%q}`, catalog.InfoMetric, catalog.LabelKPI, kpi))
			if err != nil {
				return err
			}
			if len(v) != 1 {
				return fmt.Errorf("%d %s series for %s, want 1: %v", len(v), catalog.InfoMetric, kpi, v)
			}
			if got := v[0].Metric[catalog.LabelDefinitionHash]; got != want {
				return fmt.Errorf("%s of %s is %q, want %q", catalog.LabelDefinitionHash, kpi, got, want)
			}
			return nil
		}
	}
	eventually(t, 30*time.Second, "Prometheus has the first definition hash", infoHash(k.Name, k.DefinitionHash()))

	x.writeCatalog(t, stockSQLChanged)
	changed := loadCatalog(t, x.catalog).KPI(k.Name).DefinitionHash()
	if changed == k.DefinitionHash() {
		t.Fatalf("the changed SQL kept definition hash %s: the test changes nothing", changed)
	}
	x.reload(t)
	eventually(t, 30*time.Second, "Prometheus has the new definition hash", infoHash(k.Name, changed))
	eventually(t, 30*time.Second, "the unchanged KPI keeps its hash", infoHash(other.Name, other.DefinitionHash()))
	eventually(t, 30*time.Second, "the reload is reported successful", func() error {
		v, err := x.prom.query(catalog.SelfReloadSuccessful)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0].Value != 1 {
			return fmt.Errorf("%s = %v, want one series at 1", catalog.SelfReloadSuccessful, v)
		}
		return nil
	})
}
