package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestScrapeRowsSayHowManyScrapesEachSideGot(t *testing.T) {
	side := func(formats []format) endpointResult {
		r := endpointResult{Median: map[string]time.Duration{}, Bytes: map[string]int64{}}
		for _, f := range formats {
			r.Median[f.Name] = time.Second
		}
		return r
	}
	rep := &Report{Sizes: []sizeResult{
		{Series: 1_000, Scrapes: 15, PeerScrapes: 15, Ours: side(formatsOurs), Peer: side(formatsPeer)},
		{Series: 1_000_000, Scrapes: 15, PeerScrapes: 3, Ours: side(formatsOurs), Peer: side(formatsPeer)},
	}}
	var b bytes.Buffer
	rep.WriteTable(&b)
	for _, want := range []string{
		"| scrape median, plain (15 scrapes) | 1k |",
		"| scrape median, OpenMetrics (15 scrapes) | 1k |",
		"| scrape median, plain (15 scrapes, the peer 3) | 1M |",
		"| scrape median, gzip (15 scrapes, the peer 3) | 1M |",
		// The peer has no OpenMetrics cell, so the row names one count.
		"| scrape median, OpenMetrics (15 scrapes) | 1M |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table has no row starting %q:\n%s", want, b.String())
		}
	}
}
