package httpapi

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	vmail "github.com/webotp/webotp/verifier/mail"
	"github.com/webotp/webotp/verifier/sms"
)

const (
	address = "Alice@Example.COM" // normalized: alice@example.com
	linkURL = "https://www.example.com/verify"
)

// mailerTo is a verifier/mail Sender to s, in plain text (loopback).
func mailerTo(t *testing.T, s *fakes.SMTPServer) *vmail.Sender {
	t.Helper()
	m, err := vmail.New(vmail.Options{Host: "127.0.0.1", Port: s.Port, StartTLS: vmail.StartTLSNone,
		From: "no-reply@example.com", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// emailCode is the code in the subject of the last email the sink got,
// and that email's text part.
func emailCode(t *testing.T, sink *fakes.SMTPServer) (code, text string) {
	t.Helper()
	msgs := sink.Messages()
	if len(msgs) == 0 {
		t.Fatal("the SMTP server received no email")
	}
	m := msgs[len(msgs)-1]
	code = m.SubjectCode()
	if code == "" {
		t.Fatalf("subject %q does not start with the code", m.Header.Get("Subject"))
	}
	if to := m.Header.Get("To"); !strings.Contains(to, "alice@example.com") {
		t.Errorf("To %q, want the normalized address", to)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(p)
			text = string(b)
		}
	}
	return code, text
}

func (e *env) startEmail(t *testing.T, addr string) answer {
	t.Helper()
	return e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey,
		body: `{"channel":"email","email":"` + addr + `","origin":"` + origin + `"}`})
}

func TestAnEmailVerificationArrivesOverSMTPAndItsCodeChecks(t *testing.T) {
	sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
	e := newEnv(t, envOptions{mailer: mailerTo(t, sink), linkURL: linkURL})
	a := e.startEmail(t, address)
	if a.status != 201 || a.json["channel"] != "email" || a.json["email"] != "a***@example.com" || a.json["phone"] != nil {
		t.Fatalf("start: %d %s", a.status, a.raw)
	}
	id := a.json["id"].(string)
	code, text := emailCode(t, sink)
	if !strings.Contains(text, linkURL+"#otp="+code) {
		t.Errorf("the text part lacks the link with the code:\n%s", text)
	}
	if len(e.outbox.Messages()) != 0 {
		t.Errorf("an email verification sent an SMS")
	}
	if c := e.check(t, id, wrong(code)); c.status != 200 || c.json["valid"] != false {
		t.Fatalf("wrong code: %d %s", c.status, c.raw)
	}
	// Checked by address, as the phone check route checks by phone.
	c := e.do(t, req{method: "POST", path: "/v1/verifications/check", key: shopKey,
		body: `{"email":"alice@EXAMPLE.com","code":"` + code + `"}`})
	if c.status != 200 || c.json["valid"] != true {
		t.Fatalf("check by email: %d %s", c.status, c.raw)
	}
	if strings.Contains(e.log.String(), "alice@example.com") || strings.Contains(e.log.String(), code) {
		t.Errorf("the log holds the address or the code:\n%s", e.log.String())
	}
}

func TestAnEmailResendGoesOutByEmailWithANewCode(t *testing.T) {
	sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
	e := newEnv(t, envOptions{mailer: mailerTo(t, sink)})
	id := e.startEmail(t, address).json["id"].(string)
	first, _ := emailCode(t, sink)
	e.clock.Advance(time.Minute)
	if r := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey}); r.status != 200 {
		t.Fatalf("resend: %d %s", r.status, r.raw)
	}
	if n := len(sink.Messages()); n != 2 {
		t.Fatalf("%d emails after a resend, want 2", n)
	}
	second, _ := emailCode(t, sink)
	if c := e.check(t, id, first); c.json["valid"] != false {
		t.Fatalf("the replaced code checks: %s", c.raw)
	}
	if c := e.check(t, id, second); c.json["valid"] != true {
		t.Fatalf("the new code: %s", c.raw)
	}
}

