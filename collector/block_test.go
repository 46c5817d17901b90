package collector

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// TestRecycledTextIsNeverOverwrittenWhileServed publishes runs as fast as it
// can, each writing its own byte into the recycled text buffer, while
// scrapers read the served block. A buffer handed back while a scrape still
// read it would show bytes of two runs (and, under -race, a data race).
func TestRecycledTextIsNeverOverwrittenWhileServed(t *testing.T) {
	cat := loadCatalog(t, "sources: {db: {driver: sqlite, dsn: x.db}}\nkpis:\n"+kpiYAML(1))
	r := newRunner(cat.KPIs[0], cat, nil, "", realClock{}, discardLogger())
	const size = 64 << 10
	publish := func(run int) {
		text := r.textBuffer(size)
		for range size {
			text = append(text, byte('a'+run%26))
		}
		b := r.newBlock(&Result{}, text, time.Now())
		r.mu.Lock()
		r.setBlockLocked(b)
		r.mu.Unlock()
	}
	publish(0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads [4]int
	for i := range reads {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				b := r.acquire(time.Now())
				text := b.bytes(false)
				first := text[0]
				time.Sleep(10 * time.Microsecond) // a slow client
				if n := bytes.Count(text, []byte{first}); n != len(text) {
					t.Errorf("a served block changed while read: %d of %d bytes are %q", n, len(text), first)
				}
				b.release()
				reads[i]++
			}
		})
	}
	recycled := 0
	for run := 1; run < 2000; run++ {
		if r.spare.Load() != nil {
			recycled++
		}
		publish(run)
	}
	close(stop)
	wg.Wait()
	if recycled == 0 {
		t.Fatal("no buffer was ever recycled")
	}
	t.Logf("%d runs, %d wrote into a recycled buffer; reads %v", 1999, recycled, reads)
}
