package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
)

func TestStartAnswersTheVerificationObject(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey,
		body: `{"phone":"+1 415-555-0123","origin":"https://www.example.com","embedded_origin":"https://pay.example.net","client_ip":"203.0.113.7","locale":"en"}`})
	if a.status != 201 || a.header["content-type"] != "application/json" {
		t.Fatalf("start: %d %q %s", a.status, a.header["content-type"], a.raw)
	}
	v := a.json
	want := map[string]any{
		"status": "pending", "channel": "sms", "phone": verifier.MaskPhone(phone), "origin": origin, "embedded_origin": iframe,
		"created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-01T12:10:00Z", "resend_after": "2026-03-01T12:00:30Z",
		"sends": 1.0, "attempts_left": 5.0,
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}
	if id, _ := v["id"].(string); len(id) < 16 {
		t.Errorf("id = %q", v["id"])
	}
	if len(v) != len(want)+1 {
		t.Errorf("fields %v: want exactly id and %d others", v, len(want))
	}
	if strings.Contains(string(a.raw), "0123\"") || strings.Contains(string(a.raw), phone) {
		t.Errorf("answer holds the full number: %s", a.raw)
	}

	got := e.do(t, req{method: "GET", path: "/v1/verifications/" + v["id"].(string), key: shopKey})
	if got.status != 200 || got.json["id"] != v["id"] || got.json["embedded_origin"] != iframe {
		t.Errorf("get: %d %s", got.status, got.raw)
	}
}

func TestEmbeddedOriginIsOmittedWhenThereIsNone(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start(t, phone)
	a := e.do(t, req{method: "GET", path: "/v1/verifications/" + id, key: shopKey})
	if _, ok := a.json["embedded_origin"]; ok || strings.Contains(string(a.raw), "embedded_origin") {
		t.Errorf("embedded_origin present: %s", a.raw)
	}
}

