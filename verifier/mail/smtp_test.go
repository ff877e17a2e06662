package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/mail"
)

// options returns Options for srv; the caller adjusts them.
func options(srv *fakes.SMTPServer) mail.Options {
	return mail.Options{
		Host:      srv.Host,
		Port:      srv.Port,
		From:      "no-reply@example.com",
		StartTLS:  mail.StartTLSNone,
		TLSConfig: &tls.Config{RootCAs: srv.Pool, MinVersion: tls.VersionTLS12},
		Timeout:   5 * time.Second,
		HELO:      "client.test",
	}
}

var testMessage = mail.Message{
	To:      "alice@example.org",
	AppName: "Example",
	Code:    "123456",
	Link:    "https://www.example.com/verify#otp=123456",
	TTL:     10 * time.Minute,
}

func send(t *testing.T, o mail.Options, m mail.Message) error {
	t.Helper()
	s, err := mail.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s.Send(context.Background(), m)
}

// parts reads a received message: its header and its parts by content
// type, decoded.
func parts(t *testing.T, data []byte) (netmail.Header, map[string]string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(b)
	}
	return msg.Header, out
}

func TestSendDeliversTheCodeInTheSubjectAndBothParts(t *testing.T) {
	srv := fakes.StartSMTP(t, fakes.SMTPOptions{})
	if err := send(t, options(srv), testMessage); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	if got[0].From != "no-reply@example.com" || len(got[0].To) != 1 || got[0].To[0] != "alice@example.org" {
		t.Errorf("envelope from %q to %v", got[0].From, got[0].To)
	}
	h, p := parts(t, got[0].Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "123456 is your Example verification code" {
		t.Errorf("Subject = %q (%v)", subject, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Example" || from[0].Address != "no-reply@example.com" {
		t.Errorf("From = %v (%v), want Example <no-reply@example.com>", from, err)
	}
	if to := h.Get("To"); !strings.Contains(to, "alice@example.org") {
		t.Errorf("To = %q", to)
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
	}
	if id := h.Get("Message-Id"); !strings.HasSuffix(id, "@example.com>") || len(id) < 40 {
		t.Errorf("Message-Id = %q", id)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	for _, ct := range []string{"text/plain", "text/html"} {
		body, ok := p[ct]
		if !ok {
			t.Errorf("no %s part in %v", ct, p)
			continue
		}
		for _, want := range []string{"123456", "Example", "https://www.example.com/verify#otp=123456", "10 minutes"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q:\n%s", ct, want, body)
			}
		}
	}
	if !strings.Contains(p["text/html"], `href="https://www.example.com/verify#otp=123456"`) {
		t.Errorf("the HTML part does not link the verification link:\n%s", p["text/html"])
	}
}

func TestSendWithoutLinkOrAppNameStillCarriesTheCode(t *testing.T) {
	srv := fakes.StartSMTP(t, fakes.SMTPOptions{})
	m := mail.Message{To: "bob@example.org", Code: "424242"}
	o := options(srv)
	o.From = "Shop <codes@shop.example>"
	if err := send(t, o, m); err != nil {
		t.Fatal(err)
	}
	h, p := parts(t, srv.Messages()[0].Data)
	if s := h.Get("Subject"); s != "424242 is your verification code" {
		t.Errorf("Subject = %q", s)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Name != "Shop" {
		t.Errorf("From = %v, want the configured display name", from)
	}
	for ct, body := range p {
		if !strings.Contains(body, "424242") || strings.Contains(body, "http") {
			t.Errorf("%s part:\n%s", ct, body)
		}
	}
}

func TestSendReportsARefusalWithoutTheAddressOrTheCode(t *testing.T) {
	tests := []struct {
		name string
		cfg  fakes.SMTPOptions
		want string
	}{
		{"a recipient refused with 550 is a permanent failure",
			fakes.SMTPOptions{RcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "alice@example.org: no such user"}},
			"refused the recipient (RCPT TO) (550 5.1.1)"},
		{"a recipient refused with 450 is a temporary failure",
			fakes.SMTPOptions{RcptErr: &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}},
			"(450 4.2.1, temporary)"},
		{"a message refused at the end of DATA is a failure",
			fakes.SMTPOptions{DataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam: 123456"}},
			"(554 5.7.1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.StartSMTP(t, tt.cfg)
			err := send(t, options(srv), testMessage)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Send = %v, want an error with %q", err, tt.want)
			}
			for _, secret := range []string{"alice", "123456", "example.org"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds %q", err, secret)
				}
			}
			if len(srv.Messages()) != 0 {
				t.Error("the server kept a refused message")
			}
		})
	}
}

