package rules

import (
	"testing"

	"github.com/prometheus/prometheus/model/rulefmt"
	"gopkg.in/yaml.v3"
)

func TestPrometheusRuleHoldsEveryGroupInALoadableSpec(t *testing.T) {
	c := load(t, "../config.example.yaml")
	out, err := Generate(c, Options{PrometheusRule: true})
	if err != nil {
		t.Fatal(err)
	}
	data := fileData(t, generate(t, c, Options{PrometheusRule: true}), prometheusRuleFile)
	var res struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       rulefmt.RuleGroups
	}
	if err := yaml.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.APIVersion != "monitoring.coreos.com/v1" || res.Kind != "PrometheusRule" {
		t.Errorf("not a PrometheusRule: %s %s", res.APIVersion, res.Kind)
	}
	if _, errs := validate(RuleFile{Path: prometheusRuleFile, Groups: res.Spec.Groups}); len(errs) > 0 {
		t.Errorf("spec does not load as a rule file: %v", errs)
	}
	want := 0
	for _, f := range out.RuleFiles {
		want += len(f.Groups)
	}
	if len(res.Spec.Groups) != want {
		t.Errorf("%d groups, want %d", len(res.Spec.Groups), want)
	}
}
