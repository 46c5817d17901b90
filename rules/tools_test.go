package rules

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-exporter/kpi_exporter/output"
)

// tool finds a binary the test needs. Under CI a missing one fails the test
// and names the Debian package that has it; elsewhere the test is skipped.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed: install the Debian package %s", name, pkg)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// writeGenerated generates from the catalog and writes the files to a
// temporary directory, as the generate command does.
func writeGenerated(t *testing.T, path string, o Options) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := output.Write(dir, generate(t, load(t, path), o)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkedCatalogs(t *testing.T) map[string]string {
	cats := goldenCatalogs(t)
	cats["config.example"] = "../config.example.yaml"
	return cats
}

func TestPromtoolCheckRulesIsCleanWithoutWarnings(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	for name, path := range checkedCatalogs(t) {
		t.Run(name, func(t *testing.T) {
			dir := writeGenerated(t, path, Options{})
			files, _ := filepath.Glob(filepath.Join(dir, "rules", "*.yml"))
			out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				line = strings.TrimSpace(line)
				if line != "" && !strings.HasPrefix(line, "Checking ") && !strings.HasPrefix(line, "SUCCESS: ") {
					t.Errorf("promtool check rules printed more than success: %q", line)
				}
			}
		})
	}
}

func TestPromtoolRunsTheGeneratedUnitTests(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	for name, path := range checkedCatalogs(t) {
		t.Run(name, func(t *testing.T) {
			dir := writeGenerated(t, path, Options{})
			testDir := filepath.Join(dir, "rules", "tests")
			files, _ := filepath.Glob(filepath.Join(testDir, "*.yml"))
			if len(files) == 0 {
				t.Fatal("no test files generated")
			}
			args := []string{"test", "rules"}
			for _, f := range files {
				args = append(args, filepath.Base(f))
			}
			cmd := exec.Command(promtool, args...)
			cmd.Dir = testDir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("cd rules/tests && promtool test rules *.yml: %v\n%s", err, out)
			}
		})
	}
}

// TestAmtoolAcceptsTheAlertmanagerConfig runs Debian's amtool (0.25) on the
// output for that version.
func TestAmtoolAcceptsTheAlertmanagerConfig(t *testing.T) {
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	for name, path := range checkedCatalogs(t) {
		t.Run(name, func(t *testing.T) {
			dir := writeGenerated(t, path, Options{AlertmanagerVersion: DebianAMVersion})
			out, err := exec.Command(amtool, "check-config", filepath.Join(dir, filepath.FromSlash(alertmanagerFile))).CombinedOutput()
			if err != nil {
				t.Fatalf("amtool check-config: %v\n%s", err, out)
			}
		})
	}
}
