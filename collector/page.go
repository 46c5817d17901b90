package collector

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// cachedPage is one KPI run's metrics, gathered and encoded by expfmt once,
// in the text format and in OpenMetrics, and served as bytes by every scrape
// until the next run replaces it. It never changes once made, so a scrape
// sees all of one run's series or none of them.
//
// Each form is also kept as a raw DEFLATE segment that ends byte-aligned
// without a final block: a gzip answer is then the live part compressed per
// scrape, followed by the cached segments, in one gzip member (see
// writeGzip). Compressing 100,000 series on every gzip scrape would cost
// more than all the rest of the scrape.
type cachedPage struct {
	at     time.Time     // when the run succeeded
	maxAge time.Duration // after at+maxAge the page is no longer served
	text   []byte
	om     []byte // OpenMetrics, without the final # EOF line
	// The compressed forms are made after the page is published (see
	// prepare), or by the first scrape that needs them.
	textZ, omZ lazyBytes
}

// newCachedPage gathers g and encodes its families.
func newCachedPage(g prometheus.Gatherer, at time.Time, maxAge time.Duration) (*cachedPage, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather series: %w", err)
	}
	var text, om bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&text, mf); err != nil {
			return nil, fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
		if _, err := expfmt.MetricFamilyToOpenMetrics(&om, mf); err != nil {
			return nil, fmt.Errorf("encode %s as OpenMetrics: %w", mf.GetName(), err)
		}
	}
	return &cachedPage{at: at, maxAge: maxAge, text: text.Bytes(), om: om.Bytes()}, nil
}

// fresh reports whether the page may still be served at now.
func (p *cachedPage) fresh(now time.Time) bool { return now.Sub(p.at) <= p.maxAge }

// bytes returns the page in the text format or in OpenMetrics.
func (p *cachedPage) bytes(openMetrics bool) []byte {
	if openMetrics {
		return p.om
	}
	return p.text
}

// deflated returns bytes(openMetrics) as a DEFLATE segment for writeGzip.
func (p *cachedPage) deflated(openMetrics bool) []byte {
	if openMetrics {
		return p.omZ.get(func() []byte { return deflateSegment(p.om) })
	}
	return p.textZ.get(func() []byte { return deflateSegment(p.text) })
}

// prepare makes the compressed forms, so that scrapes find them ready.
func (p *cachedPage) prepare() {
	p.deflated(false)
	p.deflated(true)
}

// lazyBytes is a value computed at most once.
type lazyBytes struct {
	once sync.Once
	b    []byte
}

func (l *lazyBytes) get(f func() []byte) []byte {
	l.once.Do(func() { l.b = f() })
	return l.b
}

// deflateSegment compresses b into a DEFLATE segment that ends with a sync
// flush: byte-aligned, no final block, no reference to data before it.
func deflateSegment(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write(b)
	_ = w.Flush()
	return buf.Bytes()
}

// metricsHandler serves /metrics: the live self-metrics, gathered and encoded
// per scrape, followed by the cached page of every KPI whose last success is
// fresh. It negotiates the text format or OpenMetrics, and gzip. Nothing here
// waits on a database.
type metricsHandler struct {
	live prometheus.Gatherer
	// pages returns the pages to serve at now, in KPI name order.
	pages  func(now time.Time) []*cachedPage
	now    func() time.Time
	logger *slog.Logger

	flaters sync.Pool // *flate.Writer, for the live part of gzip answers
}

// The formats /metrics offers, in order of preference. Protobuf is not
// offered: the cached pages are text.
var pageFormats = []expfmt.Format{expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtText}

const openMetricsEOF = "# EOF\n"

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, pageFormats...)
	om := format.FormatType() == expfmt.TypeOpenMetrics

	var live bytes.Buffer
	mfs, err := h.live.Gather()
	if err != nil {
		h.logger.Error("gather self-metrics", "err", err)
	}
	enc := expfmt.NewEncoder(&live, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.logger.Error("encode self-metrics", "err", err)
		}
	}
	pages := h.pages(h.now())
	tail := ""
	if om {
		tail = openMetricsEOF
	}

	hdr := w.Header()
	hdr.Set("Content-Type", string(format))
	hdr.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hdr.Set("Content-Encoding", "gzip")
		h.writeGzip(w, live.Bytes(), pages, om, tail)
		return
	}
	n := live.Len() + len(tail)
	for _, p := range pages {
		n += len(p.bytes(om))
	}
	hdr.Set("Content-Length", strconv.Itoa(n))
	_, _ = w.Write(live.Bytes())
	for _, p := range pages {
		_, _ = w.Write(p.bytes(om))
	}
	_, _ = io.WriteString(w, tail)
}

func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// writeGzip writes one gzip member (RFC 1952) whose DEFLATE stream is the
// live part and the tail, compressed now, between which come each page's
// cached segment. Every segment ends byte-aligned without a final block, so
// their concatenation is one valid stream; only the CRC-32 of the whole is
// computed per scrape.
func (h *metricsHandler) writeGzip(w io.Writer, live []byte, pages []*cachedPage, om bool, tail string) {
	crc := crc32.ChecksumIEEE(live)
	size := uint32(len(live))
	for _, p := range pages {
		b := p.bytes(om)
		crc = crc32.Update(crc, crc32.IEEETable, b)
		size += uint32(len(b))
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(tail))
	size += uint32(len(tail))

	// Header: magic, DEFLATE, no flags, no time, no extra flags, unknown OS.
	_, _ = w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	var seg bytes.Buffer
	fw := h.flater(&seg)
	_, _ = fw.Write(live)
	_ = fw.Flush()
	_, _ = w.Write(seg.Bytes())
	for _, p := range pages {
		_, _ = w.Write(p.deflated(om))
	}
	// The tail ends the stream: Close writes the final block.
	seg.Reset()
	fw.Reset(&seg)
	_, _ = io.WriteString(fw, tail)
	_ = fw.Close()
	h.flaters.Put(fw)
	_, _ = w.Write(seg.Bytes())
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[0:], crc)
	binary.LittleEndian.PutUint32(trailer[4:], size)
	_, _ = w.Write(trailer[:])
}

// flater returns a pooled DEFLATE writer writing to dst.
func (h *metricsHandler) flater(dst io.Writer) *flate.Writer {
	if fw, _ := h.flaters.Get().(*flate.Writer); fw != nil {
		fw.Reset(dst)
		return fw
	}
	fw, _ := flate.NewWriter(dst, flate.BestSpeed)
	return fw
}