func TestCheckSemantics(t *testing.T) {
	t.Run("a wrong code answers valid false with one fewer attempt", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		a := e.check(t, id, wrong(e.code(t, id)))
		if a.status != 200 || a.json["valid"] != false || a.verification()["attempts_left"] != 4.0 || a.verification()["status"] != "pending" {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("the right code approves once and a replay answers 409 with the status", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		a := e.check(t, id, code)
		if a.status != 200 || a.json["valid"] != true || a.verification()["status"] != "approved" {
			t.Fatalf("check: %d %s", a.status, a.raw)
		}
		a = e.check(t, id, code)
		if a.status != 409 || a.errorCode() != "not_pending" || a.json["error"].(map[string]any)["status"] != "approved" {
			t.Fatalf("replay: %d %s", a.status, a.raw)
		}
	})
	t.Run("a resend kills the old code", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		old := e.code(t, id)
		e.clock.Advance(31 * time.Second)
		a := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey, body: `{}`})
		if a.status != 200 || a.json["sends"] != 2.0 {
			t.Fatalf("resend: %d %s", a.status, a.raw)
		}
		fresh := e.code(t, id)
		if fresh == old {
			t.Fatalf("resend sent the same code")
		}
		if a := e.check(t, id, old); a.status != 200 || a.json["valid"] != false {
			t.Fatalf("old code: %d %s", a.status, a.raw)
		}
		if a := e.check(t, id, fresh); a.status != 200 || a.json["valid"] != true {
			t.Fatalf("new code: %d %s", a.status, a.raw)
		}
	})
	t.Run("a resend before the cooldown is rate limited with Retry-After", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		e.clock.Advance(10 * time.Second)
		a := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey})
		if a.status != 429 || a.errorCode() != "rate_limited" || a.header["retry-after"] == "" {
			t.Fatalf("%d %v %s", a.status, a.header, a.raw)
		}
		n, _ := strconv.Atoi(a.header["retry-after"])
		if n < 1 || n > 20 || a.json["error"].(map[string]any)["retry_after"] != float64(n) {
			t.Errorf("Retry-After %q, body %s", a.header["retry-after"], a.raw)
		}
	})
	t.Run("a canceled verification no longer checks", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		a := e.do(t, req{method: "DELETE", path: "/v1/verifications/" + id, key: shopKey})
		if a.status != 200 || a.json["status"] != "canceled" {
			t.Fatalf("cancel: %d %s", a.status, a.raw)
		}
		if a := e.check(t, id, code); a.status != 409 || a.json["error"].(map[string]any)["status"] != "canceled" {
			t.Fatalf("check: %d %s", a.status, a.raw)
		}
		if a := e.do(t, req{method: "DELETE", path: "/v1/verifications/" + id, key: shopKey}); a.status != 409 || a.errorCode() != "not_pending" {
			t.Fatalf("second cancel: %d %s", a.status, a.raw)
		}
	})
	t.Run("the last wrong code turns the status to max_attempts_reached", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		var a answer
		for range 5 {
			a = e.check(t, id, wrong(code))
		}
		if a.status != 200 || a.json["valid"] != false || a.verification()["status"] != "max_attempts_reached" || a.verification()["attempts_left"] != 0.0 {
			t.Fatalf("fifth wrong: %d %s", a.status, a.raw)
		}
		if a := e.check(t, id, code); a.status != 409 || a.json["error"].(map[string]any)["status"] != "max_attempts_reached" {
			t.Fatalf("right code after: %d %s", a.status, a.raw)
		}
	})
	t.Run("parallel wrong guesses count every guess and approve nothing", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		var wg sync.WaitGroup
		var mu sync.Mutex
		valid, ok200, conflict := 0, 0, 0
		for i := range 40 {
			wg.Go(func() {
				c := wrong(code)
				if i == 39 {
					c = code
				}
				a := e.check(t, id, c)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case a.status == 200 && a.json["valid"] == true:
					valid++
				case a.status == 200:
					ok200++
				case a.status == 409:
					conflict++
				default:
					t.Errorf("check: %d %s", a.status, a.raw)
				}
			})
		}
		wg.Wait()
		if ok200+valid > 5 || valid > 1 || ok200+valid+conflict != 40 {
			t.Errorf("%d wrong answered, %d valid, %d conflicts", ok200, valid, conflict)
		}
	})
	t.Run("an expired verification answers 409 expired", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		e.clock.Advance(10*time.Minute + time.Second)
		if a := e.do(t, req{method: "GET", path: "/v1/verifications/" + id, key: shopKey}); a.status != 200 || a.json["status"] != "expired" {
			t.Fatalf("get: %d %s", a.status, a.raw)
		}
		if a := e.check(t, id, code); a.status != 409 || a.json["error"].(map[string]any)["status"] != "expired" {
			t.Fatalf("check: %d %s", a.status, a.raw)
		}
	})
	t.Run("check by phone checks the newest pending verification", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		code := e.code(t, id)
		body := `{"phone":"` + phone + `","code":"` + wrong(code) + `"}`
		a := e.do(t, req{method: "POST", path: "/v1/verifications/check", key: shopKey, body: body})
		if a.status != 200 || a.json["valid"] != false || a.verification()["id"] != id {
			t.Fatalf("wrong: %d %s", a.status, a.raw)
		}
		body = `{"phone":"+1 (415) 555-0123","code":"` + code + `"}`
		a = e.do(t, req{method: "POST", path: "/v1/verifications/check", key: shopKey, body: body})
		if a.status != 200 || a.json["valid"] != true {
			t.Fatalf("right: %d %s", a.status, a.raw)
		}
	})
	t.Run("check by phone answers 404 when the phone has no verification", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		a := e.do(t, req{method: "POST", path: "/v1/verifications/check", key: shopKey, body: `{"phone":"+14155550199","code":"123456"}`})
		if a.status != 404 || a.errorCode() != "not_found" {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("another app's key does not see the verification", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		id := e.start(t, phone)
		for _, r := range []req{
			{method: "GET", path: "/v1/verifications/" + id, key: otherKey},
			{method: "POST", path: "/v1/verifications/" + id + "/check", key: otherKey, body: `{"code":"` + e.code(t, id) + `"}`},
			{method: "DELETE", path: "/v1/verifications/" + id, key: otherKey},
		} {
			if a := e.do(t, r); a.status != 404 {
				t.Errorf("%s %s: %d %s", r.method, r.path, a.status, a.raw)
			}
		}
	})
	t.Run("too many verifications of one phone are rate limited", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		body := `{"phone":"` + phone + `","origin":"` + origin + `"}`
		var a answer
		for range 6 {
			a = e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: body})
		}
		if a.status != 429 || a.errorCode() != "rate_limited" || a.header["retry-after"] == "" {
			t.Fatalf("sixth start: %d %v %s", a.status, a.header, a.raw)
		}
	})
}

