package testdb

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// Standalone starts the same private servers as StartMariaDB and
// StartPostgres outside a test, for programs such as the benchmark harness
// in bench/. It runs the very start-up code the tests use, so a benchmark
// measures a server configured exactly as in the tests. Close stops every
// server it started and removes their directories.
type Standalone struct {
	mu       sync.Mutex
	cleanups []func()
}

// StartMariaDB starts a private MariaDB server.
func (st *Standalone) StartMariaDB() (*Server, error) { return st.start(startMariaDB) }

// StartPostgres starts a private PostgreSQL server.
func (st *Standalone) StartPostgres() (*Server, error) { return st.start(startPostgres) }

// LookupBinary returns the path of a program the way the tests find it, or
// an error naming the Debian package that provides it.
func LookupBinary(name, debianPackage string) (path string, err error) {
	tb := &detachedTB{}
	err = tb.do(func() { path = RequireBinary(tb, name, debianPackage) })
	return path, err
}

// Close stops the servers and removes their directories, newest first.
func (st *Standalone) Close() {
	st.mu.Lock()
	fns := st.cleanups
	st.cleanups = nil
	st.mu.Unlock()
	for _, f := range slices.Backward(fns) {
		f()
	}
}

func (st *Standalone) start(fn func(testing.TB) (*Server, error)) (*Server, error) {
	tb := &detachedTB{}
	var s *Server
	err := tb.do(func() {
		var err error
		if s, err = fn(tb); err != nil {
			tb.Fatal(err)
		}
	})
	st.mu.Lock()
	st.cleanups = append(st.cleanups, tb.cleanups...)
	if s != nil {
		st.cleanups = append(st.cleanups, s.Stop)
	}
	st.mu.Unlock()
	return s, err
}

// detachedTB carries the start-up code's few testing.TB calls (Helper,
// Cleanup, Fatal, Skip) outside a test: Fatal and Skip end the call to do
// with an error instead of ending a test goroutine. Any other method is
// unsupported and reported as an error by do.
type detachedTB struct {
	testing.TB // nil: only the methods below are supported
	cleanups   []func()
}

type detachedStop struct{ err error }

func (d *detachedTB) do(f func()) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case detachedStop:
			err = r.err
		default:
			err = fmt.Errorf("testdb outside a test: unsupported call: %v", r)
		}
	}()
	f()
	return nil
}

func (d *detachedTB) Helper()          {}
func (d *detachedTB) Name() string     { return "standalone" }
func (d *detachedTB) Cleanup(f func()) { d.cleanups = append(d.cleanups, f) }
func (d *detachedTB) Fatal(args ...any) {
	if len(args) == 1 {
		if err, ok := args[0].(error); ok {
			panic(detachedStop{err})
		}
	}
	panic(detachedStop{errors.New(fmt.Sprint(args...))})
}
func (d *detachedTB) Fatalf(format string, args ...any) {
	panic(detachedStop{fmt.Errorf(format, args...)})
}
func (d *detachedTB) Skip(args ...any) { d.Fatal(args...) }
func (d *detachedTB) Skipf(format string, args ...any) {
	d.Fatalf(format, args...)
}
