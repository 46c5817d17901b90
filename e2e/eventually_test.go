package e2e

import (
	"testing"
	"time"
)

// eventually polls cond every 200 ms until it returns nil or timeout passes,
// and then fails the test with what cond last said.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