func TestAFailedDeliveryAnswers502(t *testing.T) {
	failing := &fakes.Sender{}
	failing.FailWith(func(verifier.Message) error { return errors.New("provider down") })
	e := newEnv(t, envOptions{sender: failing})
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `"}`})
	if a.status != 502 || a.errorCode() != "delivery_failed" || strings.Contains(string(a.raw), "provider down") {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	m := e.do(t, req{method: "GET", path: "/metrics"})
	if !strings.Contains(string(m.raw), `webotp_delivery_failures_total{channel="sms"} 1`) {
		t.Errorf("delivery failure not counted")
	}
}

// downStore is a Store whose backend is unreachable.
type downStore struct{ *memstore.Store }

func (downStore) Ping(context.Context) error { return errors.New("dial tcp: connection refused") }
func (downStore) Create(context.Context, *verifier.Verification, []verifier.Limit) error {
	return verifier.StoreUnavailable(errors.New("dial tcp: connection refused"))
}

func TestAnUnreachableStoreAnswers503(t *testing.T) {
	ms := memstore.New(memstore.Options{SweepInterval: -1})
	defer ms.Close()
	e := newEnv(t, envOptions{store: downStore{ms}})
	if a := e.do(t, req{method: "GET", path: "/readyz"}); a.status != 503 || a.errorCode() != "store_unavailable" {
		t.Errorf("readyz: %d %s", a.status, a.raw)
	}
	if a := e.do(t, req{method: "GET", path: "/healthz"}); a.status != 200 {
		t.Errorf("healthz: %d %s", a.status, a.raw)
	}
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `"}`})
	if a.status != 503 || a.errorCode() != "store_unavailable" || strings.Contains(string(a.raw), "refused") {
		t.Fatalf("start: %d %s", a.status, a.raw)
	}
}

func TestReadyzAnswers200WhenTheStoreAnswers(t *testing.T) {
	e := newEnv(t, envOptions{})
	if a := e.do(t, req{method: "GET", path: "/readyz"}); a.status != 200 || a.header["content-type"] != "application/json" {
		t.Errorf("readyz: %d %s", a.status, a.raw)
	}
}

// fakeService answers every operation with a fixed error, or panics.
type fakeService struct {
	err   error
	panic bool
}

func (f fakeService) Now() time.Time { return time.Unix(0, 0) }
func (f fakeService) fail() error {
	if f.panic {
		panic("boom: secret internal state")
	}
	return f.err
}
func (f fakeService) Start(context.Context, *verifier.App, verifier.StartRequest) (*verifier.Verification, error) {
	return nil, f.fail()
}
func (f fakeService) Get(context.Context, *verifier.App, string) (*verifier.Verification, error) {
	return nil, f.fail()
}
func (f fakeService) Resend(context.Context, *verifier.App, string) (*verifier.Verification, error) {
	return nil, f.fail()
}
func (f fakeService) Check(context.Context, *verifier.App, string, string) (*verifier.CheckResult, error) {
	return nil, f.fail()
}
func (f fakeService) CheckPhone(context.Context, *verifier.App, string, string) (*verifier.CheckResult, error) {
	return nil, f.fail()
}
func (f fakeService) CheckEmail(context.Context, *verifier.App, string, string) (*verifier.CheckResult, error) {
	return nil, f.fail()
}
func (f fakeService) Link(context.Context, *verifier.App, string) (string, error) {
	return "", f.fail()
}
func (f fakeService) Cancel(context.Context, *verifier.App, string) (*verifier.Verification, error) {
	return nil, f.fail()
}
func (f fakeService) Ready(context.Context) error { return f.fail() }

// hangingService's Get waits until its context ends, as a store that no
// longer answers would, and reports the time its context had left when it
// was called and how the context ended.
type hangingService struct {
	fakeService
	left  chan time.Duration
	ended chan error
}

func (h hangingService) Get(ctx context.Context, _ *verifier.App, _ string) (*verifier.Verification, error) {
	left := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	h.left <- left
	<-ctx.Done()
	h.ended <- ctx.Err()
	return nil, verifier.StoreUnavailable(ctx.Err())
}

