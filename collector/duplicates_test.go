package collector

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveDuplicates is the definition: positions whose labels equal those of
// an earlier position.
func naiveDuplicates(labels [][]string) []int {
	var out []int
	for i := range labels {
		for j := range i {
			if slices.Equal(labels[i], labels[j]) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

func TestDuplicates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name     string
		n, space int
		hash     func(seed uint64, labels []string) uint64
	}{
		{"no duplicates among distinct label sets", 5000, 1 << 30, fullHash},
		{"many duplicates among few label sets", 5000, 300, fullHash},
		{"label sets that share a hash are told apart", 3000, 500, func(seed uint64, l []string) uint64 { return fullHash(seed, l) % 7 << 61 }},
		{"every label set has the same hash", 400, 50, func(uint64, []string) uint64 { return 42 }},
		{"one series", 1, 10, fullHash},
		{"no series", 0, 10, fullHash},
	} {
		t.Run(c.name, func(t *testing.T) {
			labels := make([][]string, c.n)
			hashes := make([]uint64, c.n)
			for i := range labels {
				v := rng.IntN(c.space)
				labels[i] = []string{fmt.Sprint(v % 17), fmt.Sprint(v)}
				hashes[i] = c.hash(7, labels[i])
			}
			got := duplicates(hashes, func(i int) []string { return labels[i] })
			if want := naiveDuplicates(labels); !slices.Equal(got, want) {
				t.Fatalf("got %d duplicates %v, want %d %v", len(got), head(got), len(want), head(want))
			}
		})
	}
}

func fullHash(seed uint64, l []string) uint64 {
	h := seed
	for _, s := range l {
		for _, c := range []byte(s) {
			h = (h ^ uint64(c)) * 0x100000001b3
		}
		h = (h ^ 0xff) * 0x100000001b3
	}
	return h
}

func head(s []int) []int { return s[:min(len(s), 10)] }

func TestDropPositionsAndLines(t *testing.T) {
	buf := []byte("# HELP\na 1\nb 2\nc 3\nd 4\ne 5\n")
	starts := []int{7, 11, 15, 19, 23}
	for _, c := range []struct {
		name string
		drop []int
		want string
	}{
		{"first line", []int{0}, "# HELP\nb 2\nc 3\nd 4\ne 5\n"},
		{"last line", []int{4}, "# HELP\na 1\nb 2\nc 3\nd 4\n"},
		{"lines apart and together", []int{1, 3, 4}, "# HELP\na 1\nc 3\n"},
		{"every line", []int{0, 1, 2, 3, 4}, "# HELP\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(dropLines(slices.Clone(buf), starts, c.drop)); got != c.want {
				t.Errorf("lines %q, want %q", got, c.want)
			}
			items := dropPositions([]string{"a", "b", "c", "d", "e"}, c.drop)
			var want []string
			for i, s := range []string{"a", "b", "c", "d", "e"} {
				if !slices.Contains(c.drop, i) {
					want = append(want, s)
				}
			}
			if !slices.Equal(items, want) {
				t.Errorf("positions %q, want %q", items, want)
			}
		})
	}
}
