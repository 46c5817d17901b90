package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/internal/testdb"
)

// TestReconciliationEndToEnd runs a KPI on MariaDB with its control on
// PostgreSQL through kpi_exporter, Prometheus with the generated rules and
// Alertmanager with the generated routing tree: while the two databases
// agree nothing fires; once a row changes in the ledger only, the
// KPIControlMismatch alert reaches the team's webhook and the KPI's owner's
// mailbox, naming the region that drifted.
func TestReconciliationEndToEnd(t *testing.T) {
	s, built := requireStack(t)
	shop, ledger := testdb.StartMariaDB(t), testdb.StartPostgres(t)
	shop.Exec(t, "", "CREATE DATABASE recon_shop")
	shop.Exec(t, "recon_shop", "CREATE TABLE orders (region VARCHAR(16) NOT NULL, amount DECIMAL(10,2) NOT NULL)",
		"INSERT INTO orders VALUES ('north', 100.25), ('north', 50), ('south', 80)")
	shop.CreateUser(t, "kpi_reader", dbPassword, "recon_shop", "SELECT")
	ledger.Exec(t, "postgres", "CREATE DATABASE ledger")
	ledger.Exec(t, "ledger", "CREATE TABLE ledger (region TEXT NOT NULL, amount NUMERIC(10,2) NOT NULL)",
		"INSERT INTO ledger VALUES ('north', 150.25), ('south', 80)")
	ledger.CreateUser(t, "kpi_reader", dbPassword, "ledger", "SELECT")

	tmpl, err := os.ReadFile(filepath.Join("testdata", "reconcile.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cat := strings.NewReplacer("@SHOP_ADDR@", shop.Addr(), "@LEDGER_HOST@", ledger.Host, "@LEDGER_PORT@", strconv.Itoa(ledger.Port)).Replace(string(tmpl))
	if err := os.WriteFile(s.catalog, []byte(cat), 0o644); err != nil {
		t.Fatal(err)
	}
	k := loadCatalog(t, s.catalog).KPI("booked_revenue")
	hooks, inbox := startWebhookReceiver(t), startSMTPReceiver(t)

	built()
	s.generate(t)
	s.startExporter(t)
	s.startAlertmanager(t, hooks, inbox)
	s.startPrometheus(t)

	diff := k.KPIRecord(catalog.OpControlDifference)
	differences := func(want map[string]float64) func() error {
		return func() error {
			v, err := s.prom.query(diff)
			if err != nil {
				return err
			}
			got, err := byLabel(v, "region")
			if err != nil {
				return err
			}
			return sameValues(got, want, 1e-9)
		}
	}

	t.Run("sources that agree raise nothing", func(t *testing.T) {
		eventually(t, time.Minute, "Prometheus records a zero difference in every region", differences(map[string]float64{"north": 0, "south": 0}))
		// Wait out the alert's for and a delivery: nothing is pending or sent.
		time.Sleep(k.Control.For.D() + 3*time.Second)
		as, err := s.prom.alerts()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Labels["alertname"] == catalog.AlertControlMismatch {
				t.Errorf("%s is %s while the sources agree: %v", catalog.AlertControlMismatch, a.State, a.Labels)
			}
		}
		if got := hooks.find(time.Time{}, func(a amAlert) bool { return a.Labels["alertname"] == catalog.AlertControlMismatch }); len(got) > 0 {
			t.Errorf("a mismatch was delivered while the sources agree:\n%s", hooks.dump())
		}
	})

	t.Run("a drift reaches the owner and the team", func(t *testing.T) {
		ledger.Exec(t, "ledger", "UPDATE ledger SET amount = 70 WHERE region = 'south'")
		changed := time.Now()
		eventually(t, time.Minute, "the difference shows the drift", differences(map[string]float64{"north": 0, "south": 10}))
		want := map[string]string{
			"alertname": catalog.AlertControlMismatch, catalog.LabelKPI: k.Name, catalog.LabelOwner: k.Owner,
			catalog.LabelTeam: k.Team, catalog.LabelSeverity: catalog.SeverityWarning, "region": "south",
		}
		var seen alertSeen
		eventually(t, 2*time.Minute, "the mismatch reaches the team's webhook", func() error {
			found := hooks.find(changed, func(a amAlert) bool { return a.Status == "firing" && labelsMatch(a, want) })
			if len(found) == 0 {
				return fmt.Errorf("no firing %v yet; %s", want, firingState(s, k.Name))
			}
			seen = found[0]
			return nil
		})
		if seen.Hook != "finance-notify" {
			t.Errorf("delivered to hook %s, want finance-notify", seen.Hook)
		}
		if sum := seen.Alert.Annotations["summary"]; !strings.Contains(sum, "south") || !strings.Contains(sum, "70 EUR") || !strings.Contains(sum, "10 EUR") {
			t.Errorf("summary %q does not name the region, the control value 70 EUR and the difference 10 EUR", sum)
		}
		eventually(t, time.Minute, "the owner's e-mail arrives", func() error {
			for _, m := range inbox.received() {
				if m.At.After(changed) && slices.Contains(m.To, k.Owner) && strings.Contains(m.Subject, catalog.AlertControlMismatch) {
					return nil
				}
			}
			return fmt.Errorf("no e-mail to %s about %s; inbox:\n%s", k.Owner, catalog.AlertControlMismatch, inbox.dump())
		})
		for _, a := range hooks.find(time.Time{}, func(a amAlert) bool { return a.Labels["alertname"] == catalog.AlertControlMismatch }) {
			if a.Alert.Labels["region"] != "south" {
				t.Errorf("region %s, which agrees, was alerted: %v", a.Alert.Labels["region"], a.Alert.Labels)
			}
		}
	})
}
