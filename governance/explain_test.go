package governance

import (
	"strings"
	"testing"
	"time"
)

func TestExplainCellText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"NULL is written NULL", nil, "NULL"},
		{"the text NULL is quoted to tell it apart", "NULL", `"NULL"`},
		{"an empty string is quoted", "", `""`},
		{"text with a tab is quoted", "a\tb", `"a\tb"`},
		{"text that is not UTF-8 is quoted", "\xff", `"\xff"`},
		{"numbers are written in full", 1500000.0, "1500000"},
		{"small numbers too", 0.0125, "0.0125"},
		{"integers as the driver gave them", int64(42), "42"},
		{"times in RFC 3339", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-11-01T00:00:00Z"},
		{"long text is cut", strings.Repeat("x", 50), strings.Repeat("x", maxCellRunes-1) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cellText(tc.in); got != tc.want {
				t.Errorf("cellText(%#v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