func TestAHangingStoreIsCutOffAtTheRequestTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	svc := hangingService{left: make(chan time.Duration, 1), ended: make(chan error, 1)}
	e := newEnv(t, envOptions{service: svc, config: func(c *Config) { c.RequestTimeout = timeout }})
	a := e.do(t, req{method: "GET", path: "/v1/verifications/abcdefghijklmnopqrstuv", key: shopKey})
	if a.status != 503 || a.errorCode() != "store_unavailable" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if left := <-svc.left; left <= 0 || left > timeout {
		t.Errorf("the store was called with %v left, want at most RequestTimeout, %v", left, timeout)
	}
	if err := <-svc.ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the request's context ended with %v, want its deadline", err)
	}
}

func TestTheErrorTable(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{verifier.Errorf(CodeInvalidJSON, "x"), 400, "invalid_json"},
		{verifier.Errorf(verifier.CodeInvalidRequest, "x"), 400, "invalid_request"},
		{verifier.Errorf(verifier.CodeInvalidPhone, "x"), 400, "invalid_phone"},
		{verifier.Errorf(verifier.CodeInvalidOrigin, "x"), 400, "invalid_origin"},
		{verifier.Errorf(verifier.CodeInvalidCode, "x"), 400, "invalid_code"},
		{verifier.Errorf(CodeUnauthorized, "x"), 401, "unauthorized"},
		{verifier.Errorf(verifier.CodeOriginNotAllowed, "x"), 403, "origin_not_allowed"},
		{verifier.Errorf(verifier.CodeCountryNotAllowed, "x"), 403, "country_not_allowed"},
		{verifier.Errorf(verifier.CodeNumberTypeNotAllowed, "x"), 403, "number_type_not_allowed"},
		{verifier.ErrNotFound, 404, "not_found"},
		{verifier.NotPending(verifier.StatusApproved), 409, "not_pending"},
		{verifier.RateLimited(1500*time.Millisecond, "x"), 429, "rate_limited"},
		{verifier.Errorf(verifier.CodeDeliveryFailed, "x"), 502, "delivery_failed"},
		{verifier.StoreUnavailable(errors.New("down")), 503, "store_unavailable"},
		{verifier.KeyUnavailable("k9"), 503, "key_unavailable"},
		{verifier.Errorf(verifier.CodeInternal, "x"), 500, "internal"},
		{verifier.Errorf(CodeUnsupportedMediaType, "x"), 415, "unsupported_media_type"},
		{verifier.Errorf(CodeMethodNotAllowed, "x"), 405, "method_not_allowed"},
		{verifier.Errorf(CodePayloadTooLarge, "x"), 413, "payload_too_large"},
		{verifier.Errorf(CodeHeadersTooLarge, "x"), 431, "headers_too_large"},
		{verifier.Errorf(CodeRequestTimeout, "x"), 408, "request_timeout"},
		{verifier.Errorf(CodeHostNotAllowed, "x"), 421, "host_not_allowed"},
		{verifier.Errorf(CodeServerBusy, "x"), 503, "server_busy"},
		{verifier.Errorf("no_such_code", "x"), 500, "internal"},
		{fmt.Errorf("wrapped: %w", verifier.ErrNotFound), 404, "not_found"},
		{errors.New("some internal failure with details"), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v answers %d %s", tt.err, tt.status, tt.code), func(t *testing.T) {
			e := newEnv(t, envOptions{service: fakeService{err: tt.err}})
			a := e.direct(t, req{method: "GET", path: "/v1/verifications/abcdefghijklmnopqrstuv", key: shopKey})
			if a.status != tt.status || a.errorCode() != tt.code || a.header["content-type"] != "application/json" {
				t.Fatalf("%d %q %s", a.status, a.header["content-type"], a.raw)
			}
			msg, _ := a.json["error"].(map[string]any)["message"].(string)
			if msg == "" || strings.Contains(msg, "details") || strings.Contains(msg, "down") {
				t.Errorf("message %q", msg)
			}
			if tt.code == "rate_limited" && (a.header["retry-after"] != "2" || a.json["error"].(map[string]any)["retry_after"] != 2.0) {
				t.Errorf("rate limited: Retry-After %q, %s", a.header["retry-after"], a.raw)
			}
			if tt.code == "not_pending" && a.json["error"].(map[string]any)["status"] != "approved" {
				t.Errorf("not pending without status: %s", a.raw)
			}
		})
	}
}