// silentServer accepts connections and, after writing greeting (when not
// empty), never answers; it stops with the test.
func silentServer(t *testing.T, greeting string) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if greeting != "" {
				_, _ = io.WriteString(c, greeting)
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
}

func TestSendFailsWithinTheTimeoutWhenTheServerHangs(t *testing.T) {
	tests := []struct{ name, greeting string }{
		{"a server that never greets", ""},
		{"a server that greets and then never answers", "220 localhost ESMTP\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port := silentServer(t, tt.greeting)
			o := mail.Options{Host: host, Port: port, From: "no-reply@example.com", StartTLS: mail.StartTLSNone, Timeout: 300 * time.Millisecond}
			start := time.Now()
			err := send(t, o, testMessage)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 300ms") {
				t.Fatalf("Send = %v, want a deadline error", err)
			}
			// The bound, with ample room for a loaded machine: a hang
			// must not last as long as the server wants.
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v with a 300ms timeout", d)
			}
		})
	}
}

func TestSendStopsWhenTheContextEnds(t *testing.T) {
	host, port := silentServer(t, "220 localhost ESMTP\r\n")
	s, err := mail.New(mail.Options{Host: host, Port: port, From: "no-reply@example.com", StartTLS: mail.StartTLSNone, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Send(ctx, testMessage); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want a deadline error", err)
	}
	// Well below the minute of Options.Timeout: the context's end cuts
	// the session short, not the server or the per-command deadline.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %v after its context ended at 200ms", d)
	}
}

func TestSendOverTLS(t *testing.T) {
	tests := []struct {
		name    string
		cfg     fakes.SMTPOptions
		opts    func(*mail.Options)
		wantTLS bool
		wantErr string
	}{
		{"mandatory STARTTLS upgrades the connection", fakes.SMTPOptions{StartTLS: true},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSMandatory }, true, ""},
		{"the default policy is mandatory STARTTLS", fakes.SMTPOptions{StartTLS: true},
			func(o *mail.Options) { o.StartTLS = "" }, true, ""},
		{"opportunistic STARTTLS upgrades when offered", fakes.SMTPOptions{StartTLS: true},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSOpportunistic }, true, ""},
		{"opportunistic STARTTLS sends in clear text when not offered", fakes.SMTPOptions{},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSOpportunistic }, false, ""},
		{"no STARTTLS stays in clear text even when offered", fakes.SMTPOptions{StartTLS: true},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSNone }, false, ""},
		{"mandatory STARTTLS fails when the server does not offer it", fakes.SMTPOptions{},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSMandatory }, false, "does not support STARTTLS"},
		{"mandatory STARTTLS fails on an untrusted certificate", fakes.SMTPOptions{StartTLS: true},
			func(o *mail.Options) { o.StartTLS = mail.StartTLSMandatory; o.TLSConfig = nil }, false, "certificate"},
		{"implicit TLS speaks TLS from the first byte", fakes.SMTPOptions{ImplicitTLS: true},
			func(o *mail.Options) { o.ImplicitTLS = true }, true, ""},
		{"implicit TLS fails on an untrusted certificate", fakes.SMTPOptions{ImplicitTLS: true},
			func(o *mail.Options) { o.ImplicitTLS = true; o.TLSConfig = nil }, false, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.StartSMTP(t, tt.cfg)
			o := options(srv)
			tt.opts(&o)
			err := send(t, o, testMessage)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Send = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].TLS != tt.wantTLS {
				t.Fatalf("received %+v, want one message with tls=%v", got, tt.wantTLS)
			}
		})
	}
}

