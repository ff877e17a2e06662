package fakes

import (
	"bytes"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server (go-smtp) on a free 127.0.0.1 port,
// without TLS or auth, that keeps the messages it accepts, or refuses
// every recipient (550 5.1.1).
type SMTPServer struct {
	Port int

	refuse bool
	mu     sync.Mutex
	got    []*mail.Message
}

// StartSMTP starts an SMTPServer; it stops with the test.
func StartSMTP(t testing.TB, refuse bool) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &SMTPServer{Port: ln.Addr().(*net.TCPAddr).Port, refuse: refuse}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv}, nil }))
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		// Closing the listener too ends a Serve that had not started yet.
		_ = s.Close()
		_ = ln.Close()
		<-done
	})
	return srv
}

// Messages are the messages accepted so far, oldest first, their bodies
// readable from the start.
func (s *SMTPServer) Messages() []*mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*mail.Message, len(s.got))
	for i, m := range s.got {
		body := m.Body.(*bytes.Reader)
		c := *m
		_, _ = body.Seek(0, io.SeekStart)
		b, _ := io.ReadAll(body)
		c.Body = bytes.NewReader(b)
		out[i] = &c
	}
	return out
}

var subjectCode = regexp.MustCompile(`^(\d+) is your `)

// SubjectCode is the code a verification email's subject starts with
// ("123456 is your Shop verification code"), or "".
func SubjectCode(m *mail.Message) string {
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return ""
	}
	if sub := subjectCode.FindStringSubmatch(subject); sub != nil {
		return sub[1]
	}
	return ""
}

type smtpSession struct{ srv *SMTPServer }

func (*smtpSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error {
	if s.srv.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	m.Body = bytes.NewReader(body)
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, m)
	s.srv.mu.Unlock()
	return nil
}

func (*smtpSession) Reset()        {}
func (*smtpSession) Logout() error { return nil }
