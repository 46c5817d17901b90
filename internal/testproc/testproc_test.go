package testproc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestStartLogsAndStops(t *testing.T) {
	// The shell answers SIGTERM with exit code 3, after a child of its group
	// was started: Stop must end both and report the code.
	p := Start(t, "sh", t.TempDir(), "/bin/sh", []string{"GREETING=hello"},
		"-c", `trap 'exit 3' TERM; echo "$GREETING"; sleep 100 & while :; do sleep 0.05; done`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p.WaitHTTP(t, srv.Client(), srv.URL, true, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Log(), "hello") {
		if time.Now().After(deadline) {
			t.Fatalf("log %q has no greeting", p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !p.Running() {
		t.Fatal("exited early")
	}
	if code := p.Stop(5 * time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
	if p.Running() {
		t.Fatal("still running after Stop")
	}
	if code := p.Stop(time.Second); code != 3 {
		t.Fatalf("second Stop: exit code %d, want 3", code)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			_, _ = b.Write([]byte("x"))
		}
	}()
	for range 100 {
		_ = b.String()
	}
	<-done
	if got := b.String(); got != strings.Repeat("x", 100) {
		t.Fatalf("%q", got)
	}
}
