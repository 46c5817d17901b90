package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// mapping is one entry of /proc/self/smaps.
type mapping struct {
	lo, hi      uintptr
	flags       []string
	anonHugeKiB int
}

func smaps(t *testing.T) []mapping {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []mapping
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				out = append(out, mapping{lo: uintptr(l), hi: uintptr(h)})
				continue
			}
		}
		if len(out) == 0 {
			continue
		}
		m := &out[len(out)-1]
		switch fields[0] {
		case "VmFlags:":
			m.flags = fields[1:]
		case "AnonHugePages:":
			m.anonHugeKiB, _ = strconv.Atoi(fields[1])
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// at returns the mapping holding address p.
func at(t *testing.T, ms []mapping, p uintptr) mapping {
	t.Helper()
	for _, m := range ms {
		if m.lo <= p && p < m.hi {
			return m
		}
	}
	t.Fatalf("no mapping holds %#x", p)
	return mapping{}
}

func advised(m mapping) bool {
	for _, f := range m.flags {
		if f == "hg" {
			return true
		}
	}
	return false
}

func TestAdvisedRangeIsMarkedForHugePages(t *testing.T) {
	lo, hi, err := Advise(64 << 20)
	if err != nil {
		t.Fatalf("Advise: %v", err)
	}
	if hi-lo < 60<<20 {
		t.Fatalf("advised %d bytes, want about 64 MiB", hi-lo)
	}
	ms := smaps(t)
	for p := lo; p < hi; p += 4 << 20 {
		if m := at(t, ms, p); !advised(m) {
			t.Fatalf("mapping %#x-%#x holding %#x has VmFlags %v, want hg (MADV_HUGEPAGE)", m.lo, m.hi, p, m.flags)
		}
	}
}

// The premise of Advise: the heap grows into the advised range, and the
// kernel then backs it with huge pages. An allocation may begin in the free
// tail of the heap's older memory and run on into the advised range, so the
// test asks that most of it lies in advised memory.
func TestLaterAllocationsGetHugePages(t *testing.T) {
	if _, _, err := Advise(64 << 20); err != nil {
		t.Fatalf("Advise: %v", err)
	}
	b := make([]byte, 16<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	hi := lo + uintptr(len(b))
	var inAdvised uintptr
	hugeKiB := 0
	for _, m := range smaps(t) {
		if !advised(m) || m.hi <= lo || hi <= m.lo {
			continue
		}
		inAdvised += min(hi, m.hi) - max(lo, m.lo)
		hugeKiB += m.anonHugeKiB
	}
	b[0]++ // keep b alive past the reading of smaps
	if inAdvised < uintptr(len(b))*3/4 {
		t.Fatalf("a 16 MiB allocation after Advise, at %#x-%#x, has %d bytes in advised memory, want most of it", lo, hi, inAdvised)
	}
	setting, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(setting), "[never]") {
		t.Skipf("the kernel grants no transparent huge pages here (%q, %v): only the advice is checked", strings.TrimSpace(string(setting)), err)
	}
	if hugeKiB == 0 {
		t.Errorf("16 MiB touched, %d bytes of it in advised memory, but the advised mappings hold no huge pages (THP setting %q)", inAdvised, strings.TrimSpace(string(setting)))
	}
	t.Logf("%d of 16 MiB in advised memory; the advised mappings it touches hold %d KiB in huge pages", inAdvised>>20, hugeKiB)
}

func TestGODEBUGDisablethpTurnsAdviceOff(t *testing.T) {
	t.Setenv("GODEBUG", "madvdontneed=1,disablethp=1")
	lo, hi, err := Advise(64 << 20)
	if lo != 0 || hi != 0 || err != nil {
		t.Fatalf("Advise with disablethp=1 = %#x, %#x, %v; want no advice", lo, hi, err)
	}
}

func TestThpDisabled(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                            false,
		"disablethp=1":                true,
		"disablethp=0":                false,
		"madvdontneed=1,disablethp=1": true,
		"disablethp=1,disablethp=0":   false,
		" disablethp=1 ":              true,
		"xdisablethp=1":               false,
	} {
		if got := thpDisabled(godebug); got != want {
			t.Errorf("thpDisabled(%q) = %v, want %v", godebug, got, want)
		}
	}
}

func TestRoomIn(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		n     int
		want  bool
	}{
		{unlimited, 384 << 20, true},
		{8 << 30, 384 << 20, true},
		{1 << 30, 384 << 20, false},
		{0, 1, false},
	} {
		if got := roomIn(c.limit, c.n); got != c.want {
			t.Errorf("roomIn(%d, %d) = %v, want %v", c.limit, c.n, got, c.want)
		}
	}
}
