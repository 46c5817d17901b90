package collector

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: stopped
// KPIs, closed pools and finished scrapes must leave nothing running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