func TestARefusedEmailIs502WithTheIDAndGivesItsStartBack(t *testing.T) {
	sink := fakes.StartSMTP(t, fakes.SMTPOptions{RcptErr: fakes.ErrNoSuchUser})
	e := newEnv(t, envOptions{mailer: mailerTo(t, sink), limits: verifier.Limits{PhoneStarts: 1}})
	a := e.startEmail(t, address)
	if a.status != 502 || a.errorCode() != "delivery_failed" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if id, _ := a.json["error"].(map[string]any)["id"].(string); id == "" {
		t.Fatalf("no id in %s", a.raw)
	}
	// The one start this address may make was given back.
	if a := e.startEmail(t, address); a.status != 502 {
		t.Fatalf("second start after a failed delivery: %d %s", a.status, a.raw)
	}
	m := e.do(t, req{method: "GET", path: "/metrics"})
	if !strings.Contains(string(m.raw), `webotp_delivery_failures_total{channel="email"} 2`) {
		t.Errorf("failed emails not counted by channel")
	}
}

func TestAHangingSMTPServerIs502WithinTheTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	m, err := vmail.New(vmail.Options{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, StartTLS: vmail.StartTLSNone,
		From: "no-reply@example.com", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{mailer: m})
	began := time.Now()
	a := e.startEmail(t, address)
	if a.status != 502 || a.errorCode() != "delivery_failed" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("answered after %v", took)
	}
}

func TestEveryPerDestinationLimitHoldsForEmail(t *testing.T) {
	t.Run("starts per address, whatever its case", func(t *testing.T) {
		sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
		e := newEnv(t, envOptions{mailer: mailerTo(t, sink), limits: verifier.Limits{PhoneStarts: 2}})
		for _, addr := range []string{"alice@example.com", "ALICE@example.com"} {
			if a := e.startEmail(t, addr); a.status != 201 {
				t.Fatalf("%s: %d %s", addr, a.status, a.raw)
			}
		}
		if a := e.startEmail(t, "Alice@Example.com"); a.status != 429 || !strings.Contains(string(a.raw), "email address") {
			t.Fatalf("third start: %d %s", a.status, a.raw)
		}
		if a := e.startEmail(t, "bob@example.com"); a.status != 201 {
			t.Fatalf("another address: %d %s", a.status, a.raw)
		}
	})
	t.Run("failed checks per address, across its verifications", func(t *testing.T) {
		sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
		e := newEnv(t, envOptions{mailer: mailerTo(t, sink), limits: verifier.Limits{PhoneFailures: 3, MaxAttempts: 2}})
		id1 := e.startEmail(t, address).json["id"].(string)
		code1, _ := emailCode(t, sink)
		id2 := e.startEmail(t, address).json["id"].(string)
		for _, id := range []string{id1, id1, id2} {
			e.check(t, id, wrong(code1))
		}
		if c := e.check(t, id2, wrong(code1)); c.status != 429 {
			t.Fatalf("fourth failure: %d %s", c.status, c.raw)
		}
		if a := e.startEmail(t, address); a.status != 429 {
			t.Fatalf("a start for an address whose failures are spent: %d %s", a.status, a.raw)
		}
	})
	t.Run("attempts per verification", func(t *testing.T) {
		sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
		e := newEnv(t, envOptions{mailer: mailerTo(t, sink), limits: verifier.Limits{MaxAttempts: 2}})
		id := e.startEmail(t, address).json["id"].(string)
		code, _ := emailCode(t, sink)
		e.check(t, id, wrong(code))
		e.check(t, id, wrong(code))
		if c := e.check(t, id, code); c.status != 409 || c.json["error"].(map[string]any)["status"] != "max_attempts_reached" {
			t.Fatalf("the right code after the attempts: %d %s", c.status, c.raw)
		}
	})
}

func TestAnInvalidAddressIs400InvalidEmail(t *testing.T) {
	sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
	e := newEnv(t, envOptions{mailer: mailerTo(t, sink)})
	for _, c := range []struct{ name, body, code string }{
		{"a display name", `{"channel":"email","email":"Alice <alice@example.com>","origin":"` + origin + `"}`, "invalid_email"},
		{"an IP address domain", `{"channel":"email","email":"alice@[127.0.0.1]","origin":"` + origin + `"}`, "invalid_email"},
		{"no address", `{"channel":"email","origin":"` + origin + `"}`, "invalid_email"},
		{"an address on the sms channel", `{"email":"alice@example.com","origin":"` + origin + `"}`, "invalid_request"},
		{"a phone on the email channel", `{"channel":"email","phone":"` + phone + `","email":"alice@example.com","origin":"` + origin + `"}`, "invalid_request"},
		{"an unknown channel", `{"channel":"pigeon","phone":"` + phone + `","origin":"` + origin + `"}`, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: c.body})
			if a.status != 400 || a.errorCode() != c.code {
				t.Fatalf("%d %s, want 400 %s", a.status, a.raw, c.code)
			}
		})
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d emails sent", n)
	}
}

