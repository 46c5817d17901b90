package rules

import (
	"github.com/prometheus/prometheus/model/rulefmt"
)

// prometheusRuleFile is where the Kubernetes resource goes.
const prometheusRuleFile = "kubernetes/prometheusrule.yml"

// PrometheusRule is a prometheus-operator PrometheusRule resource.
type PrometheusRule struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   ObjectMeta `yaml:"metadata"`
	Spec       RuleSpec   `yaml:"spec"`
}

// ObjectMeta is the part of Kubernetes' object metadata the resource sets.
type ObjectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

// RuleSpec holds the rule groups of a PrometheusRule.
type RuleSpec struct {
	Groups []rulefmt.RuleGroup `yaml:"groups"`
}

// prometheusRule holds every group of files in one PrometheusRule resource
// for the prometheus-operator; group names are unique across files, so they
// stay unique in one resource.
func prometheusRule(files []RuleFile) *PrometheusRule {
	r := &PrometheusRule{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata: ObjectMeta{
			Name:   "kpi-exporter",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kpi_exporter", "app.kubernetes.io/name": "kpi_exporter"},
		},
	}
	for _, f := range files {
		r.Spec.Groups = append(r.Spec.Groups, f.Groups...)
	}
	return r
}
