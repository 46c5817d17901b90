package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpReceiver is the inbox of the suite: a plain-text SMTP server on a
// loopback port that speaks the part of RFC 5321 Alertmanager's client uses
// (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message.
// It offers neither STARTTLS nor AUTH, so the catalog sets require_tls: false.
//
// It is written here rather than taken from a library: the server side
// Alertmanager needs is these few commands, and a dependency for the test of
// one client would not earn its place in the module.
type smtpReceiver struct {
	addr string
	l    net.Listener

	mu    sync.Mutex
	mails []email
	errs  []string
	wg    sync.WaitGroup
}

// email is one message as the suite reads it.
type email struct {
	At      time.Time
	From    string
	To      []string
	Subject string
	// Body is the text of every text/* part, decoded.
	Body string
	Raw  []byte
}

func startSMTPReceiver(t testing.TB) *smtpReceiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpReceiver{addr: l.Addr().String(), l: l}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
		if t.Failed() {
			t.Logf("---- SMTP receiver ----\n%s", s.dump())
		}
	})
	return s
}

func (s *smtpReceiver) serve() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.session(c); err != nil {
				s.mu.Lock()
				s.errs = append(s.errs, err.Error())
				s.mu.Unlock()
			}
		}()
	}
}

// session runs one SMTP conversation.
func (s *smtpReceiver) session(c net.Conn) error {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(line string) error {
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return tp.PrintfLine("%s", line)
	}
	if err := reply("220 kpi-e2e ESMTP ready"); err != nil {
		return err
	}
	var from string
	var to []string
	for {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := tp.ReadLine()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read command: %w", err)
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			err = reply("250-kpi-e2e greets " + arg + "\r\n250 8BITMIME")
		case "HELO":
			err = reply("250 kpi-e2e")
		case "MAIL":
			from = pathArg(arg, "FROM:")
			to = nil
			err = reply("250 ok")
		case "RCPT":
			if from == "" {
				err = reply("503 MAIL first")
				break
			}
			to = append(to, pathArg(arg, "TO:"))
			err = reply("250 ok")
		case "DATA":
			if len(to) == 0 {
				err = reply("503 RCPT first")
				break
			}
			if err = reply("354 end with <CRLF>.<CRLF>"); err != nil {
				return err
			}
			raw, rerr := tp.ReadDotBytes()
			if rerr != nil {
				return fmt.Errorf("read DATA: %w", rerr)
			}
			if perr := s.keep(from, to, raw); perr != nil {
				err = reply("554 " + perr.Error())
				break
			}
			from, to = "", nil
			err = reply("250 ok: queued")
		case "RSET":
			from, to = "", nil
			err = reply("250 ok")
		case "NOOP":
			err = reply("250 ok")
		case "QUIT":
			_ = reply("221 bye")
			return nil
		default:
			err = reply("502 command not implemented")
		}
		if err != nil {
			return err
		}
	}
}

// pathArg takes the address out of "FROM:<a@b> BODY=8BITMIME".
func pathArg(arg, prefix string) string {
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	arg, _, _ = strings.Cut(strings.TrimSpace(arg), " ")
	return strings.Trim(arg, "<>")
}

// keep parses a message and stores it.
func (s *smtpReceiver) keep(from string, to []string, raw []byte) error {
	m, err := parseEmail(raw)
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, "unparseable message: "+err.Error())
		s.mu.Unlock()
		return err
	}
	m.At, m.From, m.To = time.Now(), from, to
	s.mu.Lock()
	s.mails = append(s.mails, m)
	s.mu.Unlock()
	return nil
}

// parseEmail decodes the subject and every text part of a MIME message.
func parseEmail(raw []byte) (email, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return email{}, fmt.Errorf("read message: %w", err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return email{}, fmt.Errorf("decode subject: %w", err)
	}
	var body strings.Builder
	if err := readBody(&body, textproto.MIMEHeader(msg.Header), msg.Body); err != nil {
		return email{}, err
	}
	return email{Subject: subject, Body: body.String(), Raw: raw}, nil
}

// readBody appends the decoded text of a (possibly multipart) body.
func readBody(out *strings.Builder, h textproto.MIMEHeader, r io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := readBody(out, p.Header, p); err != nil {
				return err
			}
		}
	}
	if !strings.HasPrefix(mt, "text/") {
		return nil
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, bufio.NewReader(r))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mt, err)
	}
	out.Write(b)
	out.WriteString("\n")
	return nil
}

// received returns a copy of the messages so far.
func (s *smtpReceiver) received() []email {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]email(nil), s.mails...)
}

func (s *smtpReceiver) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, m := range s.mails {
		fmt.Fprintf(&b, "%s from %s to %v: %q (%d bytes)\n", m.At.Format("15:04:05.000"), m.From, m.To, m.Subject, len(m.Raw))
	}
	for _, e := range s.errs {
		b.WriteString("error: " + e + "\n")
	}
	return b.String()
}
