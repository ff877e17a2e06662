package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
)

var testMessage = verifier.Message{
	To:             "+14155550123",
	Body:           "Your Demo code is 123456.\n\n@www.example.com #123456",
	VerificationID: "vid_abcdefghijklmnopqrs",
	AppID:          "demo",
	Send:           1,
	Encoding:       "GSM-7",
	Segments:       1,
}

// fakeServer starts a fasthttp server on a free 127.0.0.1 port and returns
// its base URL; it stops with the test.
func fakeServer(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &fasthttp.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		// Shutdown returns at once when Serve has not started yet (a test
		// that made no request); closing the listener ends Serve then.
		_ = ln.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// request is what a fake server saw.
type request struct {
	method, path, contentType, auth, signature string
	body                                       []byte
}

// provider is a fake provider: a server that keeps every request it gets
// and answers the n-th (from 1) with answer(n, ctx).
type provider struct {
	url  string
	mu   sync.Mutex
	seen []request
}

// startProvider starts a provider; it stops with the test.
func startProvider(t *testing.T, answer func(n int, ctx *fasthttp.RequestCtx)) *provider {
	t.Helper()
	p := &provider{}
	p.url = fakeServer(t, func(ctx *fasthttp.RequestCtx) {
		p.mu.Lock()
		p.seen = append(p.seen, request{
			method:      string(ctx.Method()),
			path:        string(ctx.Path()),
			contentType: string(ctx.Request.Header.ContentType()),
			auth:        string(ctx.Request.Header.Peek("Authorization")),
			signature:   string(ctx.Request.Header.Peek(SignatureHeader)),
			body:        append([]byte(nil), ctx.PostBody()...),
		})
		n := len(p.seen)
		p.mu.Unlock()
		answer(n, ctx)
	})
	return p
}

// requests are the requests the provider got so far, oldest first.
func (p *provider) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.seen...)
}

// answerJSON answers every request with status and the JSON body.
func answerJSON(status int, body string) func(int, *fasthttp.RequestCtx) {
	return func(_ int, ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(status)
		ctx.SetContentType("application/json")
		ctx.SetBodyString(body)
	}
}

// consoleCase is what a Console prints, with or without reveal: it holds
// every string of want and none of mustMiss.
type consoleCase struct {
	name     string
	reveal   bool
	want     []string
	mustMiss []string
}

// testConsole runs each case on a new Console writing to a buffer, through
// write.
func testConsole(t *testing.T, tests []consoleCase, write func(*Console) error) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(NewConsole(&buf, tt.reveal)); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.want {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("output %q lacks %q", buf.String(), s)
				}
			}
			for _, s := range tt.mustMiss {
				if strings.Contains(buf.String(), s) {
					t.Errorf("output %q holds %q", buf.String(), s)
				}
			}
		})
	}
}