func TestAChannelWithoutASenderIs400ChannelNotSupported(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, body := range []string{
		`{"channel":"voice","phone":"` + phone + `","origin":"` + origin + `"}`,
		`{"channel":"email","email":"alice@example.com","origin":"` + origin + `"}`,
	} {
		a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: body})
		if a.status != 400 || a.errorCode() != "channel_not_supported" {
			t.Errorf("%s: %d %s", body, a.status, a.raw)
		}
	}
	if n := len(e.outbox.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

// twilioFake is a Twilio API on 127.0.0.1 that keeps the forms of the
// calls it is asked to place.
type twilioFake struct {
	url string

	mu    sync.Mutex
	calls []url.Values
}

func startTwilioFake(t *testing.T) *twilioFake {
	t.Helper()
	f := &twilioFake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/Calls.json") || r.ParseForm() != nil {
			http.Error(w, `{"code":20404}`, 404)
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.PostForm)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"sid":"CA1","status":"queued"}`)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *twilioFake) twiml(t *testing.T) []string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Get("Twiml"))
	}
	return out
}

var sayDigits = regexp.MustCompile(`<Say[^>]*>([^<]*)</Say>`)

// spokenCodes are the digit sequences a TwiML document reads, one per
// <Say> that reads digits.
func spokenCodes(twiml string) []string {
	var codes []string
	for _, m := range sayDigits.FindAllStringSubmatch(twiml, -1) {
		var b strings.Builder
		for _, r := range m[1] {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			codes = append(codes, b.String())
		}
	}
	return codes
}

func TestAVoiceVerificationCallsThroughTwilioAndItsCodeChecks(t *testing.T) {
	fake := startTwilioFake(t)
	tw, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: "AC0123", AuthToken: "tok3n", From: "+15005550006", BaseURL: fake.url})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{caller: tw, limits: verifier.Limits{MaxAttempts: 2}})
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey,
		body: `{"channel":"voice","phone":"` + phone + `","origin":"` + origin + `","locale":"fr"}`})
	if a.status != 201 || a.json["channel"] != "voice" {
		t.Fatalf("start: %d %s", a.status, a.raw)
	}
	id := a.json["id"].(string)
	calls := fake.twiml(t)
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	if !strings.Contains(calls[0], `language="fr-FR"`) {
		t.Errorf("the call is not in French: %s", calls[0])
	}
	codes := spokenCodes(calls[0])
	if len(codes) != 2 || codes[0] != codes[1] || len(codes[0]) != 6 {
		t.Fatalf("the call reads %q, want one six-digit code twice: %s", codes, calls[0])
	}
	if len(e.outbox.Messages()) != 0 {
		t.Errorf("a voice verification sent an SMS")
	}
	// A resend calls again, in the same language, with a new code.
	e.clock.Advance(time.Minute)
	if r := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey}); r.status != 200 {
		t.Fatalf("resend: %d %s", r.status, r.raw)
	}
	calls = fake.twiml(t)
	if len(calls) != 2 || !strings.Contains(calls[1], `language="fr-FR"`) {
		t.Fatalf("the resent call: %q", calls)
	}
	if codes = spokenCodes(calls[1]); len(codes) != 2 || codes[0] != codes[1] {
		t.Fatalf("the resent call reads %q", codes)
	}
	// Attempts hold per verification on the voice channel too.
	if c := e.check(t, id, wrong(codes[0])); c.json["valid"] != false {
		t.Fatalf("wrong code: %s", c.raw)
	}
	if c := e.check(t, id, codes[0]); c.status != 200 || c.json["valid"] != true {
		t.Fatalf("the spoken code: %d %s", c.status, c.raw)
	}
	m := e.do(t, req{method: "GET", path: "/metrics"})
	for _, want := range []string{`webotp_verifications_started_total{channel="voice"} 1`, `webotp_sends_total{channel="voice"} 2`, `webotp_sends_total{channel="sms"} 0`} {
		if !strings.Contains(string(m.raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestVoiceAndSMSShareAPhonesFailureBudget(t *testing.T) {
	e := newEnv(t, envOptions{caller: e2eCaller{}, limits: verifier.Limits{PhoneFailures: 2}})
	sid := e.start(t, phone)
	code := e.code(t, sid)
	e.check(t, sid, wrong(code))
	e.check(t, sid, wrong(code))
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey,
		body: `{"channel":"voice","phone":"` + phone + `","origin":"` + origin + `"}`})
	if a.status != 429 {
		t.Fatalf("a call to a phone whose failures are spent by SMS: %d %s", a.status, a.raw)
	}
}

// e2eCaller accepts every call.
type e2eCaller struct{}

func (e2eCaller) Call(context.Context, verifier.Call) error { return nil }

func TestTheQRCodeOfAVerificationDecodesToTheLinkWithTheCurrentCode(t *testing.T) {
	e := newEnv(t, envOptions{linkURL: linkURL})
	id := e.start(t, phone)
	msg := e.outbox.Messages()[0]
	if !strings.Contains(msg.Body, linkURL+"#otp="+e.code(t, id)+"\n") {
		t.Errorf("the SMS lacks the link on its own line:\n%s", msg.Body)
	}
	qr := func() string {
		t.Helper()
		a := e.do(t, req{method: "GET", path: "/v1/verifications/" + id + "/qr?format=png", key: shopKey})
		if a.status != 200 || a.header["content-type"] != "image/png" || a.header["cache-control"] != "no-store" {
			t.Fatalf("qr: %d %v", a.status, a.header)
		}
		return fakes.DecodeQR(t, a.raw, nil).Text
	}
	link := qr()
	if link != linkURL+"#otp="+e.code(t, id) {
		t.Fatalf("the QR code reads %q", link)
	}
	if c, ok := otpmsg.CodeFromURL(link[strings.IndexByte(link, '#'):], ""); !ok || c != e.code(t, id) {
		t.Fatalf("CodeFromURL(%q) = %q, %v", link, c, ok)
	}
	svg := e.do(t, req{method: "GET", path: "/v1/verifications/" + id + "/qr", key: shopKey})
	if svg.status != 200 || svg.header["content-type"] != "image/svg+xml" || !bytes.HasPrefix(bytes.TrimSpace(svg.raw), []byte("<svg")) {
		t.Fatalf("svg: %d %v %.60s", svg.status, svg.header, svg.raw)
	}
	// After a resend the QR code carries the new code.
	e.clock.Advance(time.Minute)
	if r := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey}); r.status != 200 {
		t.Fatalf("resend: %s", r.raw)
	}
	if got, want := qr(), linkURL+"#otp="+e.code(t, id); got != want {
		t.Fatalf("after a resend the QR code reads %q, want %q", got, want)
	}
	// Fetching the QR code counts no attempt.
	if g := e.do(t, req{method: "GET", path: "/v1/verifications/" + id, key: shopKey}); g.json["attempts_left"] != 5.0 {
		t.Errorf("attempts_left %v after QR fetches", g.json["attempts_left"])
	}
}

func TestTheQRCodeIsRefusedWithoutALinkAnotherAppsKeyOrAPendingVerification(t *testing.T) {
	noLink := newEnv(t, envOptions{})
	id := noLink.start(t, phone)
	if a := noLink.do(t, req{method: "GET", path: "/v1/verifications/" + id + "/qr", key: shopKey}); a.status != 409 || a.errorCode() != "link_not_configured" {
		t.Errorf("an app without link_url: %d %s", a.status, a.raw)
	}
	e := newEnv(t, envOptions{linkURL: linkURL})
	id = e.start(t, phone)
	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"without the API key", req{method: "GET", path: "/v1/verifications/" + id + "/qr"}, 401, "unauthorized"},
		{"with another app's key", req{method: "GET", path: "/v1/verifications/" + id + "/qr", key: otherKey}, 404, "not_found"},
		{"in an unknown format", req{method: "GET", path: "/v1/verifications/" + id + "/qr?format=gif", key: shopKey}, 400, "invalid_request"},
		{"of an unknown verification", req{method: "GET", path: "/v1/verifications/AAAAAAAAAAAAAAAAAAAAAA/qr", key: shopKey}, 404, "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if a := e.do(t, c.r); a.status != c.status || a.errorCode() != c.code {
				t.Fatalf("%d %s, want %d %s", a.status, a.raw, c.status, c.code)
			}
		})
	}
	if c := e.check(t, id, e.code(t, id)); c.json["valid"] != true {
		t.Fatal(c.raw)
	}
	if a := e.do(t, req{method: "GET", path: "/v1/verifications/" + id + "/qr", key: shopKey}); a.status != 409 || a.errorCode() != "not_pending" {
		t.Errorf("an approved verification: %d %s", a.status, a.raw)
	}
}