func TestARouteAddedWithHandleAnswersErrorsAsTheAPIDoes(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.srv.Handle("GET", "/extra/{what}", func(ctx *fasthttp.RequestCtx) {
		switch ctx.UserValue("what") {
		case "missing":
			e.srv.WriteError(ctx, verifier.ErrNotFound)
		case "limited":
			e.srv.WriteError(ctx, fmt.Errorf("extra: %w", verifier.RateLimited(3*time.Second, "Slow down.")))
		default:
			e.srv.WriteError(ctx, errors.New("extra: disk on fire"))
		}
	})
	tests := []struct {
		name, path string
		status     int
		body       string
	}{
		{"a domain error answers its code's status", "/extra/missing", 404, `{"error":{"code":"not_found","message":"No such verification."}}`},
		{"a wrapped one too, with its details", "/extra/limited", 429, `{"error":{"code":"rate_limited","message":"Slow down.","retry_after":3}}`},
		{"any other error is internal, its cause hidden", "/extra/broken", 500, `{"error":{"code":"internal","message":"Internal error."}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.direct(t, req{method: "GET", path: tt.path})
			if a.status != tt.status || string(a.raw) != tt.body || a.header["content-type"] != "application/json" || a.header["cache-control"] != "no-store" {
				t.Errorf("%d %q %q %s", a.status, a.header["content-type"], a.header["cache-control"], a.raw)
			}
		})
	}
	if log := e.log.String(); !strings.Contains(log, "disk on fire") || !strings.Contains(log, "route=/extra/{what}") {
		t.Errorf("the internal error was not logged with its route:\n%s", log)
	}
}

func TestAPanicInAHandlerAnswers500AndIsLogged(t *testing.T) {
	e := newEnv(t, envOptions{service: fakeService{panic: true}})
	for _, do := range []func(testing.TB, req) answer{e.direct, e.do} {
		a := do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: `{"phone":"+1","origin":"https://x"}`})
		if a.status != 500 || a.errorCode() != "internal" || strings.Contains(string(a.raw), "boom") {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	}
	if !strings.Contains(e.log.String(), "panic in handler") {
		t.Errorf("panic not logged: %s", e.log.String())
	}
	if a := e.do(t, req{method: "GET", path: "/healthz"}); a.status != 200 {
		t.Errorf("server unusable after a panic: %d", a.status)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start(t, phone)
	e.check(t, id, wrong(e.code(t, id)))
	e.check(t, id, e.code(t, id))
	e.do(t, req{method: "GET", path: "/v1/verifications/" + id})
	a := e.do(t, req{method: "GET", path: "/metrics"})
	if a.status != 200 || !strings.HasPrefix(a.header["content-type"], "text/plain") {
		t.Fatalf("%d %q", a.status, a.header["content-type"])
	}
	for _, want := range []string{
		`webotp_verifications_started_total{channel="sms"} 1`,
		`webotp_verifications_started_total{channel="email"} 0`,
		"webotp_verifications_approved_total 1",
		"webotp_checks_failed_total 1",
		`webotp_sends_total{channel="sms"} 1`,
		`webotp_sends_total{channel="voice"} 0`,
		`webotp_delivery_failures_total{channel="sms"} 0`,
		`webotp_http_requests_total{code="201",method="POST",route="/v1/verifications"} 1`,
		`webotp_http_requests_total{code="200",method="POST",route="/v1/verifications/{id}/check"} 2`,
		`webotp_http_requests_total{code="401",method="GET",route="/v1/verifications/{id}"} 1`,
		`webotp_http_request_duration_seconds_bucket{route="/v1/verifications",le="+Inf"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(a.raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestTheAccessLogHoldsNoCodeNumberOrKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start(t, phone)
	code := e.code(t, id)
	e.check(t, id, wrong(code))
	e.check(t, id, code)
	e.do(t, req{method: "POST", path: "/v1/verifications/check", key: shopKey, body: `{"phone":"` + phone + `","code":"` + code + `"}`})
	e.do(t, req{method: "GET", path: "/v1/verifications/" + phone, key: shopKey})
	log := e.log.String()
	if !strings.Contains(log, "route=/v1/verifications/{id}/check") || !strings.Contains(log, "status=200") {
		t.Fatalf("access log lacks the check: %s", log)
	}
	for _, secret := range []string{code, wrong(code), phone, "4155550123", shopKey, "Bearer"} {
		if strings.Contains(log, secret) {
			t.Errorf("log holds %q:\n%s", secret, log)
		}
	}
}
