package dashboards

import (
	"bytes"
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// dashboardJSON marshals a dashboard with its panels held directly rather than
// through the SDK's PanelOrRowPanel union, whose MarshalJSON makes
// encoding/json marshal, then re-scan every panel. Grafana reads the same
// document; only the position of the "panels" key differs.
type dashboardJSON struct {
	dashboard.Dashboard
	Panels []any `json:"panels,omitempty"`
}

// encode renders a dashboard as JSON indented by two spaces, with a final
// newline. encoding/json sorts map keys and every slice is built in catalog
// order, so the bytes are deterministic. HTML escaping is off so that PromQL
// comparisons stay readable.
func encode(d dashboard.Dashboard) ([]byte, error) {
	view := dashboardJSON{Dashboard: d, Panels: make([]any, len(d.Panels))}
	for i, p := range d.Panels {
		if p.Panel != nil {
			view.Panels[i] = p.Panel
		} else {
			view.Panels[i] = p.RowPanel
		}
	}
	var buf bytes.Buffer
	buf.Grow(4096 + 3000*len(d.Panels)) // a panel takes 1 to 3 kB: grow once, not log(n) times
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(view); err != nil {
		return nil, err
	}
	return indent(buf.Bytes()), nil
}

// indent re-formats compact, valid JSON exactly as json.Indent(dst, src, "",
// "  ") does, several times faster: it only has to track strings, because
// encoding/json has already validated the document. A test holds it to
// json.Indent on every generated dashboard.
func indent(src []byte) []byte {
	// Indenting roughly doubles the size; allocating for three times once is
	// cheaper than growing a buffer of many megabytes step by step.
	dst := make([]byte, 0, 3*len(src))
	pad := []byte("\n")
	newline := func(depth int) {
		for len(pad) < 1+2*depth {
			pad = append(pad, ' ', ' ')
		}
		dst = append(dst, pad[:1+2*depth]...)
	}
	depth := 0
	for i := 0; i < len(src); {
		// Copy the run of bytes that need no layout in one go.
		j := i
		for j < len(src) && !special(src[j]) {
			j++
		}
		dst = append(dst, src[i:j]...)
		if j == len(src) {
			break
		}
		c := src[j]
		i = j + 1
		switch c {
		case '"':
			// The closing quote is the next one not escaped by an odd run of
			// backslashes.
			k := i
			for {
				k += bytes.IndexByte(src[k:], '"')
				n := 0
				for src[k-1-n] == '\\' {
					n++
				}
				if n%2 == 0 {
					break
				}
				k++
			}
			dst = append(dst, src[j:k+1]...)
			i = k + 1
		case '{', '[':
			dst = append(dst, c)
			if i < len(src) && (src[i] == '}' || src[i] == ']') {
				dst = append(dst, src[i])
				i++
				continue
			}
			depth++
			newline(depth)
		case '}', ']':
			depth--
			newline(depth)
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline(depth)
		case ':':
			dst = append(dst, ':', ' ')
		}
	}
	return dst
}

// special reports whether indent lays out the byte of compact JSON.
func special(c byte) bool {
	switch c {
	case '"', '{', '[', '}', ']', ',', ':':
		return true
	}
	return false
}
