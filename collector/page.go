package collector

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
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

// page serves /metrics: the live self-metrics, encoded per scrape through a
// registry, followed by the cached blocks of every KPI whose last success is
// fresh. It negotiates the text format or OpenMetrics, and gzip. Nothing here
// waits on a database.
type page struct {
	live prometheus.Gatherer
	// blocks returns the blocks to serve at now, acquired: ServeHTTP
	// releases them once written.
	blocks func(now time.Time) []*block
	now    func() time.Time
	logger *slog.Logger

	flaters sync.Pool // *flate.Writer, for the live part of gzip answers
}

// The formats /metrics offers, in order of preference. Protobuf is not
// offered: the cached blocks are text.
var pageFormats = []expfmt.Format{expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtText}

const openMetricsEOF = "# EOF\n"

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, pageFormats...)
	om := format.FormatType() == expfmt.TypeOpenMetrics

	var live bytes.Buffer
	mfs, err := p.live.Gather()
	if err != nil {
		p.logger.Error("gather self-metrics", "err", err)
	}
	enc := expfmt.NewEncoder(&live, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			p.logger.Error("encode self-metrics", "err", err)
		}
	}
	blocks := p.blocks(p.now())
	defer func() {
		for _, b := range blocks {
			b.release()
		}
	}()

	h := w.Header()
	h.Set("Content-Type", string(format))
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		var seg bytes.Buffer
		fw, _ := p.flaters.Get().(*flate.Writer)
		if fw == nil {
			fw, _ = flate.NewWriter(&seg, flate.BestSpeed)
		} else {
			fw.Reset(&seg)
		}
		_, _ = fw.Write(live.Bytes())
		_ = fw.Flush()
		p.flaters.Put(fw)
		writeGzip(w, live.Bytes(), seg.Bytes(), blocks, om)
		return
	}
	n := live.Len()
	for _, b := range blocks {
		n += len(b.bytes(om))
	}
	if om {
		n += len(openMetricsEOF)
	}
	h.Set("Content-Length", strconv.Itoa(n))
	_, _ = w.Write(live.Bytes())
	for _, b := range blocks {
		_, _ = w.Write(b.bytes(om))
	}
	if om {
		_, _ = io.WriteString(w, openMetricsEOF)
	}
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

// storedBlock is p (shorter than 64 KiB) as a non-final, uncompressed
// DEFLATE block (RFC 1951 3.2.4) that starts and ends on a byte boundary.
func storedBlock(p []byte) []byte {
	n := uint16(len(p))
	out := []byte{0x00, byte(n), byte(n >> 8), byte(^n), byte(^n >> 8)}
	return append(out, p...)
}

// finalDeflateBlock is an empty fixed-Huffman block with BFINAL set: it ends
// a DEFLATE stream made of sync-flushed segments.
var finalDeflateBlock = []byte{0x03, 0x00}

// writeGzip writes one gzip member (RFC 1952) whose DEFLATE stream is the
// live part (liveSeg, compressed by the caller), each block's cached segment
// and, for OpenMetrics, the # EOF line as a stored block. Each segment was
// compressed independently and ends byte-aligned, so their concatenation is
// one valid stream; only the CRC-32 of the uncompressed page is computed per
// scrape.
func writeGzip(w io.Writer, live, liveSeg []byte, blocks []*block, om bool) {
	crc := crc32.Update(0, crc32.IEEETable, live)
	size := uint32(len(live))
	for _, b := range blocks {
		p := b.bytes(om)
		crc = crc32.Update(crc, crc32.IEEETable, p)
		size += uint32(len(p))
	}
	tail := []byte(nil)
	if om {
		tail = []byte(openMetricsEOF)
		crc = crc32.Update(crc, crc32.IEEETable, tail)
		size += uint32(len(tail))
	}
	_, _ = w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	_, _ = w.Write(liveSeg)
	for _, b := range blocks {
		_, _ = w.Write(b.deflated(om))
	}
	if len(tail) > 0 {
		_, _ = w.Write(storedBlock(tail))
	}
	_, _ = w.Write(finalDeflateBlock)
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[0:], crc)
	binary.LittleEndian.PutUint32(trailer[4:], size)
	_, _ = w.Write(trailer[:])
}
