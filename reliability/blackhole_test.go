package reliability

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// blackhole is a TCP endpoint that accepts connections and never answers, as
// a firewalled or hung database does. It counts the connections clients hold
// open, so a test can check a pool never piles them up. Given a target with
// forward, it becomes a plain proxy to it for new connections: the fault
// clears.
type blackhole struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool
	accepted int
	peak     int
	target   string // forward new connections here when set
}

// forward makes new connections reach target ("" to swallow them again).
func (b *blackhole) forward(target string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.target = target
}

// startBlackhole listens on a free loopback port until the test ends.
func startBlackhole(t testing.TB) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

// Addr is host:port.
func (b *blackhole) Addr() string { return b.ln.Addr().String() }

func (b *blackhole) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = true
		b.accepted++
		b.peak = max(b.peak, b.heldLocked())
		target := b.target
		b.mu.Unlock()
		b.wg.Add(1)
		if target != "" {
			go b.proxy(c, target)
		} else {
			go b.swallow(c)
		}
	}
}

// swallow reads and drops whatever the client sends, and notices when the
// client gives up and closes.
func (b *blackhole) swallow(c net.Conn) {
	defer b.wg.Done()
	_, err := io.Copy(io.Discard, c)
	_ = err // EOF or our own close
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
	_ = c.Close()
}

// proxy joins c to a new connection to target until either side closes.
func (b *blackhole) proxy(c net.Conn, target string) {
	defer b.wg.Done()
	defer func() {
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
		_ = c.Close()
	}()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		_ = up.Close()
		close(done)
	}()
	_, _ = io.Copy(c, up)
	_ = c.Close()
	<-done
}

// heldLocked counts the connections the clients still hold open. A client
// that closed a connection before dialling the next one may do so before this
// side has read the close: the kernel knows at once (the socket left
// ESTABLISHED in the client's close call, on loopback), the goroutine that
// reads it only when it is scheduled, which on a busy machine can be after the
// next accept. Counting by the kernel's state keeps a close-then-dial from
// looking like two connections held at once. b.mu is held.
func (b *blackhole) heldLocked() int {
	n := 0
	for c := range b.conns {
		if peerOpen(c) {
			n++
		}
	}
	return n
}

// peerOpen reports whether the client has not closed c yet, by the kernel's
// TCP state of this side of it.
func peerOpen(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return true
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	if cerr := raw.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		open = err == nil && info.State == tcpEstablished
	}); cerr != nil {
		return false // closed here already
	}
	return open
}

// tcpEstablished is Linux's TCP_ESTABLISHED state (include/net/tcp_states.h).
const tcpEstablished = 1

// Open is the number of connections clients hold open now; Peak the most
// ever held at once; Accepted every connection so far.
func (b *blackhole) Stats() (open, peak, accepted int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns), b.peak, b.accepted
}

func (b *blackhole) close() {
	err := b.ln.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		panic(err)
	}
	b.mu.Lock()
	for c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func TestBlackholeAcceptsAndNeverAnswers(t *testing.T) {
	b := startBlackhole(t)
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello?")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read = %d, %v; want a timeout with nothing read", n, err)
	}
	if open, _, accepted := b.Stats(); open != 1 || accepted != 1 {
		t.Fatalf("open %d accepted %d, want 1 and 1", open, accepted)
	}
	c.Close()
	waitFor(t, "blackhole to notice the close", 2*time.Second, func() bool { open, _, _ := b.Stats(); return open == 0 })
}

func TestBlackholeDoesNotCountAConnectionClosedBeforeTheNextDial(t *testing.T) {
	b := startBlackhole(t)
	for range 20 {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	waitFor(t, "blackhole to accept every connection and notice every close", time.Minute, func() bool {
		open, _, accepted := b.Stats()
		return open == 0 && accepted == 20
	})
	if _, peak, _ := b.Stats(); peak != 1 {
		t.Fatalf("peak %d, want 1: a client that closes before it dials again never holds two", peak)
	}
}
