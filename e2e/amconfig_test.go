package e2e

import (
	"fmt"
	"net/url"
	"path"

	"gopkg.in/yaml.v3"
)

// The catalog's receivers point at hosts that do not exist; these are them.
const (
	catalogHookHost = "hooks.e2e.example"
	catalogSMTPHost = "smtp.e2e.example:25"
)

// adaptAlertmanager rewrites the receiver endpoints of a generated
// alertmanager.yml and nothing else: each webhook URL
// http://hooks.e2e.example/NAME becomes hookURL(NAME), and every SMTP
// smarthost becomes smarthost. It works on the YAML tree, so every other
// byte of meaning (routes, inhibitions, templates) is what the generator
// wrote. It fails on an endpoint it does not know, so nothing can reach the
// outside world.
func adaptAlertmanager(in []byte, hookURL func(name string) string, smarthost string) (out []byte, hooks []string, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse alertmanager.yml: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("alertmanager.yml is not a mapping")
	}
	root := doc.Content[0]
	if g := mapValue(root, "global"); g != nil {
		if v := mapValue(g, "smtp_smarthost"); v != nil {
			if v.Value != catalogSMTPHost {
				return nil, nil, fmt.Errorf("global.smtp_smarthost is %q, want the catalog's %q", v.Value, catalogSMTPHost)
			}
			v.Value = smarthost
		}
	}
	receivers := mapValue(root, "receivers")
	if receivers == nil || receivers.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("alertmanager.yml has no receivers list")
	}
	for _, r := range receivers.Content {
		name := ""
		if n := mapValue(r, "name"); n != nil {
			name = n.Value
		}
		if wcs := mapValue(r, "webhook_configs"); wcs != nil {
			for i, wc := range wcs.Content {
				v := mapValue(wc, "url")
				if v == nil {
					return nil, nil, fmt.Errorf("receiver %q webhook_configs[%d] has no url", name, i)
				}
				u, err := url.Parse(v.Value)
				if err != nil || u.Host != catalogHookHost {
					return nil, nil, fmt.Errorf("receiver %q webhook_configs[%d] url %q is not one of the catalog's", name, i, v.Value)
				}
				hook := path.Base(u.Path)
				v.Value = hookURL(hook)
				hooks = append(hooks, hook)
			}
		}
		if ecs := mapValue(r, "email_configs"); ecs != nil {
			for i, ec := range ecs.Content {
				v := mapValue(ec, "smarthost")
				if v == nil {
					continue // the global smarthost applies
				}
				if v.Value != catalogSMTPHost {
					return nil, nil, fmt.Errorf("receiver %q email_configs[%d] smarthost %q is not the catalog's", name, i, v.Value)
				}
				v.Value = smarthost
			}
		}
	}
	out, err = yaml.Marshal(&doc)
	if err != nil {
		return nil, nil, fmt.Errorf("write alertmanager.yml: %w", err)
	}
	return out, hooks, nil
}

// mapValue returns the value of key in a YAML mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
