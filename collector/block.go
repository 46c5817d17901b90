package collector

import (
	"bytes"
	"compress/flate"
	"sync"
	"sync/atomic"
	"time"
)

// block is the exposition of one KPI run, encoded once when the run ends and
// served as bytes by every scrape until the next run replaces it. A block is
// never changed after it is published, so a scrape sees all of one run's
// series or none of them. The OpenMetrics and compressed forms are made once,
// on first use or in the background after publishing.
type block struct {
	kpi    string
	at     time.Time     // when the run succeeded
	maxAge time.Duration // after at+maxAge the block is no longer served
	text   []byte

	mu     sync.Mutex
	makeOM func() []byte // kept until the OpenMetrics form exists

	om                 lazyBytes
	textDeflate, omDef lazyBytes

	// refs counts the scrapes that hold the block (see acquire), plus
	// retiredRefs once a newer run has replaced it. When it is exactly
	// retiredRefs, nothing reads text any more and free hands it to
	// recycle, for a later run to write into.
	refs    atomic.Int64
	recycle func([]byte)
}

// retiredRefs marks a block's refs once the block is replaced; far above any
// number of concurrent scrapes.
const retiredRefs = 1 << 40

// acquire records a scrape that is about to read the block. The runner calls
// it, under the lock that also guards retire, so that no block is acquired
// once it is retired.
func (b *block) acquire() { b.refs.Add(1) }

// release ends a read started by acquire.
func (b *block) release() {
	if b.refs.Add(-1) == retiredRefs {
		b.free()
	}
}

// retire marks the block replaced by a newer run's.
func (b *block) retire() {
	if b.refs.Add(retiredRefs) == retiredRefs {
		b.free()
	}
}

// free recycles the text buffer. Only the one call that brought refs to
// retiredRefs gets here.
func (b *block) free() {
	if b.recycle != nil {
		b.recycle(b.text)
	}
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

// newBlock publishes text; makeOM writes the same series in OpenMetrics when
// that form is first needed.
func newBlock(kpi string, at time.Time, maxAge time.Duration, text []byte, makeOM func() []byte) *block {
	return &block{kpi: kpi, at: at, maxAge: maxAge, text: text, makeOM: makeOM}
}

// fresh reports whether the block may still be served at now.
func (b *block) fresh(now time.Time) bool { return now.Sub(b.at) <= b.maxAge }

// bytes returns the block in the text format, or in OpenMetrics without the
// final # EOF line.
func (b *block) bytes(openMetrics bool) []byte {
	if !openMetrics {
		return b.text
	}
	return b.om.get(func() []byte {
		b.mu.Lock()
		makeOM := b.makeOM
		b.makeOM = nil // lets the run's series go
		b.mu.Unlock()
		if makeOM == nil {
			return nil
		}
		return makeOM()
	})
}

// deflated returns bytes(openMetrics) as a raw DEFLATE segment that ends on a
// byte boundary without a final block, so that segments can be concatenated
// into one gzip member (see writeGzip).
func (b *block) deflated(openMetrics bool) []byte {
	l := &b.textDeflate
	if openMetrics {
		l = &b.omDef
	}
	return l.get(func() []byte { return deflateSegment(b.bytes(openMetrics)) })
}

// prepare makes every form of the block, so that scrapes find them ready.
func (b *block) prepare() {
	b.deflated(false)
	b.deflated(true)
}

// deflateSegment compresses p into a DEFLATE segment that ends with a sync
// flush: byte-aligned, no final block, no reference to data before it.
func deflateSegment(p []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write(p)
	_ = w.Flush()
	return buf.Bytes()
}
