package report

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// plainSMTP answers one session as a server without STARTTLS or AUTH, and
// records the commands the client sent.
func plainSMTP(t *testing.T) (addr string, commands <-chan []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan []string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		var seen []string
		defer func() { out <- seen }()
		r := bufio.NewReader(c)
		io.WriteString(c, "220 plain\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.Fields(line + " x")[0])
			seen = append(seen, cmd)
			switch cmd {
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "250 plain\r\n")
			}
		}
	}()
	return l.Addr().String(), out
}

func TestSendRefusesAServerWithoutTLSUnlessTheCatalogAllowsIt(t *testing.T) {
	addr, commands := plainSMTP(t)
	m := Mail{From: "r@example.com", To: []string{"m@example.com"}, Subject: "s", Date: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
	err := Send(context.Background(), catalog.SMTP{Smarthost: addr, From: "r@example.com"}, m)
	if !errors.Is(err, ErrNoSTARTTLS) {
		t.Fatalf("got %v, want ErrNoSTARTTLS", err)
	}
	for _, c := range <-commands {
		if c == "MAIL" || c == "DATA" {
			t.Errorf("the report was sent in the clear: %s", c)
		}
	}
}

func TestSendNamesTheSmarthostItCannotReach(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = Send(context.Background(), catalog.SMTP{Smarthost: addr}, Mail{})
	if err == nil || !strings.Contains(err.Error(), "connect to smtp server "+addr) {
		t.Errorf("got %v", err)
	}
}
