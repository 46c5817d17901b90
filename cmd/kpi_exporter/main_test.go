package main

import (
	"strings"
	"testing"
)

// TestHelpAndVersionPrintAndExitZeroEverywhere: like promtool, every command
// answers --help and --version without asking for its required flags, and
// runs nothing.
func TestHelpAndVersionPrintAndExitZeroEverywhere(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "usage: kpi_exporter"},
		{[]string{"-h"}, "usage: kpi_exporter"},
		{[]string{"--version"}, "kpi_exporter, version"},
		{[]string{"serve", "--help"}, "usage: kpi_exporter serve"},
		{[]string{"check", "--help"}, "usage: kpi_exporter check"},
		{[]string{"generate", "--help"}, "usage: kpi_exporter generate"},
		{[]string{"diff", "--help"}, "usage: kpi_exporter diff"},
		{[]string{"explain", "--help"}, "usage: kpi_exporter explain"},
		{[]string{"explain", "--version"}, "kpi_exporter, version"},
		{[]string{"explain", "revenue", "--help"}, "usage: kpi_exporter explain"},
		{[]string{"check", "--version"}, "kpi_exporter, version"},
		{[]string{"generate", "--output.dir=/nonexistent", "--help"}, "usage: kpi_exporter generate"},
		{[]string{"help", "check"}, "usage: kpi_exporter check"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := execCLI(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout, c.want) {
				t.Fatalf("stdout does not contain %q:\n%s", c.want, stdout)
			}
			if stderr != "" {
				t.Fatalf("stderr is not empty:\n%s", stderr)
			}
		})
	}
}

func TestAnUnknownCommandIsAUsageError(t *testing.T) {
	code, _, stderr := execCLI(t, "bogus")
	if code != exitUsage || !strings.Contains(stderr, "unexpected bogus") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