func TestSendLogsIn(t *testing.T) {
	tests := []struct {
		name     string
		auth     mail.Auth
		pass     string
		startTLS bool
		wantErr  string
	}{
		{"PLAIN with the right password delivers", mail.AuthPlain, "s3cret-pw", false, ""},
		{"LOGIN with the right password delivers", mail.AuthLogin, "s3cret-pw", false, ""},
		{"the default with a username is PLAIN", "", "s3cret-pw", false, ""},
		{"PLAIN after STARTTLS delivers", mail.AuthPlain, "s3cret-pw", true, ""},
		{"a wrong password is refused with 535", mail.AuthPlain, "wrong-pw", false, "(535 5.7.8)"},
		{"a wrong password over LOGIN is refused with 535", mail.AuthLogin, "wrong-pw", false, "(535 5.7.8)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakes.StartSMTP(t, fakes.SMTPOptions{User: "mailer", Pass: "s3cret-pw", StartTLS: tt.startTLS})
			o := options(srv)
			o.Auth, o.Username, o.Password = tt.auth, "mailer", tt.pass
			if tt.startTLS {
				o.StartTLS = mail.StartTLSMandatory
			}
			err := send(t, o, testMessage)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Send = %v, want an error with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), tt.pass) {
					t.Errorf("error %q holds the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].User != "mailer" || got[0].TLS != tt.startTLS {
				t.Fatalf("received %+v, want one message from the logged-in user", got)
			}
		})
	}
}

func TestSendWithoutAuthToAServerRequiringItFails(t *testing.T) {
	srv := fakes.StartSMTP(t, fakes.SMTPOptions{User: "mailer", Pass: "pw"})
	err := send(t, options(srv), testMessage)
	if err == nil || !strings.Contains(err.Error(), "refused the sender (MAIL FROM) (502 5.7.0)") {
		t.Fatalf("Send = %v, want the server's refusal of MAIL FROM", err)
	}
}

func TestNewChecksTheOptions(t *testing.T) {
	ok := mail.Options{Host: "smtp.example.com", From: "no-reply@example.com"}
	tests := []struct {
		name    string
		change  func(*mail.Options)
		wantErr string
	}{
		{"the defaults are accepted", func(*mail.Options) {}, ""},
		{"a host is required", func(o *mail.Options) { o.Host = "" }, "host is required"},
		{"a From address is required", func(o *mail.Options) { o.From = "" }, "From address is required"},
		{"a From that is no address is refused", func(o *mail.Options) { o.From = "no reply" }, "is not an address"},
		{"a port out of range is refused", func(o *mail.Options) { o.Port = 70000 }, "not a TCP port"},
		{"an unknown STARTTLS policy is refused", func(o *mail.Options) { o.StartTLS = "always" }, "STARTTLS policy"},
		{"an unknown auth is refused", func(o *mail.Options) { o.Auth = "cram-md5" }, "auth \"cram-md5\""},
		{"a username with auth none is refused", func(o *mail.Options) { o.Auth, o.Username = mail.AuthNone, "u" }, "auth is none"},
		{"auth without a password is refused", func(o *mail.Options) { o.Username = "u" }, "needs a username and a password"},
		{"a password in clear text to a remote host is refused",
			func(o *mail.Options) { o.Username, o.Password, o.StartTLS = "u", "p", mail.StartTLSNone }, "clear text"},
		{"a password in clear text to a loopback host is accepted",
			func(o *mail.Options) {
				o.Host, o.Username, o.Password, o.StartTLS = "127.0.0.1", "u", "p", mail.StartTLSNone
			}, ""},
		{"a password over implicit TLS is accepted",
			func(o *mail.Options) {
				o.Username, o.Password, o.StartTLS, o.ImplicitTLS = "u", "p", mail.StartTLSNone, true
			}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.change(&o)
			_, err := mail.New(o)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestSendRefusesAMessageItCannotCompose(t *testing.T) {
	srv := fakes.StartSMTP(t, fakes.SMTPOptions{})
	tests := []struct {
		name string
		m    mail.Message
	}{
		{"a recipient that is no address", mail.Message{To: "alice", Code: "123456"}},
		{"a recipient with a display name", mail.Message{To: "Eve <eve@example.org>", Code: "123456"}},
		{"an empty code", mail.Message{To: "alice@example.org"}},
		{"a code with a line break", mail.Message{To: "alice@example.org", Code: "12\r\nBcc: eve@example.org"}},
		{"an app name with a line break", mail.Message{To: "alice@example.org", Code: "1", AppName: "A\nBcc: x"}},
		{"a link that is not http(s)", mail.Message{To: "alice@example.org", Code: "1", Link: "javascript:alert(1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := send(t, options(srv), tt.m); err == nil {
				t.Fatal("Send succeeded")
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the server received %d messages", n)
	}
}
