package hugeheap

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// Advise maps n bytes of fresh heap, advises the kernel to back them with
// transparent huge pages, and frees them again. It returns the advised
// range, empty when it did nothing: on a 32-bit system, under an address
// space limit that n would strain, or when GODEBUG has disablethp=1.
//
// Why it pays: on a virtual machine, a first touch of a 4 KiB page can cost
// tens of microseconds, and generate touches its few hundred MiB of heap
// page by page. Touching the same memory in 2 MiB pages faults 512 times
// less often. Current Go runtimes do not ask for huge pages for the heap
// (Go 1.21 briefly did: go.dev/issue/63334) and leave the choice to the
// host's setting, which is often "madvise": huge pages only for memory that
// asks. The price, with the usual defrag setting, is that a fault in the
// range may wait while the kernel compacts memory for a huge page: a
// stall that a batch can afford and a server should not.
//
// Why later allocations land in the range: the runtime's page allocator
// hands out the lowest free addresses first, and the range Advise allocated
// is the newest part of a heap that is otherwise small, so once freed it is
// what the heap grows into. A fresh large allocation is never written to,
// since the kernel's new pages are zero, so the range costs address space,
// not memory, until it is used. The advice stays on the mapping when the
// runtime later returns pages to the kernel.
//
// Call it first thing in a batch command, before the heap has grown.
func Advise(n int) (lo, hi uintptr, err error) {
	if n <= 0 || strconv.IntSize < 64 || thpDisabled(os.Getenv("GODEBUG")) || !roomFor(n) {
		return 0, 0, nil
	}
	b := make([]byte, n)
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (start + page - 1) &^ (page - 1)
	hi = (start + uintptr(n)) &^ (page - 1)
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugePage)
	runtime.KeepAlive(b)
	b = nil
	// Free the range now, so that the allocations that follow reuse it
	// instead of waiting for the first collection.
	runtime.GC()
	if errno != 0 {
		// EINVAL: a kernel built without transparent huge pages.
		return 0, 0, errno
	}
	return lo, hi, nil
}

// madvHugePage is MADV_HUGEPAGE, which package syscall spells for few
// architectures.
const madvHugePage = 14

// thpDisabled reports whether GODEBUG asks the runtime to keep the heap off
// huge pages (disablethp=1; the last setting wins, as the runtime reads it).
func thpDisabled(godebug string) bool {
	off := false
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}

// roomFor reports whether the process's address space limit, if any, leaves
// room to map n more bytes: a failed heap allocation would end the program.
func roomFor(n int) bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		return false
	}
	return roomIn(lim.Cur, n)
}

// roomIn reports whether an address space limit of limit bytes leaves room
// to map n more with plenty to spare for everything else.
func roomIn(limit uint64, n int) bool {
	return limit == unlimited || limit/4 > uint64(n)
}

// unlimited is RLIM_INFINITY as an unsigned limit.
const unlimited = ^uint64(0)
