package fakes

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions say how an SMTPServer behaves. The zero value accepts every
// message, in clear text, without auth.
type SMTPOptions struct {
	StartTLS    bool   // offer STARTTLS
	ImplicitTLS bool   // speak TLS from the first byte
	User, Pass  string // require AUTH (PLAIN or LOGIN) with these
	RcptErr     error  // answer RCPT TO with this
	DataErr     error  // answer the end of DATA with this
}

// ErrNoSuchUser is a permanent refusal of a recipient (550 5.1.1), for
// SMTPOptions.RcptErr.
var ErrNoSuchUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}

// SMTPServer is a real SMTP server (go-smtp) on a free 127.0.0.1 port that
// keeps the messages it accepts. Its TLS certificate (STARTTLS or implicit
// TLS) is for 127.0.0.1 and localhost, signed by a CA that Pool trusts.
type SMTPServer struct {
	Host string // 127.0.0.1
	Port int
	Pool *x509.CertPool

	opts SMTPOptions
	mu   sync.Mutex
	got  []SMTPMessage
}

// SMTPMessage is one message an SMTPServer accepted: its envelope, whether
// it came over TLS and from which logged-in user, its bytes, and those
// bytes read as a message (Body readable from the start).
type SMTPMessage struct {
	*mail.Message
	From string
	To   []string
	Data []byte
	TLS  bool
	User string // "" without AUTH
}

// StartSMTP starts an SMTPServer that behaves as opts say; it stops with
// the test.
func StartSMTP(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	cert, pool := TLSCert(t)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &SMTPServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Pool: pool, opts: opts}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	if opts.StartTLS {
		s.TLSConfig = tlsConf
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, tlsConf)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		// Close ends Serve only once Serve has taken the listener: closing
		// the listener too ends a Serve that had not started yet.
		_ = s.Close()
		_ = ln.Close()
		<-done
	})
	return srv
}

// Messages are the messages accepted so far, oldest first, each read
// afresh from its bytes.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SMTPMessage, len(s.got))
	for i, m := range s.got {
		m.Message, _ = mail.ReadMessage(bytes.NewReader(m.Data)) // Data checked it reads
		out[i] = m
	}
	return out
}

var subjectCode = regexp.MustCompile(`^(\d+) is your `)

// SubjectCode is the code a verification email's subject starts with
// ("123456 is your Shop verification code"), or "".
func (m SMTPMessage) SubjectCode() string {
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return ""
	}
	if sub := subjectCode.FindStringSubmatch(subject); sub != nil {
		return sub[1]
	}
	return ""
}

type smtpSession struct {
	srv  *SMTPServer
	conn *smtp.Conn
	user string
	msg  SMTPMessage
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.srv.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.srv.opts.User || pass != s.srv.opts.Pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil {
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.User != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.msg = SMTPMessage{From: from, TLS: isTLS, User: s.user}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.RcptErr != nil {
		return s.srv.opts.RcptErr
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.DataErr != nil {
		return s.srv.opts.DataErr
	}
	if _, err := mail.ReadMessage(bytes.NewReader(b)); err != nil {
		return err
	}
	s.msg.Data = b
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.msg)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.msg = SMTPMessage{} }
func (s *smtpSession) Logout() error { return nil }
