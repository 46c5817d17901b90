package rules

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/output"
)

// TestGenerateToWritesWhatBuildAndTestsMake holds the streaming generator,
// which takes each KPI's alerts from the rule file it just built, to the
// rule and test files Build and Set.Tests make from scratch.
func TestGenerateToWritesWhatBuildAndTestsMake(t *testing.T) {
	paths := exampleAndGolden(t)
	for _, p := range paths {
		c := load(t, p)
		s, err := Build(c)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{}
		for _, f := range s.Files {
			data, err := f.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want[f.Path] = data
		}
		tests, err := s.Tests(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tests {
			data, err := f.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want[f.Path] = data
		}
		// The KPI-by-KPI alert lists agree with the rules of each KPI.
		for _, f := range s.Files {
			byKPI := f.alertsByKPI()
			for _, k := range s.kpis[f.Path] {
				got, built := byKPI[k.Name], newKPICtx(c, k).alertRules()
				if len(got) != len(built) {
					t.Fatalf("%s: %s: %d alerts in the file, %d built", p, k.Name, len(got), len(built))
				}
				for i := range got {
					if got[i].Alert != built[i].Alert {
						t.Errorf("%s: %s: alert %d is %s in the file, %s built", p, k.Name, i, got[i].Alert, built[i].Alert)
					}
				}
			}
		}
		var sink output.Files
		if _, err := GenerateTo(c, Options{}, &sink); err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, f := range sink.List() {
			w, ok := want[f.Path]
			if !ok {
				continue
			}
			got++
			if !bytes.Equal(f.Data, w) {
				t.Errorf("%s: %s differs from Build and Tests", p, f.Path)
			}
		}
		if got != len(want) {
			t.Errorf("%s: GenerateTo wrote %d of the %d rule and test files", p, got, len(want))
		}
	}
}

// failingSink fails every write after its first after.
type failingSink struct {
	mu    sync.Mutex
	after int
}

var errSinkFull = errors.New("sink full")

func (s *failingSink) Write(string, []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.after == 0 {
		return errSinkFull
	}
	s.after--
	return nil
}

func TestGenerateToReturnsTheSinksError(t *testing.T) {
	c := load(t, "../config.example.yaml")
	for after := range 4 {
		if _, err := GenerateTo(c, Options{}, &failingSink{after: after}); !errors.Is(err, errSinkFull) {
			t.Errorf("failing after %d files: got %v", after, err)
		}
	}
}

// TestKPIAlertsAreTheRulesAlerts holds KPIAlerts, which builds only the
// alerts, to the alerts among every rule of each KPI.
func TestKPIAlertsAreTheRulesAlerts(t *testing.T) {
	paths := exampleAndGolden(t)
	for _, p := range paths {
		c := load(t, p)
		for _, k := range c.KPIs {
			var want []string
			for _, r := range newKPICtx(c, k).rules() {
				if r.Alert != "" {
					want = append(want, r.Alert+"/"+r.Labels["severity"])
				}
			}
			var got []string
			for _, r := range KPIAlerts(c, k) {
				got = append(got, r.Alert+"/"+r.Labels["severity"])
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: KPIAlerts %v, rules %v", k.Name, got, want)
			}
		}
	}
}
