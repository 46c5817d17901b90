package rules

import (
	"testing"

	"github.com/prometheus/prometheus/model/rulefmt"
	"gopkg.in/yaml.v3"
)

func TestPrometheusRuleHoldsEveryGroupInALoadableSpec(t *testing.T) {
	s, err := Build(load(t, "../config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.PrometheusRule()
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       rulefmt.RuleGroups
	}
	if err := yaml.Unmarshal(f.Data, &res); err != nil {
		t.Fatal(err)
	}
	if res.APIVersion != "monitoring.coreos.com/v1" || res.Kind != "PrometheusRule" {
		t.Errorf("not a PrometheusRule: %s %s", res.APIVersion, res.Kind)
	}
	spec, err := encodeYAML(res.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if errs := parseFile(RuleFile{Path: PrometheusRuleFile}, spec); len(errs) > 0 {
		t.Errorf("spec does not load as a rule file: %v", errs)
	}
	want := 0
	for _, f := range s.Files {
		want += len(f.Groups)
	}
	if len(res.Spec.Groups) != want {
		t.Errorf("%d groups, want %d", len(res.Spec.Groups), want)
	}
}
