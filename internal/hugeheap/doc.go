// Package hugeheap lets a batch command ask the kernel to back its Go heap
// with transparent huge pages, where the host only grants them to memory
// that asks (Linux's "madvise" setting). It only advises: it never changes
// what the program computes, and it must not be used by long-running
// servers, whose heaps it would let grow in 2 MiB steps.
package hugeheap
