package collector

import (
	"math/bits"
	"slices"
)

// duplicates returns, in increasing order, the positions whose label set
// equals that of an earlier position. hashes[i] is the hash of labels(i).
//
// A run appends the series of its first max_series rows without looking
// them up (see convertRows) and calls this once at the end: it groups the
// hashes by their top bits in one counting pass and one scatter pass, then
// looks for equal hashes bucket by bucket in a table that stays in the
// cache. Probing a 200,000-entry map once per row, as before, cost a cache
// miss per row: about 40 ms of CPU per 200,000-row run in the profile of
// BenchmarkCollect, as much as writing every sample line. Equal hashes are
// confirmed by comparing the labels.
func duplicates(hashes []uint64, labels func(i int) []string) []int {
	n := len(hashes)
	if n < 2 {
		return nil
	}
	// About 256 positions per bucket: the scatter writes to few places at
	// once, and each bucket's sort stays in the cache.
	width := min(max(bits.Len(uint(n/256)), 1), 16)
	shift := 64 - width
	start := make([]int32, 1<<width+1)
	for _, h := range hashes {
		start[h>>shift+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	grouped := make([]hashPos, n)
	next := slices.Clone(start[:len(start)-1])
	for i, h := range hashes {
		b := h >> shift
		grouped[next[b]] = hashPos{h, int32(i)}
		next[b]++
	}
	// Within a bucket, an open-addressing table of a few KiB finds equal
	// hashes; positions were scattered in row order, so the first of a
	// label set is met first.
	var dups []int
	var table []int32 // index into the bucket + 1, or 0 for free
	for b := 0; b+1 < len(start); b++ {
		bucket := grouped[start[b]:start[b+1]]
		if len(bucket) < 2 {
			continue
		}
		size := 1 << bits.Len(uint(2*len(bucket)))
		if cap(table) < size {
			table = make([]int32, size)
		}
		table = table[:size]
		clear(table)
		mask := uint64(size - 1)
	entries:
		for j, e := range bucket {
			slot := e.h & mask
			for ; table[slot] != 0; slot = (slot + 1) & mask {
				other := bucket[table[slot]-1]
				if other.h == e.h && slices.Equal(labels(int(e.i)), labels(int(other.i))) {
					dups = append(dups, int(e.i))
					continue entries
				}
			}
			table[slot] = int32(j + 1)
		}
	}
	slices.Sort(dups)
	return dups
}

// hashPos is a position and the hash of its labels.
type hashPos struct {
	h uint64
	i int32
}
