package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// The catalog's own scalar types decode themselves. Their errors are
// *yaml.TypeError, so that yaml.v3 keeps decoding the rest of the document
// and the node walk (walk.go) can report the message at the node's line.

func typeError(format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf(format, args...)}}
}

// describe names what a node is without echoing a value that could be a
// secret: it is used where a whole mapping or list was expected.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true or false"
		}
		return "a string"
	}
	return "an unsupported node"
}

// quote names a scalar by its value, where a scalar of another type was
// expected; other nodes by their kind.
func quote(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return strconv.Quote(n.Value)
	}
	return describe(n)
}

// UnmarshalYAML reads a Prometheus duration such as 30s, 5m or 1d.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return typeError("expected a duration such as 30s, 5m or 1h, got %s", describe(n))
	}
	md, err := model.ParseDuration(n.Value)
	if err != nil {
		return typeError("invalid duration %q: use a number and a unit (ms, s, m, h, d, w), such as 30s or 5m", n.Value)
	}
	if md <= 0 {
		return typeError("duration must be positive, got %q", n.Value)
	}
	*d = Duration(time.Duration(md))
	return nil
}

// UnmarshalYAML reads an absolute threshold (0.8) or a percentage of the
// target (90%).
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	const want = "expected a number or a percentage of the target such as 90%%, got %s"
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return typeError(want, describe(n))
	}
	s := strings.TrimSpace(n.Value)
	th := Threshold{}
	if rest, ok := strings.CutSuffix(s, "%"); ok {
		th.OfTarget, s = true, strings.TrimSpace(rest)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return typeError(want, quote(n))
	}
	if th.OfTarget && f < 0 {
		return typeError("a percentage of the target must not be negative, got %q", n.Value)
	}
	th.Value = f
	*t = th
	return nil
}

// UnmarshalYAML reads a constant target (a number) or a mapping with sql.
func (t *Target) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		type plain Target
		return n.Decode((*plain)(t))
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		f, err := strconv.ParseFloat(n.Value, 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			*t = Target{Value: f}
			return nil
		}
	}
	return typeError("expected a number or a mapping with sql, got %s", quote(n))
}