// twilioForm checks that r is a POST of a form to the resource of
// account AC0123 (as "Messages.json"), authenticated with AC0123:tok3n,
// and returns the form.
func twilioForm(t *testing.T, r request, resource string) url.Values {
	t.Helper()
	if r.method != "POST" || r.path != "/2010-04-01/Accounts/AC0123/"+resource || r.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s %s", r.method, r.path, r.contentType)
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("AC0123:tok3n")); r.auth != want {
		t.Errorf("Authorization %q, want %q", r.auth, want)
	}
	form, err := url.ParseQuery(string(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func TestConsole(t *testing.T) {
	testConsole(t, []consoleCase{
		{"in development mode it prints the whole message", true,
			[]string{"+14155550123", "@www.example.com #123456", testMessage.VerificationID}, nil},
		{"outside development mode it prints neither the code nor the full number", false,
			[]string{verifier.MaskPhone("+14155550123"), testMessage.VerificationID}, []string{"123456", "+14155550123", "example.com"}},
	}, func(c *Console) error { return c.Send(context.Background(), testMessage) })
}

func TestOutboxKeepsTheLastMessagesNewestFirst(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := NewOutbox(3, func() time.Time { now = now.Add(time.Second); return now })
	for i := range 5 {
		m := testMessage
		m.VerificationID = string(rune('a' + i))
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Messages()
	var ids []string
	for _, m := range got {
		ids = append(ids, m.VerificationID)
	}
	if strings.Join(ids, ",") != "e,d,c" {
		t.Fatalf("ids = %v, want e,d,c", ids)
	}
	if !got[0].SentAt.After(got[1].SentAt) || got[0].To != testMessage.To || got[0].Body != testMessage.Body {
		t.Errorf("newest message = %+v", got[0])
	}
	if o.Sent() != 5 {
		t.Errorf("Sent() = %d, want 5", o.Sent())
	}
	b, _ := json.Marshal(got[0])
	for _, k := range []string{`"to"`, `"body"`, `"verification_id"`, `"sent_at":"2026-01-02T03:04:10Z"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("JSON %s lacks %s", b, k)
		}
	}
}

func TestOutboxWaitWakesOnTheNextMessage(t *testing.T) {
	o := NewOutbox(0, nil)
	if len(o.Messages()) != 0 {
		t.Fatal("a new outbox is not empty")
	}
	got := make(chan uint64, 1)
	go func() {
		n, _ := o.Wait(context.Background(), 0)
		got <- n
	}()
	time.Sleep(10 * time.Millisecond)
	if err := o.Send(context.Background(), testMessage); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n != 1 {
			t.Errorf("Wait returned %d, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := o.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with nothing new = %v, want deadline exceeded", err)
	}
}

func TestOutboxIsSafeForConcurrentUse(t *testing.T) {
	o := NewOutbox(10, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_ = o.Send(context.Background(), testMessage)
				_ = o.Messages()
			}
		})
	}
	wg.Wait()
	if o.Sent() != 800 || len(o.Messages()) != 10 {
		t.Errorf("sent %d, kept %d", o.Sent(), len(o.Messages()))
	}
}

func TestMultiSendsThroughEverySenderEvenAfterAFailure(t *testing.T) {
	f := &fakes.Sender{}
	f.FailWith(func(verifier.Message) error { return errors.New("broken") })
	o := NewOutbox(1, nil)
	err := Multi{f, o}.Send(context.Background(), testMessage)
	if err == nil || f.Attempts() != 1 || len(o.Messages()) != 1 {
		t.Fatalf("err %v, failing calls %d, outbox %d", err, f.Attempts(), len(o.Messages()))
	}
	if err := (Multi{o}).Send(context.Background(), testMessage); err != nil {
		t.Errorf("all succeeding: %v", err)
	}
}

func TestWebhook(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1767225600, 0)
	tests := []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		wantErr   bool
		wantCalls int
	}{
		{"a 200 answer is one delivery", []int{200}, false, 1},
		{"a 204 answer is a delivery too", []int{204}, false, 1},
		{"5xx answers are retried until one succeeds", []int{503, 500, 200}, false, 3},
		{"5xx answers are retried a bounded number of times", []int{502}, true, 3},
		{"a 4xx answer is never retried", []int{400}, true, 1},
		{"a 429 answer is a 4xx and not retried", []int{429}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prov := startProvider(t, func(n int, ctx *fasthttp.RequestCtx) {
				ctx.SetStatusCode(tt.statuses[min(n, len(tt.statuses))-1])
			})
			w, err := NewWebhook(WebhookConfig{URL: prov.url + "/sms", Secret: secret, Backoff: time.Millisecond, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Send(context.Background(), testMessage)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), testMessage.To)) {
				t.Errorf("error %q reveals the code or number", err)
			}
			seen := prov.requests()
			if len(seen) != tt.wantCalls {
				t.Fatalf("%d requests, want %d", len(seen), tt.wantCalls)
			}
			r := seen[0]
			if r.method != "POST" || r.path != "/sms" || r.contentType != "application/json" {
				t.Errorf("request %s %s %s", r.method, r.path, r.contentType)
			}
			var p WebhookPayload
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			want := WebhookPayload{To: testMessage.To, Body: testMessage.Body, VerificationID: testMessage.VerificationID,
				AppID: "demo", Send: 1, Encoding: "GSM-7", Segments: 1}
			if p != want {
				t.Errorf("payload %+v, want %+v", p, want)
			}
			if r.signature != Sign(secret, now, r.body) || !strings.HasPrefix(r.signature, "t=1767225600,v1=") {
				t.Errorf("signature %q", r.signature)
			}
			// A receiver's check, written independently of Sign.
			mac := hmacHex(secret, "1767225600."+string(r.body))
			if !hmac.Equal([]byte(r.signature), []byte("t=1767225600,v1="+mac)) {
				t.Errorf("signature %q does not verify", r.signature)
			}
		})
	}
}

func TestWebhookRetriesConnectionErrorsAndGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	w, err := NewWebhook(WebhookConfig{URL: "http://" + addr + "/", Secret: []byte("s"), Retries: 2, Backoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = w.Send(context.Background(), testMessage)
	if err == nil || !strings.Contains(err.Error(), "attempt 3 of 3") {
		t.Fatalf("Send = %v, want a failure after 3 attempts", err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("gave up after %v: no backoff between attempts", d)
	}
}

func TestWebhookStopsRetryingWhenTheContextEnds(t *testing.T) {
	base := fakeServer(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(500) })
	w, err := NewWebhook(WebhookConfig{URL: base, Secret: []byte("s"), Retries: 5, Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Send(ctx, testMessage); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want deadline exceeded", err)
	}
}

func TestWebhookTimesOutASlowEndpoint(t *testing.T) {
	release := make(chan struct{})
	base := fakeServer(t, func(ctx *fasthttp.RequestCtx) { <-release })
	defer close(release)
	w, err := NewWebhook(WebhookConfig{URL: base, Secret: []byte("s"), Retries: -1, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(context.Background(), testMessage); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Send = %v, want a timeout", err)
	}
}

func TestNewWebhookRefusesBadConfigurations(t *testing.T) {
	for _, c := range []WebhookConfig{
		{URL: "", Secret: []byte("s")},
		{URL: "ftp://example.com/", Secret: []byte("s")},
		{URL: "https:///nohost", Secret: []byte("s")},
		{URL: "https://example.com/"},
	} {
		if _, err := NewWebhook(c); err == nil {
			t.Errorf("NewWebhook(%+v) accepted", c)
		}
	}
}

func TestTwilio(t *testing.T) {
	tests := []struct {
		name    string
		cfg     TwilioConfig
		status  int
		answer  string
		wantErr string
		from    string
		service string
	}{
		{"a message is created with From", TwilioConfig{From: "+15005550006"}, 201, `{"sid":"SM1","status":"queued"}`, "", "+15005550006", ""},
		{"a messaging service wins over From", TwilioConfig{From: "+15005550006", MessagingServiceSID: "MG123"}, 201, `{"sid":"SM1"}`, "", "", "MG123"},
		{"an error answer names Twilio's code but not its message", TwilioConfig{From: "+15005550006"}, 400,
			`{"code":21211,"message":"The 'To' number +14155550123 is not valid.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`,
			"error 21211", "+15005550006", ""},
		{"a 5xx answer fails without a retry", TwilioConfig{From: "+15005550006"}, 503, `oops`, "status 503", "+15005550006", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prov := startProvider(t, answerJSON(tt.status, tt.answer))
			cfg := tt.cfg
			cfg.AccountSID, cfg.AuthToken, cfg.BaseURL = "AC0123", "tok3n", prov.url+"/"
			tw, err := NewTwilio(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = tw.Send(context.Background(), testMessage)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Send = %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testMessage.To) {
				t.Errorf("error %q holds the number", err)
			}
			seen := prov.requests()
			if len(seen) != 1 {
				t.Fatalf("%d requests, want 1", len(seen))
			}
			r := seen[0]
			form := twilioForm(t, r, "Messages.json")
			if form.Get("To") != testMessage.To || form.Get("Body") != testMessage.Body ||
				form.Get("From") != tt.from || form.Get("MessagingServiceSid") != tt.service {
				t.Errorf("form %v", form)
			}
		})
	}
}

func TestNewTwilioRefusesBadConfigurations(t *testing.T) {
	for _, c := range []TwilioConfig{
		{AuthToken: "t", From: "+1"},
		{AccountSID: "AC", From: "+1"},
		{AccountSID: "AC", AuthToken: "t"},
		{AccountSID: "AC", AuthToken: "t", From: "+1", BaseURL: "localhost:99"},
	} {
		if _, err := NewTwilio(c); err == nil {
			t.Errorf("NewTwilio(%+v) accepted", c)
		}
	}
}

func hmacHex(secret []byte, s string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}
