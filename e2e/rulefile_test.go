package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// rule is the part of a generated Prometheus rule the suite reads: enough to
// find an alert's `for` and the staleness alerts, without trusting anything
// but the files Prometheus itself loads.
type rule struct {
	Record        string            `yaml:"record"`
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           model.Duration    `yaml:"for"`
	KeepFiringFor model.Duration    `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
	File          string            `yaml:"-"`
	Group         string            `yaml:"-"`
}

// readRules reads every rule of the rule files in dir (not its tests/).
func readRules(dir string) ([]rule, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no rule files in %s", dir)
	}
	var out []rule
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Groups []struct {
				Name  string `yaml:"name"`
				Rules []rule `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				r.File, r.Group = filepath.Base(f), g.Name
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// alertRules returns the alerting rules named name.
func alertRules(rules []rule, name string) []rule {
	var out []rule
	for _, r := range rules {
		if r.Alert == name {
			out = append(out, r)
		}
	}
	return out
}

// maxFor is the longest `for` among rules.
func maxFor(rules []rule) time.Duration {
	var d time.Duration
	for _, r := range rules {
		d = max(d, time.Duration(r.For))
	}
	return d
}
