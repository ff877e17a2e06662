package main

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/sms"
)

// devHandler is the handler of a server with development mode's routes,
// on a memory store and an outbox.
func devHandler(t *testing.T) fasthttp.RequestHandler {
	t.Helper()
	store := memstore.New(memstore.Options{SweepInterval: -1})
	t.Cleanup(func() { store.Close() })
	outbox := sms.NewOutbox(10, time.Now)
	svc, err := verifier.NewService(verifier.Config{
		Store: store, Sender: outbox, Keys: []verifier.MasterKey{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := mountDev(srv, outbox); err != nil {
		t.Fatalf("mountDev: %v", err)
	}
	return srv.Handler()
}

// get answers a GET of path by h.
func get(h fasthttp.RequestHandler, path string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, nil, nil)
	ctx.Request.SetRequestURI(path)
	h(&ctx)
	var r fasthttp.Response
	ctx.Response.CopyTo(&r)
	return &r
}

func TestTheDevInboxIsAPageWithItsScriptAndStylesAsFiles(t *testing.T) {
	h := devHandler(t)
	page := get(h, "/dev/inbox")
	if page.StatusCode() != 200 || string(page.Header.ContentType()) != "text/html; charset=utf-8" {
		t.Fatalf("/dev/inbox: %d %q", page.StatusCode(), page.Header.ContentType())
	}
	body := string(page.Body())
	if !strings.Contains(body, `http-equiv="Content-Security-Policy"`) || strings.Contains(body, "unsafe-inline") {
		t.Errorf("the page sets no strict Content-Security-Policy:\n%s", body)
	}
	// What a CSP without 'unsafe-inline' would block: inline scripts and
	// styles, event handler attributes.
	for _, inline := range []*regexp.Regexp{
		regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`),
		regexp.MustCompile(`<script>`),
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
	} {
		if m := inline.FindString(body); m != "" {
			t.Errorf("inline code %q in the page", m)
		}
	}
	refs := regexp.MustCompile(`<(?:script src|link rel="stylesheet" href)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	if len(refs) != len(want) {
		t.Fatalf("the page links %d files, want a script and a style sheet: %q", len(refs), refs)
	}
	for _, ref := range refs {
		path := ref[1]
		r := get(h, path)
		ext := path[strings.LastIndexByte(path, '.'):]
		if r.StatusCode() != 200 || string(r.Header.ContentType()) != want[ext] || len(r.Body()) == 0 {
			t.Errorf("%s: %d %q, %d bytes", path, r.StatusCode(), r.Header.ContentType(), len(r.Body()))
		}
	}
}

func TestTheDevInboxReadsTheOutboxItNames(t *testing.T) {
	h := devHandler(t)
	page := string(get(h, "/dev/inbox").Body())
	m := regexp.MustCompile(`data-outbox="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data-outbox in the page:\n%s", page)
	}
	if r := get(h, m[1]); r.StatusCode() != 200 || string(r.Header.ContentType()) != "application/json" {
		t.Errorf("%s: %d %q", m[1], r.StatusCode(), r.Header.ContentType())
	}
}

func TestAnUnknownDevPathIsTheAPIsNotFound(t *testing.T) {
	r := get(devHandler(t), "/dev/nothing")
	if r.StatusCode() != 404 || string(r.Header.ContentType()) != "application/json" ||
		!strings.Contains(string(r.Body()), `"code":"not_found"`) {
		t.Errorf("%d %q %s", r.StatusCode(), r.Header.ContentType(), r.Body())
	}
}

func TestTheDevQRRouteDrawsVerificationLinksOnly(t *testing.T) {
	h := devHandler(t)
	for _, c := range []struct {
		name   string
		path   string
		status int
		ctype  string
	}{
		{"a verification link is drawn as SVG", "/dev/qr?link=" + url.QueryEscape("http://localhost:8080/verify#otp=123456"), 200, "image/svg+xml"},
		{"a URL without a code is refused", "/dev/qr?link=" + url.QueryEscape("http://localhost:8080/verify"), 400, "application/json"},
		{"a URL with a user is refused", "/dev/qr?link=" + url.QueryEscape("https://a@evil.example/#otp=1"), 400, "application/json"},
		{"no link is refused", "/dev/qr", 400, "application/json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(h, c.path)
			if r.StatusCode() != c.status || string(r.Header.ContentType()) != c.ctype {
				t.Fatalf("%d %q %s", r.StatusCode(), r.Header.ContentType(), r.Body())
			}
		})
	}
}

func TestTheDevOutboxKeepsEmailsComposedAndCallsWithTheirChannel(t *testing.T) {
	outbox := sms.NewOutbox(10, time.Now)
	m, err := newMailer(&serveConfig{Dev: true}, outbox)
	if err != nil {
		t.Fatal(err)
	}
	link := "http://localhost:8080/verify#otp=123456"
	if err := m.Mail(t.Context(), verifier.Email{To: "alice@example.com", AppName: "Shop", Code: "123456", Link: link, VerificationID: "v1"}); err != nil {
		t.Fatal(err)
	}
	caller := newCaller(&serveConfig{Dev: true}, nil, io.Discard, outbox)
	if caller == nil {
		t.Fatal("development mode offers no voice channel")
	}
	if err := caller.Call(t.Context(), verifier.Call{To: "+14155550123", Code: "654321", VerificationID: "v2"}); err != nil {
		t.Fatal(err)
	}
	msgs := outbox.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	call, email := msgs[0], msgs[1]
	if email.Channel != "email" || !strings.HasPrefix(email.Subject, "123456 ") || !strings.Contains(email.Body, link) ||
		!strings.Contains(email.HTML, "123456") || email.Link != link {
		t.Errorf("email kept as %+v", email)
	}
	if call.Channel != "voice" || !strings.Contains(call.Body, "6, 5, 4, 3, 2, 1") && !strings.Contains(call.Body, "6 5 4 3 2 1") {
		t.Errorf("call kept as %+v", call)
	}
}

func TestOutsideDevModeOnlyACapableSenderOffersVoiceAndOnlySMTPOffersEmail(t *testing.T) {
	tw, err := sms.NewTwilio(sms.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "DEMO"})
	if err != nil {
		t.Fatal(err)
	}
	if c := newCaller(&serveConfig{Sender: "twilio"}, tw, io.Discard, nil); c != nil {
		t.Errorf("a Twilio with an alphanumeric sender offers calls")
	}
	tw, _ = sms.NewTwilio(sms.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "DEMO", CallFrom: "+15005550006"})
	if c := newCaller(&serveConfig{Sender: "twilio"}, tw, io.Discard, nil); c == nil {
		t.Errorf("a Twilio with a number to call from offers no calls")
	}
	if m, err := newMailer(&serveConfig{}, nil); m != nil || err != nil {
		t.Errorf("without --smtp-host: %v, %v", m, err)
	}
	if _, err := newMailer(&serveConfig{SMTPHost: "127.0.0.1"}, nil); err == nil {
		t.Errorf("--smtp-host without --smtp-from is accepted")
	}
}
