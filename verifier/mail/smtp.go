package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/webotp/webotp/verifier"
)

// StartTLS says whether a connection without implicit TLS is upgraded with
// STARTTLS (RFC 3207).
type StartTLS string

const (
	// StartTLSMandatory upgrades every connection and fails when the server
	// does not offer STARTTLS. It is the default.
	StartTLSMandatory StartTLS = "mandatory"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// sends in clear text otherwise.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSNone never upgrades: for a relay on the same host or network.
	StartTLSNone StartTLS = "none"
)

// Auth is the SMTP AUTH mechanism (RFC 4954) a Sender logs in with.
type Auth string

const (
	// AuthNone does not log in. It is the default without a Username.
	AuthNone Auth = "none"
	// AuthPlain logs in with PLAIN (RFC 4616). It is the default with a
	// Username.
	AuthPlain Auth = "plain"
	// AuthLogin logs in with LOGIN, for servers that offer nothing else.
	AuthLogin Auth = "login"
)

// DefaultTimeout bounds a whole delivery (connection, TLS, login and
// message) when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options configures a Sender. The zero value of every field but Host and
// From means the default noted.
type Options struct {
	// Host is the SMTP server's host name (or IP address). Required.
	Host string
	// Port is the server's port: default 465 with ImplicitTLS (SMTPS), 587
	// (submission) otherwise.
	Port int
	// ImplicitTLS speaks TLS from the first byte (RFC 8314), as port 465
	// expects; StartTLS is then not used.
	ImplicitTLS bool
	// StartTLS is the STARTTLS policy without ImplicitTLS (default
	// StartTLSMandatory).
	StartTLS StartTLS
	// Auth is the login mechanism (default AuthPlain when Username is set,
	// AuthNone otherwise). A password is never sent over a connection
	// that is not encrypted, unless the server is on a loopback address.
	Auth     Auth
	Username string
	Password string
	// From is the sender: "no-reply@example.com" or
	// "Example <no-reply@example.com>". Without a display name, the
	// message's AppName is used. Required.
	From string
	// HELO is the name the client greets the server with (default: this
	// machine's host name).
	HELO string
	// TLSConfig is the TLS configuration for STARTTLS and implicit TLS
	// (default: the system's roots, ServerName Host, TLS 1.2 at least).
	TLSConfig *tls.Config
	// Timeout bounds a whole delivery (default DefaultTimeout), within the
	// context's own deadline.
	Timeout time.Duration
	// Now stamps the Date header (default time.Now).
	Now func() time.Time
	// Rand makes the Message-ID (default crypto/rand.Reader).
	Rand io.Reader
}

// Sender delivers verification emails over SMTP, one connection per
// message. It is safe for concurrent use.
type Sender struct {
	o       Options
	addr    string // host:port, for errors
	from    netmail.Address
	domain  string // of From, for Message-IDs
	auth    Auth
	tlsConf *tls.Config
}

// New checks o and returns a Sender.
func New(o Options) (*Sender, error) {
	if o.Host == "" {
		return nil, errors.New("mail: the SMTP host is required")
	}
	if o.Port == 0 {
		o.Port = 587
		if o.ImplicitTLS {
			o.Port = 465
		}
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, fmt.Errorf("mail: port %d is not a TCP port", o.Port)
	}
	switch o.StartTLS {
	case "":
		o.StartTLS = StartTLSMandatory
	case StartTLSMandatory, StartTLSOpportunistic, StartTLSNone:
	default:
		return nil, fmt.Errorf("mail: STARTTLS policy %q is not mandatory, opportunistic or none", o.StartTLS)
	}
	auth := o.Auth
	switch auth {
	case "":
		auth = AuthNone
		if o.Username != "" {
			auth = AuthPlain
		}
	case AuthNone:
		if o.Username != "" || o.Password != "" {
			return nil, errors.New("mail: a username or password is set but auth is none")
		}
	case AuthPlain, AuthLogin:
	default:
		return nil, fmt.Errorf("mail: auth %q is not plain, login or none", o.Auth)
	}
	if auth != AuthNone {
		if o.Username == "" || o.Password == "" {
			return nil, fmt.Errorf("mail: auth %s needs a username and a password", auth)
		}
		if !o.ImplicitTLS && o.StartTLS == StartTLSNone && !isLoopback(o.Host) {
			return nil, errors.New("mail: a password would travel in clear text: use STARTTLS or implicit TLS, or no auth")
		}
	}
	if o.From == "" {
		return nil, errors.New("mail: the From address is required")
	}
	from, err := netmail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("mail: From %q is not an address: %w", o.From, err)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		conf = o.TLSConfig.Clone()
	}
	if conf.ServerName == "" {
		conf.ServerName = o.Host
	}
	return &Sender{
		o:       o,
		addr:    net.JoinHostPort(o.Host, strconv.Itoa(o.Port)),
		from:    *from,
		domain:  from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		auth:    auth,
		tlsConf: conf,
	}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers m. It fails within Options.Timeout (or ctx's deadline,
// when sooner) whatever the server does; its error names the stage and the
// server's status codes, never the address, the code or a credential.
func (s *Sender) Send(ctx context.Context, m Message) error {
	c, err := Compose(m)
	if err != nil {
		return err
	}
	if _, err := NormalizeAddress(m.To); err != nil {
		return fmt.Errorf("mail: the recipient: %w", err)
	}
	msg, err := s.message(m, c)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	client, err := gomail.NewClient(s.o.Host, s.options(ctx)...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	session, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.failure(ctx, "session with "+s.addr, err, m)
	}
	if err := client.SendWithSMTPClient(session, msg); err != nil {
		_ = session.Close()
		return s.failure(ctx, "delivery to "+s.addr, err, m)
	}
	_ = client.CloseWithSMTPClient(session) // the message is accepted: a failed QUIT changes nothing
	return nil
}

// Mail delivers the verifier's email e, as Send delivers a Message: the
// Sender is the verifier's Mailer.
func (s *Sender) Mail(ctx context.Context, e verifier.Email) error {
	return s.Send(ctx, Message{To: e.To, AppName: e.AppName, Code: e.Code, Link: e.Link, TTL: e.TTL})
}

// message builds the MIME message for m.
func (s *Sender) message(m Message, c Content) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	from := s.from
	if from.Name == "" {
		from.Name = strings.TrimSpace(m.AppName)
	}
	msg.FromMailAddress(&from)
	if err := msg.To(m.To); err != nil {
		return nil, errors.New("mail: the recipient is not an address")
	}
	msg.Subject(c.Subject)
	msg.SetDateWithValue(s.o.Now())
	var id [16]byte
	if _, err := io.ReadFull(s.o.Rand, id[:]); err != nil {
		return nil, fmt.Errorf("mail: message id: %w", err)
	}
	msg.SetMessageIDWithValue(hex.EncodeToString(id[:]) + "@" + s.domain)
	// RFC 3834: an automatic message, to which out-of-office replies and
	// other robots must not answer.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetBodyString(gomail.TypeTextPlain, c.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML)
	return msg, nil
}

