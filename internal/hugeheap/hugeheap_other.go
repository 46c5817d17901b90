//go:build !linux

package hugeheap

// Advise does nothing outside Linux, whose madvise huge page advice it is
// about.
func Advise(n int) (lo, hi uintptr, err error) { return 0, 0, nil }
