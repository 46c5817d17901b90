package testdb

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// RequireBinary returns the path of the named program. When it is missing the
// test fails under CI (naming the Debian package that provides it) and is
// skipped elsewhere, so a missing tool is never a silent pass in CI.
func RequireBinary(t testing.TB, name, debianPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	// PostgreSQL's server binaries live in a versioned directory on Debian.
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		sort.Strings(matches)
		return matches[len(matches)-1]
	}
	Missing(t, name, debianPackage)
	return ""
}

// Missing reports a missing program: fatal under CI, a skip elsewhere.
func Missing(t testing.TB, name, debianPackage string) {
	t.Helper()
	msg := name + " not found: install the Debian package " + debianPackage + " (make test installs it)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
