package dashboards

import (
	"bytes"
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// encoder renders dashboards as JSON. Its scratch buffer is reused from one
// dashboard to the next, so that each rendered file is allocated once, at its
// exact size; an encoder is not safe for concurrent use.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false) // keep PromQL comparisons readable
	return e
}

// encode renders a dashboard: its settings indented by two spaces, as Grafana
// exports them, then its panels one per line, each compact, closed by a
// newline. Grafana reads any JSON layout; this one is half the size of a fully
// indented file for a catalog of thousands of KPIs, since most of such a file
// is panels nested four to eight levels deep, and a diff of a regenerated
// dashboard still shows which panels changed. encoding/json sorts map keys and
// every slice is built in catalog order, so the bytes are deterministic.
//
// Panels are encoded one by one rather than through the SDK's
// PanelOrRowPanel union, whose MarshalJSON makes encoding/json marshal, then
// re-scan every panel.
func (e *encoder) encode(d dashboard.Dashboard) ([]byte, error) {
	e.buf.Reset()
	panels := d.Panels
	d.Panels = nil
	if err := e.enc.Encode(d); err != nil {
		return nil, err
	}
	var head bytes.Buffer
	head.Grow(2 * e.buf.Len())
	if err := json.Indent(&head, e.buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	// Reopen the indented object to append the panels to it.
	fields := bytes.TrimSuffix(head.Bytes(), []byte("\n}\n"))
	hasFields := len(fields) < head.Len()
	if !hasFields {
		fields = []byte("{")
	}
	e.buf.Reset()
	e.buf.Write(fields)
	if len(panels) > 0 {
		if hasFields {
			e.buf.WriteByte(',')
		}
		e.buf.WriteString("\n  \"panels\": [")
		for i, p := range panels {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.buf.WriteString("\n    ")
			var err error
			if p.Panel != nil {
				err = e.enc.Encode(panelView(withoutDefaults(*p.Panel)))
			} else {
				err = e.enc.Encode(p.RowPanel)
			}
			if err != nil {
				return nil, err
			}
			e.buf.Truncate(e.buf.Len() - 1) // Encode's newline
		}
		e.buf.WriteString("\n  ]")
	}
	e.buf.WriteString("\n}\n")
	return bytes.Clone(e.buf.Bytes()), nil
}

// withoutDefaults leaves out what the SDK sets on every panel to Grafana's own
// default: not transparent, repeated horizontally. Grafana fills both in when
// it loads the panel.
func withoutDefaults(p dashboard.Panel) dashboard.Panel {
	if p.Transparent != nil && !*p.Transparent {
		p.Transparent = nil
	}
	if p.Repeat == nil && p.RepeatDirection != nil && *p.RepeatDirection == dashboard.PanelRepeatDirectionH {
		p.RepeatDirection = nil
	}
	return p
}

// panelJSON holds a panel whose links are written as Grafana writes panel
// links, a title and a URL, rather than as the SDK's DashboardLink, whose
// nine other fields only apply to links in a dashboard's header. On the
// overview of a large catalog they were an eighth of the file. The "links"
// key moves to the end of the panel.
type panelJSON struct {
	dashboard.Panel
	Links []panelLink `json:"links,omitempty"`
}

type panelLink struct {
	Title string  `json:"title"`
	URL   *string `json:"url,omitempty"`
}

// panelView returns the panel with its links written plainly when every link
// is a plain title and URL; otherwise the panel unchanged.
func panelView(p dashboard.Panel) any {
	if len(p.Links) == 0 {
		return p
	}
	links := make([]panelLink, len(p.Links))
	for i, l := range p.Links {
		if !plainLink(l) {
			return p
		}
		links[i] = panelLink{Title: l.Title, URL: l.Url}
	}
	return panelJSON{Panel: p, Links: links}
}

// plainLink reports whether a link sets nothing but its title and URL.
func plainLink(l dashboard.DashboardLink) bool {
	return l.Type == "" && l.Icon == "" && l.Tooltip == "" && len(l.Tags) == 0 && !l.AsDropdown &&
		(l.Placement == nil || *l.Placement == dashboard.DashboardLinkPlacementInControlsMenu) &&
		!l.TargetBlank && !l.IncludeVars && !l.KeepTime
}
