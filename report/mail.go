package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// Mail is the review as one message: the HTML for mail clients and the
// Markdown as its plain-text alternative.
type Mail struct {
	From    string
	To      []string
	Subject string
	Date    time.Time
	HTML    []byte
	Text    []byte
}

// ErrNoSTARTTLS is returned when the catalog requires TLS and the SMTP
// server does not offer it.
var ErrNoSTARTTLS = errors.New("the SMTP server does not offer STARTTLS and alerting.smtp.require_tls is true")

// Send delivers m through the catalog's SMTP settings (alerting.smtp), as
// Alertmanager would: STARTTLS when offered (required unless require_tls is
// false), and PLAIN authentication when a user is set.
func Send(ctx context.Context, s catalog.SMTP, m Mail) error {
	if s.Smarthost == "" {
		return errors.New("the catalog sets no alerting.smtp.smarthost to send the report through")
	}
	host, _, err := net.SplitHostPort(s.Smarthost)
	if err != nil {
		return fmt.Errorf("alerting.smtp.smarthost %q: %w", s.Smarthost, err)
	}
	msg, err := m.message()
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Smarthost)
	if err != nil {
		return fmt.Errorf("connect to smtp server %s: %w", s.Smarthost, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greet smtp server %s: %w", s.Smarthost, err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("smtp hello to %s: %w", s.Smarthost, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("starttls with %s: %w", s.Smarthost, err)
		}
	} else if s.RequireTLS == nil || *s.RequireTLS {
		return fmt.Errorf("send report through %s: %w", s.Smarthost, ErrNoSTARTTLS)
	}
	if s.AuthUsername != "" {
		pw, err := os.ReadFile(s.AuthPasswordFile)
		if err != nil {
			return fmt.Errorf("read alerting.smtp.auth_password_file: %w", err)
		}
		auth := smtp.PlainAuth("", s.AuthUsername, strings.TrimRight(string(pw), "\r\n"), host)
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("authenticate to %s as %q: %w", s.Smarthost, s.AuthUsername, err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM %s: %w", m.From, err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("send report message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send report message: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp QUIT: %w", err)
	}
	return nil
}

// message is m as a MIME multipart/alternative message.
func (m Mail) message() ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct {
		ctype string
		data  []byte
	}{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("build report message: %w", err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(part.data); err != nil {
			return nil, fmt.Errorf("build report message: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("build report message: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build report message: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.To, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", m.Date.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%s\r\n\r\n", mw.Boundary())
	b.Write(body.Bytes())
	return b.Bytes(), nil
}
