package rules

import (
	"fmt"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/output"
)

// PrometheusRuleFile is where the Kubernetes resource goes.
const PrometheusRuleFile = "kubernetes/prometheusrule.yml"

// prometheusRule is a prometheus-operator PrometheusRule resource.
type prometheusRule struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       ruleSpec   `yaml:"spec"`
}

type objectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type ruleSpec struct {
	Groups []rulefmt.RuleGroup `yaml:"groups"`
}

// PrometheusRule holds every generated group in one PrometheusRule resource
// for the prometheus-operator; group names are unique across files, so they
// stay unique in one resource.
func (s *Set) PrometheusRule() (output.File, error) {
	r := prometheusRule{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata: objectMeta{
			Name:   "kpi-exporter",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kpi_exporter", "app.kubernetes.io/name": "kpi_exporter"},
		},
	}
	for _, f := range s.Files {
		r.Spec.Groups = append(r.Spec.Groups, f.Groups...)
	}
	data, err := encodeYAML(r)
	if err != nil {
		return output.File{}, fmt.Errorf("encode %s: %w", PrometheusRuleFile, err)
	}
	return output.File{Path: PrometheusRuleFile, Data: data}, nil
}