// options configures go-mail's client for one delivery. Its dialer closes
// the connection when ctx ends, which bounds every later step too.
func (s *Sender) options(ctx context.Context) []gomail.Option {
	policy := gomail.TLSMandatory
	switch s.o.StartTLS {
	case StartTLSOpportunistic:
		policy = gomail.TLSOpportunistic
	case StartTLSNone:
		policy = gomail.NoTLS
	}
	opts := []gomail.Option{
		gomail.WithPort(s.o.Port),
		gomail.WithTimeout(s.o.Timeout),
		gomail.WithTLSConfig(s.tlsConf),
		gomail.WithTLSPolicy(policy),
		gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			var conn net.Conn
			var err error
			if s.o.ImplicitTLS {
				conn, err = (&tls.Dialer{NetDialer: &d, Config: s.tlsConf}).DialContext(dctx, network, addr)
			} else {
				conn, err = d.DialContext(dctx, network, addr)
			}
			if err != nil {
				return nil, err
			}
			context.AfterFunc(ctx, func() { _ = conn.Close() })
			return conn, nil
		}),
	}
	if s.o.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if s.o.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.o.HELO))
	}
	switch s.auth {
	case AuthPlain:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain))
	case AuthLogin:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthLogin))
	}
	if s.auth != AuthNone {
		opts = append(opts, gomail.WithUsername(s.o.Username), gomail.WithPassword(s.o.Password))
	}
	return opts
}

// failure turns what go-mail reports into an error safe to record: the
// stage, and the server's status code when it answered one. Other texts
// (connection and TLS errors) pass with the recipient, the code and the
// credentials masked out, should any of them be quoted.
func (s *Sender) failure(ctx context.Context, stage string, err error, m Message) error {
	var ne net.Error
	if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("mail: %s: no answer within %s: %w", stage, s.o.Timeout, context.DeadlineExceeded)
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return fmt.Errorf("mail: %s: %s%s", stage, sendReason(se.Reason), status(se.ErrorCode(), se.EnhancedStatusCode(), se.IsTemp()))
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		enhanced, _, _ := strings.Cut(te.Msg, " ")
		if !isEnhancedCode(enhanced) {
			enhanced = ""
		}
		return fmt.Errorf("mail: %s: the server refused%s", stage, status(te.Code, enhanced, te.Code/100 == 4))
	}
	text := err.Error()
	for _, secret := range []string{s.o.Password, s.o.Username, m.Code, m.To} {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return fmt.Errorf("mail: %s: %s", stage, text)
}

// sendReason says which step of a delivery failed.
func sendReason(r gomail.SendErrReason) string {
	switch r {
	case gomail.ErrSMTPMailFrom:
		return "the server refused the sender (MAIL FROM)"
	case gomail.ErrSMTPRcptTo:
		return "the server refused the recipient (RCPT TO)"
	case gomail.ErrSMTPData:
		return "the server refused the message (DATA)"
	case gomail.ErrSMTPDataClose:
		return "the server refused the message after receiving it"
	case gomail.ErrWriteContent:
		return "the message could not be written"
	case gomail.ErrConnCheck:
		return "the connection was lost"
	case gomail.ErrNoUnencoded:
		return "the server does not take 8-bit messages"
	}
	return "the delivery failed"
}

// status formats an SMTP reply code and enhanced status code (RFC 3463),
// when known, and whether the failure is temporary.
func status(code int, enhanced string, temporary bool) string {
	if code == 0 {
		return ""
	}
	s := " (" + strconv.Itoa(code)
	if enhanced != "" {
		s += " " + enhanced
	}
	if temporary {
		return s + ", temporary)"
	}
	return s + ")"
}

// isEnhancedCode reports whether s looks like "5.7.8".
func isEnhancedCode(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0] < "2" || parts[0] > "5" {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 || !isDigits(p) {
			return false
		}
	}
	return true
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
