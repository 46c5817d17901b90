package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// reaperEnv names the file a reaper writes its child's peak RSS to.
//
// The kernel's peak RSS of a child (rusage ru_maxrss) starts at the peak of
// the process that started it: Go starts children with vfork, sharing its
// memory until exec, and exec keeps that memory's high-water mark. A
// benchmark that has built a large catalog in memory would report it for
// every child, /bin/true included. So the harness starts the measured
// command through a fresh copy of its own executable, a reaper, which holds
// almost nothing when it starts the command and reports the command's own
// peak.
const reaperEnv = "KPIBENCH_REAPER_MAXRSS_FILE"

// init turns this process into a reaper when started as one, by the
// benchmark harness or the test binary that links it.
func init() {
	if out := os.Getenv(reaperEnv); out != "" {
		os.Exit(reap(out, os.Args[1:]))
	}
}

// reap runs args with this process's standard streams, writes the child's
// peak RSS in bytes to the file out, and returns the child's exit code. The
// child is killed when the reaper dies, so a harness timeout that kills the
// reaper stops the command too.
func reap(out string, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "reaper: no command")
		return 2
	}
	os.Unsetenv(reaperEnv)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "reaper:", err)
		return 2
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if err := os.WriteFile(out, []byte(strconv.FormatInt(ru.Maxrss<<10, 10)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "reaper:", err)
			return 2
		}
	}
	return code
}

// reaped returns a command that runs name with args through a reaper, and
// a function that reads the command's peak RSS in bytes once it has run.
func reaped(cmd func(name string, args ...string) *exec.Cmd, dir, name string, args ...string) (*exec.Cmd, func() (int64, error), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	out := dir + "/maxrss"
	c := cmd(self, append([]string{name}, args...)...)
	c.Env = append(os.Environ(), reaperEnv+"="+out)
	return c, func() (int64, error) {
		b, err := os.ReadFile(out)
		if err != nil {
			return 0, fmt.Errorf("peak RSS of %s: %w", name, err)
		}
		return strconv.ParseInt(string(b), 10, 64)
	}, nil
}
