package dashboards

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// encoder renders dashboards as JSON. Its scratch buffer is reused from one
// dashboard to the next: what render returns is valid until done is called.
// An encoder is not safe for concurrent use.
//
// It writes with segmentio/encoding's json, which writes the bytes
// encoding/json writes (TestEncoderWritesWhatEncodingJSONWrites) in about
// half the time: encoding/json's reflection was a third of rendering a
// large catalog's dashboards.
type encoder struct {
	buf    bytes.Buffer
	enc    interface{ Encode(any) error }
	indent func(dst *bytes.Buffer, src []byte, prefix, indent string) error
	panels int // panels written to the dashboard being rendered
	errs   []error
}

func newEncoder() *encoder {
	e := &encoder{indent: json.Indent}
	enc := json.NewEncoder(&e.buf)
	enc.SetEscapeHTML(false) // keep PromQL comparisons readable
	e.enc = enc
	return e
}

// keepScratch is the largest scratch buffer an encoder keeps for the next
// dashboard: a team of 500 KPIs needs about 6 MB, and a buffer grown anew
// for each team was a tenth of rendering 10,000 KPIs' dashboards.
const keepScratch = 16 << 20

// render builds and renders a dashboard: its settings indented by two
// spaces, as Grafana exports them, then its panels one per line, each
// compact, closed by a newline. Grafana reads any JSON layout; this one is
// half the size of a fully indented file for a catalog of thousands of KPIs,
// since most of such a file is panels nested four to eight levels deep, and a
// diff of a regenerated dashboard still shows which panels changed.
// The encoder sorts map keys and every slice is built in catalog order, so
// the bytes are deterministic.
//
// Each panel is encoded as soon as it is built and then dropped, so that the
// SDK model of a dashboard of tens of thousands of panels never exists whole,
// and no panel goes through the SDK's PanelOrRowPanel union, whose
// MarshalJSON makes encoding/json marshal, then re-scan every panel.
func (e *encoder) render(b board) ([]byte, error) {
	d, err := b.settings().Build()
	if err != nil {
		return nil, err
	}
	e.buf.Reset()
	if err := e.enc.Encode(d); err != nil {
		return nil, err
	}
	var head bytes.Buffer
	head.Grow(2 * e.buf.Len())
	if err := e.indent(&head, e.buf.Bytes(), "", "  "); err != nil {
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
	if hasFields {
		e.buf.WriteByte(',')
	}
	e.buf.WriteString("\n  \"panels\": [")
	e.panels, e.errs = 0, nil
	b.panels(e)
	if err := errors.Join(e.errs...); err != nil {
		return nil, err
	}
	if e.panels == 0 {
		// No "panels" key, as encoding/json leaves out an empty list.
		e.buf.Truncate(len(fields))
	} else {
		e.buf.WriteString("\n  ]")
	}
	e.buf.WriteString("\n}\n")
	return e.buf.Bytes(), nil
}

// done is called when the bytes render returned are no longer used, before
// the next render.
func (e *encoder) done() {
	if e.buf.Cap() > keepScratch {
		// The overview of a large catalog is many times a team's dashboard:
		// do not hold its buffer for the rest of the run.
		e.buf = bytes.Buffer{}
	}
}

// panel builds, validates and writes the next panel.
func (e *encoder) panel(b cog.Builder[dashboard.Panel]) {
	p, err := b.Build()
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("panel %d: %w", e.panels, err))
		return
	}
	e.write(panelView(withoutDefaults(p)))
}

// row builds, validates and writes the next row header.
func (e *encoder) row(b cog.Builder[dashboard.RowPanel]) {
	r, err := b.Build()
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("panel %d: %w", e.panels, err))
		return
	}
	e.write(r)
}

func (e *encoder) write(v any) {
	if e.panels > 0 {
		e.buf.WriteByte(',')
	}
	e.panels++
	e.buf.WriteString("\n    ")
	if err := e.enc.Encode(v); err != nil {
		e.errs = append(e.errs, fmt.Errorf("panel %d: %w", e.panels-1, err))
		return
	}
	e.buf.Truncate(e.buf.Len() - 1) // Encode's newline
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
