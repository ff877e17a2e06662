package verifier_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
)

func TestNewServiceRefusesAnIncompleteConfig(t *testing.T) {
	store := memstore.New(memstore.Options{SweepInterval: -1})
	for _, tc := range []struct {
		name string
		cfg  verifier.Config
	}{
		{"without a store", verifier.Config{Sender: &fakes.Sender{}, Keys: []verifier.MasterKey{key1}}},
		{"without a sender", verifier.Config{Store: store, Keys: []verifier.MasterKey{key1}}},
		{"without a key", verifier.Config{Store: store, Sender: &fakes.Sender{}}},
		{"with a short key", verifier.Config{Store: store, Sender: &fakes.Sender{}, Keys: []verifier.MasterKey{{ID: "k", Secret: make([]byte, 31)}}}},
		{"with a key without an id", verifier.Config{Store: store, Sender: &fakes.Sender{}, Keys: []verifier.MasterKey{{Secret: key1.Secret}}}},
		{"with one key id twice", verifier.Config{Store: store, Sender: &fakes.Sender{}, Keys: []verifier.MasterKey{key1, {ID: "k1", Secret: key2.Secret}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verifier.NewService(tc.cfg); err == nil {
				t.Fatal("NewService accepted it")
			}
		})
	}
}

func TestStartSendsTheFirstCodeBoundToTheOrigin(t *testing.T) {
	e := newEnv(t)
	v := e.start("+1 (415) 555-0123")
	if v.Phone != "+14155550123" || v.AppID != "shop" || v.KeyID != "k1" || v.Origin != "https://www.example.com" {
		t.Fatalf("verification %+v", v)
	}
	if len(v.ID) != 22 || v.Sends != 1 || v.Attempts != 0 || v.StatusAt(t0) != verifier.StatusPending {
		t.Fatalf("id %q sends %d attempts %d status %s", v.ID, v.Sends, v.Attempts, v.StatusAt(t0))
	}
	if !v.CreatedAt.Equal(t0) || !v.ExpiresAt.Equal(t0.Add(10*time.Minute)) || !v.ResendAfter.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("created %v expires %v resend after %v", v.CreatedAt, v.ExpiresAt, v.ResendAfter)
	}
	m := e.out.Last(t)
	want := derive(t, key1, v, 6)
	wantBody := "Your Shop verification code is " + want + ".\n\n@www.example.com #" + want
	if m.Body != wantBody || m.To != "+14155550123" || m.Send != 1 || m.VerificationID != v.ID || m.AppID != "shop" {
		t.Fatalf("message %+v, want body %q", m, wantBody)
	}
	if m.Encoding != "GSM-7" || m.Segments != 1 {
		t.Fatalf("message counted as %s in %d segments, want GSM-7 in 1", m.Encoding, m.Segments)
	}
	got, err := e.svc.Get(t.Context(), e.app, v.ID)
	if err != nil || got.ID != v.ID {
		t.Fatalf("Get = %v, %v", got, err)
	}
}

func TestStartBindsTheCodeToTheEmbeddedOriginToo(t *testing.T) {
	e := newEnv(t)
	v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", EmbeddedOrigin: "https://PAY.example.net:443"})
	if err != nil {
		t.Fatal(err)
	}
	if v.EmbeddedOrigin != "https://pay.example.net" {
		t.Fatalf("embedded origin %q", v.EmbeddedOrigin)
	}
	c := derive(t, key1, v, 6)
	if body := e.out.Last(t).Body; !strings.HasSuffix(body, "\n@www.example.com #"+c+" @pay.example.net") {
		t.Fatalf("body %q does not end with both hosts", body)
	}
}

func TestStartUsesTheAppsTextAndCodeLength(t *testing.T) {
	e := newEnv(t)
	e.app.Text = "{code} is your {app} code"
	e.app.Limits.CodeLength = 8
	v := e.start("+14155550123")
	c := derive(t, key1, v, 8)
	if body := e.out.Last(t).Body; body != c+" is your Shop code\n\n@www.example.com #"+c {
		t.Fatalf("body %q", body)
	}
}

func TestStartRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  verifier.StartRequest
		dev  bool
		want verifier.Code
	}{
		{"a missing phone", verifier.StartRequest{Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"a national phone without +", verifier.StartRequest{Phone: "4155550123", Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"a phone of letters", verifier.StartRequest{Phone: "+hello", Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"a phone that is too short", verifier.StartRequest{Phone: "+1415", Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"a very long phone", verifier.StartRequest{Phone: "+1" + strings.Repeat("5", 100), Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"an invalid number", verifier.StartRequest{Phone: "+447700900123", Origin: "https://www.example.com"}, false, verifier.CodeInvalidPhone},
		{"a premium-rate number", verifier.StartRequest{Phone: "+19002345678", Origin: "https://www.example.com"}, false, verifier.CodeNumberTypeNotAllowed},
		{"a shared-cost number", verifier.StartRequest{Phone: "+33810123456", Origin: "https://www.example.com"}, false, verifier.CodeNumberTypeNotAllowed},
		{"a pager number", verifier.StartRequest{Phone: "+447640123456", Origin: "https://www.example.com"}, false, verifier.CodeNumberTypeNotAllowed},
		{"a missing origin", verifier.StartRequest{Phone: "+14155550123"}, false, verifier.CodeInvalidOrigin},
		{"an origin with a path", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com/login"}, false, verifier.CodeInvalidOrigin},
		{"an origin with a trailing slash", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com/"}, false, verifier.CodeInvalidOrigin},
		{"an origin with a user", verifier.StartRequest{Phone: "+14155550123", Origin: "https://a@www.example.com"}, false, verifier.CodeInvalidOrigin},
		{"an origin without a scheme", verifier.StartRequest{Phone: "+14155550123", Origin: "www.example.com"}, false, verifier.CodeInvalidOrigin},
		{"an http origin", verifier.StartRequest{Phone: "+14155550123", Origin: "http://www.example.com"}, false, verifier.CodeInvalidOrigin},
		{"an http localhost origin outside dev mode", verifier.StartRequest{Phone: "+14155550123", Origin: "http://localhost:8080"}, false, verifier.CodeInvalidOrigin},
		{"an http origin in dev mode that is not localhost", verifier.StartRequest{Phone: "+14155550123", Origin: "http://www.example.com"}, true, verifier.CodeInvalidOrigin},
		{"an ftp origin", verifier.StartRequest{Phone: "+14155550123", Origin: "ftp://www.example.com"}, false, verifier.CodeInvalidOrigin},
		{"an origin not allowed", verifier.StartRequest{Phone: "+14155550123", Origin: "https://evil.example"}, false, verifier.CodeOriginNotAllowed},
		{"an embedded origin not allowed", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", EmbeddedOrigin: "https://evil.example"}, false, verifier.CodeOriginNotAllowed},
		{"an invalid embedded origin", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", EmbeddedOrigin: "pay.example.net"}, false, verifier.CodeInvalidOrigin},
		{"a client ip that is not an address", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", ClientIP: "localhost"}, false, verifier.CodeInvalidRequest},
		{"a client ip with a zone", verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", ClientIP: "fe80::1%eth0"}, false, verifier.CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *verifier.Config) { c.Dev = tc.dev })
			v, err := e.svc.Start(t.Context(), e.app, tc.req)
			wantCode(t, err, tc.want)
			if v != nil || e.out.Count() != 0 {
				t.Fatalf("a refused start returned %v and sent %d messages", v, e.out.Count())
			}
		})
	}
}

func TestStartAppliesTheCountryAllowlist(t *testing.T) {
	e := newEnv(t)
	e.app.Countries = []string{"fr", "DE"}
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	wantCode(t, err, verifier.CodeCountryNotAllowed)
	e.start("+33612345678")
}

func TestStartAcceptsOriginsInAnyCaseWithTheDefaultPort(t *testing.T) {
	e := newEnv(t)
	v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "HTTPS://WWW.Example.COM:443"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Origin != "https://www.example.com" {
		t.Fatalf("origin %q, want it canonical", v.Origin)
	}
}

func TestStartAcceptsHTTPLocalhostInDevMode(t *testing.T) {
	e := newEnv(t, func(c *verifier.Config) { c.Dev = true })
	e.app.Origins = []string{"http://localhost:8080"}
	v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if body := e.out.Last(t).Body; !strings.HasSuffix(body, "@localhost #"+derive(t, key1, v, 6)) {
		t.Fatalf("body %q", body)
	}
}

func TestStartCountsThePhoneLimit(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.start("+14155550123")
		e.clock.Advance(time.Minute)
	}
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	if got := wantCode(t, err, verifier.CodeRateLimited).RetryAfter; got != 10*time.Minute {
		t.Fatalf("RetryAfter %v, want 10m (the window opened 5 min ago)", got)
	}
	e.start("+14155550124") // another phone is not limited
	e.clock.Advance(10 * time.Minute)
	e.start("+14155550123")
}

func TestStartCountsTheIPLimitByIPv6Slash64(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.IPStarts = 2
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		if _, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: fmt.Sprintf("+1415555012%d", i), Origin: "https://www.example.com", ClientIP: ip}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550129", Origin: "https://www.example.com", ClientIP: "2001:db8:1:2:abcd::1"})
	wantCode(t, err, verifier.CodeRateLimited)
	if _, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550129", Origin: "https://www.example.com", ClientIP: "2001:db8:1:3::1"}); err != nil {
		t.Fatalf("another /64: %v", err)
	}
	if _, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550128", Origin: "https://www.example.com", ClientIP: "::ffff:203.0.113.7"}); err != nil {
		t.Fatalf("an IPv4-mapped address: %v", err)
	}
}

func TestStartAndResendCountTheAppsSends(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.AppSends = 2
	v := e.start("+14155550121")
	e.clock.Advance(30 * time.Second)
	if _, err := e.svc.Resend(t.Context(), e.app, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550122", Origin: "https://www.example.com"})
	if got := wantCode(t, err, verifier.CodeRateLimited).RetryAfter; got != 30*time.Second {
		t.Fatalf("RetryAfter %v, want 30s", got)
	}
}

func TestAFailedDeliveryIsReportedRecordedAndResendable(t *testing.T) {
	e := newEnv(t)
	e.out.FailWith(func(verifier.Message) error { return errors.New("provider answered 500") })
	v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	de := wantCode(t, err, verifier.CodeDeliveryFailed)
	if v == nil {
		t.Fatal("the verification was not returned with delivery_failed")
	}
	if !strings.Contains(de.Err.Error(), "provider answered 500") {
		t.Fatalf("the cause %v is not kept for the logs", de.Err)
	}
	got, err := e.svc.Get(t.Context(), e.app, v.ID)
	if err != nil || got.DeliveryError != "provider answered 500" {
		t.Fatalf("Get = %+v, %v; want the delivery error recorded", got, err)
	}
	e.out.FailWith(nil)
	e.clock.Advance(30 * time.Second)
	r, err := e.svc.Resend(t.Context(), e.app, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.DeliveryError != "" {
		t.Fatalf("DeliveryError %q after a successful resend", r.DeliveryError)
	}
}

func TestASenderErrorNeverCarriesTheCodeOrPhoneIntoTheStoreOrLogs(t *testing.T) {
	e := newEnv(t)
	e.out.FailWith(func(m verifier.Message) error {
		i := strings.LastIndex(m.Body, "#")
		return fmt.Errorf("provider refused %q to %s (code %s)", m.Body, m.To, m.Body[i+1:])
	})
	v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	de := wantCode(t, err, verifier.CodeDeliveryFailed)
	got, _ := e.svc.Get(t.Context(), e.app, v.ID)
	c := derive(t, key1, v, 6)
	for name, text := range map[string]string{"stored reason": got.DeliveryError, "error": de.Error(), "log": e.log.String()} {
		if text == "" || strings.Contains(text, c) || strings.Contains(text, "+14155550123") {
			t.Errorf("%s %q is empty or holds the code %s or the phone number", name, text, c)
		}
	}
}

func TestCheckApprovesTheRightCodeOnce(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	c := e.codeOf()
	r := e.check(v.ID, wrong(c))
	if r.Valid || r.Verification.AttemptsLeft() != 4 {
		t.Fatalf("wrong code: valid %v, attempts left %d", r.Valid, r.Verification.AttemptsLeft())
	}
	r = e.check(v.ID, c)
	if !r.Valid || r.Verification.StatusAt(e.clock.Now()) != verifier.StatusApproved {
		t.Fatalf("right code: valid %v status %s", r.Valid, r.Verification.StatusAt(e.clock.Now()))
	}
	_, err := e.svc.Check(t.Context(), e.app, v.ID, c)
	if got := wantCode(t, err, verifier.CodeNotPending); got.Status != verifier.StatusApproved {
		t.Fatalf("replay: status %s, want approved", got.Status)
	}
}

func TestCheckNormalisesWhatPeopleType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format func(c string) string
	}{
		{"with spaces around", func(c string) string { return "  " + c + "\n" }},
		{"with a space inside", func(c string) string { return c[:3] + " " + c[3:] }},
		{"with a dash inside", func(c string) string { return c[:3] + "-" + c[3:] }},
		{"in full-width digits", func(c string) string {
			var b strings.Builder
			for _, r := range c {
				b.WriteRune(r - '0' + '０')
			}
			return b.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := e.start("+14155550123")
			if r := e.check(v.ID, tc.format(e.codeOf())); !r.Valid {
				t.Fatal("the code did not check")
			}
		})
	}
}

func TestCheckRefusesInputThatIsNoCodeWithoutCountingIt(t *testing.T) {
	for _, tc := range []struct{ name, input string }{
		{"an empty code", ""},
		{"only spaces", "   "},
		{"letters", "12a456"},
		{"a very long input", strings.Repeat("1", 65)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := e.start("+14155550123")
			_, err := e.svc.Check(t.Context(), e.app, v.ID, tc.input)
			wantCode(t, err, verifier.CodeInvalidCode)
			if got, _ := e.svc.Get(t.Context(), e.app, v.ID); got.Attempts != 0 {
				t.Fatalf("Attempts %d, want 0", got.Attempts)
			}
		})
	}
}

func TestACodeOfTheWrongLengthIsAWrongGuess(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	c := e.codeOf()
	for _, input := range []string{c[:5], c + "0", "1234"} {
		if r := e.check(v.ID, input); r.Valid {
			t.Fatalf("%q checked", input)
		}
	}
	if got, _ := e.svc.Get(t.Context(), e.app, v.ID); got.Attempts != 3 {
		t.Fatalf("Attempts %d, want 3", got.Attempts)
	}
}

func TestTheLastWrongAttemptEndsTheVerification(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	c := e.codeOf()
	for i := 1; i <= 5; i++ {
		r := e.check(v.ID, wrong(c))
		if r.Valid || r.Verification.AttemptsLeft() != 5-i {
			t.Fatalf("wrong code %d: valid %v attempts left %d", i, r.Valid, r.Verification.AttemptsLeft())
		}
		if want := map[bool]verifier.Status{true: verifier.StatusMaxAttempts, false: verifier.StatusPending}[i == 5]; r.Verification.StatusAt(e.clock.Now()) != want {
			t.Fatalf("after wrong code %d status %s, want %s", i, r.Verification.StatusAt(e.clock.Now()), want)
		}
	}
	_, err := e.svc.Check(t.Context(), e.app, v.ID, c)
	if got := wantCode(t, err, verifier.CodeNotPending); got.Status != verifier.StatusMaxAttempts {
		t.Fatalf("status %s, want max_attempts_reached", got.Status)
	}
}

func TestAnExpiredCodeDoesNotCheck(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	e.clock.Advance(10 * time.Minute)
	_, err := e.svc.Check(t.Context(), e.app, v.ID, e.codeOf())
	if got := wantCode(t, err, verifier.CodeNotPending); got.Status != verifier.StatusExpired {
		t.Fatalf("status %s, want expired", got.Status)
	}
}

func TestResendMakesANewCodeAndKillsTheOldOne(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	old := e.codeOf()
	_, err := e.svc.Resend(t.Context(), e.app, v.ID)
	if got := wantCode(t, err, verifier.CodeRateLimited).RetryAfter; got != 30*time.Second {
		t.Fatalf("resend during the cooldown: RetryAfter %v, want 30s", got)
	}
	e.clock.Advance(30 * time.Second)
	r, err := e.svc.Resend(t.Context(), e.app, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sends != 2 || !r.ResendAfter.Equal(e.clock.Now().Add(time.Minute)) || !r.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("after resend: sends %d resend after %v expires %v", r.Sends, r.ResendAfter, r.ExpiresAt)
	}
	fresh := e.codeOf()
	if fresh == old || e.out.Last(t).Send != 2 {
		t.Fatalf("resend sent code %s (send %d), the old one was %s", fresh, e.out.Last(t).Send, old)
	}
	if res := e.check(v.ID, old); res.Valid {
		t.Fatal("the old code still checks")
	}
	if res := e.check(v.ID, fresh); !res.Valid {
		t.Fatal("the new code does not check")
	}
}

func TestAnotherAppsVerificationIsNotFound(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	other := &verifier.App{ID: "other", Origins: e.app.Origins}
	ctx := t.Context()
	_, err := e.svc.Get(ctx, other, v.ID)
	wantCode(t, err, verifier.CodeNotFound)
	_, err = e.svc.Resend(ctx, other, v.ID)
	wantCode(t, err, verifier.CodeNotFound)
	_, err = e.svc.Check(ctx, other, v.ID, e.codeOf())
	wantCode(t, err, verifier.CodeNotFound)
	_, err = e.svc.CheckPhone(ctx, other, "+14155550123", e.codeOf())
	wantCode(t, err, verifier.CodeNotFound)
	_, err = e.svc.Cancel(ctx, other, v.ID)
	wantCode(t, err, verifier.CodeNotFound)
	got, _ := e.svc.Get(ctx, e.app, v.ID)
	if got.Attempts != 0 || got.Sends != 1 || got.Stored != verifier.StatusPending {
		t.Fatalf("another app changed the verification: %+v", got)
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"", "nope", "AAAAAAAAAAAAAAAAAAAAAA", "../x"} {
		_, err := e.svc.Get(t.Context(), e.app, id)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = e.svc.Check(t.Context(), e.app, id, "123456")
		wantCode(t, err, verifier.CodeNotFound)
	}
}

func TestCancelEndsAPendingVerification(t *testing.T) {
	e := newEnv(t)
	v := e.start("+14155550123")
	got, err := e.svc.Cancel(t.Context(), e.app, v.ID)
	if err != nil || got.Stored != verifier.StatusCanceled {
		t.Fatalf("Cancel = %v, %v", got, err)
	}
	_, err = e.svc.Cancel(t.Context(), e.app, v.ID)
	wantCode(t, err, verifier.CodeNotPending)
	_, err = e.svc.Check(t.Context(), e.app, v.ID, e.codeOf())
	wantCode(t, err, verifier.CodeNotPending)
}

func TestCheckPhoneChecksTheNewestVerification(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CheckPhone(t.Context(), e.app, "+14155550123", "123456")
	wantCode(t, err, verifier.CodeNotFound)
	_, err = e.svc.CheckPhone(t.Context(), e.app, "4155550123", "123456")
	wantCode(t, err, verifier.CodeInvalidPhone)

	e.start("+14155550123")
	first := e.codeOf()
	e.clock.Advance(time.Second)
	v := e.start("+1 415 555 0123")
	second := e.codeOf()
	r, err := e.svc.CheckPhone(t.Context(), e.app, "+14155550123", first)
	if err != nil || r.Valid {
		t.Fatalf("the older verification's code: %v, %v; want valid false", r, err)
	}
	r, err = e.svc.CheckPhone(t.Context(), e.app, "+1-415-555-0123", second)
	if err != nil || !r.Valid || r.Verification.ID != v.ID {
		t.Fatalf("the newest verification's code: %+v, %v; want valid", r, err)
	}
	_, err = e.svc.CheckPhone(t.Context(), e.app, "+14155550123", second)
	if got := wantCode(t, err, verifier.CodeNotPending); got.Status != verifier.StatusApproved {
		t.Fatalf("replay by phone: status %s, want approved", got.Status)
	}
}

func TestThePhoneFailureBudgetHoldsAcrossVerifications(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.PhoneFailures = 8
	e.app.Limits.PhoneStarts = 10
	for range 2 {
		v := e.start("+14155550123")
		for range 3 {
			e.check(v.ID, wrong(e.codeOf()))
		}
	}
	v := e.start("+14155550123")
	e.check(v.ID, wrong(e.codeOf())) // the 7th failure
	// A right code reserves the 8th and gives it back: it is no failure.
	if r := e.check(v.ID, e.codeOf()); !r.Valid {
		t.Fatal("the right code did not check")
	}
	w := e.start("+14155550123")
	if r := e.check(w.ID, wrong(e.codeOf())); r.Valid || r.Verification.AttemptsLeft() != 4 {
		t.Fatalf("the 8th failure: %+v", r)
	}
	_, err := e.svc.Check(t.Context(), e.app, w.ID, e.codeOf())
	if got := wantCode(t, err, verifier.CodeRateLimited); got.RetryAfter != 24*time.Hour {
		t.Fatalf("RetryAfter %v, want 24h", got.RetryAfter)
	}
	if got, _ := e.svc.Get(t.Context(), e.app, w.ID); got.Attempts != 1 {
		t.Fatalf("a refused check counted an attempt: %d", got.Attempts)
	}
	// Another phone keeps its own budget.
	x := e.start("+14155550124")
	if r := e.check(x.ID, e.codeOf()); !r.Valid {
		t.Fatal("another phone is locked too")
	}
}

func TestAPhoneWithItsFailureBudgetSpentCanNeitherStartNorResend(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.PhoneFailures = 3
	v := e.start("+14155550123")
	for range 3 {
		e.check(v.ID, wrong(e.codeOf()))
	}
	e.clock.Advance(time.Minute)
	sent := e.out.Count()
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+1 415 555 0123", Origin: "https://www.example.com"})
	if got := wantCode(t, err, verifier.CodeRateLimited); got.RetryAfter != 24*time.Hour-time.Minute || !strings.Contains(got.Message, "wrong codes") {
		t.Fatalf("start: RetryAfter %v, message %q; want 23h59m, the phone's wrong codes", got.RetryAfter, got.Message)
	}
	_, err = e.svc.Resend(t.Context(), e.app, v.ID)
	if got := wantCode(t, err, verifier.CodeRateLimited); got.RetryAfter != 24*time.Hour-time.Minute {
		t.Fatalf("resend: RetryAfter %v, want 23h59m", got.RetryAfter)
	}
	if n := e.out.Count(); n != sent {
		t.Fatalf("%d messages sent to a phone whose failures are spent", n-sent)
	}
	if got, err := e.store.Newest(t.Context(), e.app.ID, v.PhoneKey); err != nil || got.ID != v.ID || got.Sends != 1 {
		t.Fatalf("newest %+v, %v; want the first verification, one send: nothing created or sent", got, err)
	}
	// The refusals spent nothing: the phone's starts are all there once
	// the failures' window ends.
	e.start("+14155550124") // another phone is not locked
	e.clock.Advance(24*time.Hour - time.Minute)
	for range 4 {
		e.start("+14155550123")
	}
}

func TestAFailedDeliveryGivesItsBudgetsBackAndCarriesTheID(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.IPStarts = 5
	e.app.Limits.AppSends = 5
	e.out.FailWith(func(verifier.Message) error { return errors.New("provider answered 503") })
	req := verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com", ClientIP: "203.0.113.7"}
	// Five provider errors in a row: every budget (5 starts per phone, 5
	// per IP, 5 sends per app) would be spent had they counted.
	var last *verifier.Verification
	for i := range 5 {
		v, err := e.svc.Start(t.Context(), e.app, req)
		if de := wantCode(t, err, verifier.CodeDeliveryFailed); v == nil || de.ID != v.ID {
			t.Fatalf("start %d: the 502 carries id %q, want the verification's", i, de.ID)
		}
		last = v
		e.clock.Advance(time.Second)
	}
	e.out.FailWith(nil)
	v, err := e.svc.Start(t.Context(), e.app, req)
	if err != nil {
		t.Fatalf("start after 5 failed deliveries: %v", err)
	}
	if e.out.Last(t).VerificationID != v.ID {
		t.Fatal("the start after the failures delivered nothing")
	}
	// The last failed verification is pending, and its resend goes out at
	// once: a send that reached nobody makes nobody wait.
	got, _ := e.svc.Get(t.Context(), e.app, last.ID)
	if got.StatusAt(e.clock.Now()) != verifier.StatusPending || got.ResendAfter.After(e.clock.Now()) {
		t.Fatalf("after the failed send: status %s, resend after %v (now %v)", got.StatusAt(e.clock.Now()), got.ResendAfter, e.clock.Now())
	}
	r, err := e.svc.Resend(t.Context(), e.app, last.ID)
	if err != nil {
		t.Fatalf("resend after a 502: %v", err)
	}
	if m := e.out.Last(t); m.VerificationID != last.ID || m.Send != 2 || r.DeliveryError != "" {
		t.Fatalf("the resend sent %+v; verification %+v", m, r)
	}
	if res := e.check(last.ID, e.codeOf()); !res.Valid {
		t.Fatal("the resent code does not check")
	}
}

func TestAFailedResendGivesTheAppsSendBackAndMayBeRetriedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.AppSends = 2
	v := e.start("+14155550123")
	e.clock.Advance(30 * time.Second)
	e.out.FailWith(func(verifier.Message) error { return errors.New("timeout") })
	for range 3 {
		_, err := e.svc.Resend(t.Context(), e.app, v.ID)
		if de := wantCode(t, err, verifier.CodeDeliveryFailed); de.ID != v.ID {
			t.Fatalf("the 502 carries id %q, want %s", de.ID, v.ID)
		}
	}
	e.out.FailWith(nil)
	r, err := e.svc.Resend(t.Context(), e.app, v.ID)
	if err != nil {
		t.Fatalf("resend after failed resends: %v", err)
	}
	if r.Sends != 5 || e.out.Last(t).Send != 5 {
		t.Fatalf("sends %d: every failed send still moves the code on", r.Sends)
	}
}

func TestRotatedKeysStillCheckTheirVerifications(t *testing.T) {
	store := memstore.New(memstore.Options{SweepInterval: -1})
	clk := fakes.NewClock(t0)
	out := &fakes.Sender{}
	mk := func(keys ...verifier.MasterKey) *verifier.Service {
		s, err := verifier.NewService(verifier.Config{Store: store, Sender: out, Keys: keys, Now: clk.Now, Rand: &counterRand{n: uint64(len(keys)) << 32}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	app := &verifier.App{ID: "shop", Origins: []string{"https://www.example.com"}}
	before := mk(key1)
	v, err := before.Start(t.Context(), app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c := derive(t, key1, v, 6)
	after := mk(key2, key1)
	r, err := after.CheckPhone(t.Context(), app, "+14155550123", c)
	if err != nil || !r.Valid {
		t.Fatalf("checking by phone across a rotation: %v, %v", r, err)
	}
	w, err := after.Start(t.Context(), app, verifier.StartRequest{Phone: "+14155550124", Origin: "https://www.example.com"})
	if err != nil || w.KeyID != "k2" {
		t.Fatalf("a new verification after rotation: %v, %v; want key k2", w, err)
	}
	if r, err := after.Check(t.Context(), app, w.ID, derive(t, key2, w, 6)); err != nil || !r.Valid {
		t.Fatalf("the new key's code: %v, %v", r, err)
	}
}

func TestParallelGuessesCountExactlyAndApproveOnce(t *testing.T) {
	e := newEnv(t)
	e.app.Limits.PhoneFailures = 100
	v := e.start("+14155550123")
	c := e.codeOf()
	var (
		mu      sync.Mutex
		wrongs  int
		codes   = map[verifier.Code]int{}
		wg      sync.WaitGroup
		release = make(chan struct{})
	)
	for range 200 {
		wg.Go(func() {
			<-release
			r, err := e.svc.Check(context.Background(), e.app, v.ID, wrong(c))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[verifier.ErrorCode(err)]++
			} else if !r.Valid {
				wrongs++
			}
		})
	}
	close(release)
	wg.Wait()
	if wrongs != 5 || codes[verifier.CodeNotPending] != 195 {
		t.Fatalf("%d wrong answers, errors %v; want 5 and 195 not_pending", wrongs, codes)
	}

	w := e.start("+14155550124")
	c = e.codeOf()
	valid := 0
	codes = map[verifier.Code]int{}
	release = make(chan struct{})
	for range 200 {
		wg.Go(func() {
			<-release
			r, err := e.svc.Check(context.Background(), e.app, w.ID, c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[verifier.ErrorCode(err)]++
			} else if r.Valid {
				valid++
			}
		})
	}
	close(release)
	wg.Wait()
	if valid != 1 || codes[verifier.CodeNotPending] != 199 {
		t.Fatalf("%d approvals, errors %v; want 1 and 199 not_pending", valid, codes)
	}
}

// brokenStore fails every call with an error that is not a *verifier.Error.
type brokenStore struct{ verifier.Store }

func (brokenStore) Get(context.Context, string) (*verifier.Verification, error) {
	return nil, errors.New("disk on fire")
}

func (brokenStore) Create(context.Context, *verifier.Verification, []verifier.Limit) error {
	return verifier.StoreUnavailable(errors.New("connection refused"))
}

func TestStoreFailuresBecomeInternalOrPassAsUnavailable(t *testing.T) {
	e := newEnv(t, func(c *verifier.Config) { c.Store = brokenStore{c.Store} })
	_, err := e.svc.Get(t.Context(), e.app, "AAAAAAAAAAAAAAAAAAAAAA")
	ie := wantCode(t, err, verifier.CodeInternal)
	if strings.Contains(ie.Message, "fire") {
		t.Fatalf("internal message %q shows the cause", ie.Message)
	}
	if !strings.Contains(e.log.String(), "disk on fire") {
		t.Fatalf("the cause was not logged: %q", e.log.String())
	}
	_, err = e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	wantCode(t, err, verifier.CodeStoreUnavailable)
}

func TestMaskPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+14155550123", "+1********23"},
		{"+442071838750", "+44********50"},
		{"+33612345678", "+33*******78"},
		{"+8613800138000", "+86*********00"},
		{"+35312345678", "+353******78"},
		{"+80012345678", "+800******78"},
		{"+1", "+1"},
		{"", ""},
		{"4155550123", "********23"},
	} {
		if got := verifier.MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestATemplateTheFormatterRefusesIsInternalAndCountsNothing(t *testing.T) {
	e := newEnv(t)
	e.app.Text = "Code: {code}\n@evil.example #{code}"
	e.app.Limits.PhoneStarts = 1
	_, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	wantCode(t, err, verifier.CodeInternal)
	if e.out.Count() != 0 {
		t.Fatal("a message was sent")
	}
	if log := e.log.String(); !strings.Contains(log, "format message") || strings.ContainsAny(strings.SplitN(log, "err=", 2)[1], "0123456789") {
		t.Fatalf("the log may hold the code or a part of it: %q", log)
	}
	e.app.Text = ""
	e.start("+14155550123") // the refused start counted nothing
}

// countingStore records the name of every Store call.
type countingStore struct {
	verifier.Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) record(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

// take returns the calls recorded since the last take.
func (c *countingStore) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = nil
	return calls
}

func (c *countingStore) Create(ctx context.Context, v *verifier.Verification, l []verifier.Limit) error {
	c.record("Create")
	return c.Store.Create(ctx, v, l)
}

func (c *countingStore) Get(ctx context.Context, id string) (*verifier.Verification, error) {
	c.record("Get")
	return c.Store.Get(ctx, id)
}

func (c *countingStore) Newest(ctx context.Context, appID, phoneKey string) (*verifier.Verification, error) {
	c.record("Newest")
	return c.Store.Newest(ctx, appID, phoneKey)
}

func (c *countingStore) Resend(ctx context.Context, appID, id string, keyIDs []string, now time.Time, l []verifier.Limit) (*verifier.Verification, error) {
	c.record("Resend")
	return c.Store.Resend(ctx, appID, id, keyIDs, now, l)
}

func (c *countingStore) ReserveCheck(ctx context.Context, appID, id string, keyIDs []string, now time.Time, l []verifier.Limit) (*verifier.Verification, error) {
	c.record("ReserveCheck")
	return c.Store.ReserveCheck(ctx, appID, id, keyIDs, now, l)
}

func (c *countingStore) Approve(ctx context.Context, id string, sends int, now time.Time, l []verifier.Limit) (*verifier.Verification, error) {
	c.record("Approve")
	return c.Store.Approve(ctx, id, sends, now, l)
}

func (c *countingStore) Cancel(ctx context.Context, appID, id string, now time.Time) (*verifier.Verification, error) {
	c.record("Cancel")
	return c.Store.Cancel(ctx, appID, id, now)
}

func (c *countingStore) DeliveryFailed(ctx context.Context, id string, sends int, reason string, now time.Time, l []verifier.Limit) error {
	c.record("DeliveryFailed")
	return c.Store.DeliveryFailed(ctx, id, sends, reason, now, l)
}

func TestEachRequestIsOneStoreCallOnTheCommonPath(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, func(c *verifier.Config) {
		cs = &countingStore{Store: c.Store}
		c.Store = cs
	})
	other := &verifier.App{ID: "other", Origins: e.app.Origins}
	v := e.start("+14155550123")
	cs.take()
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
		want []string
	}{
		{"a wrong code is one reservation", func() error {
			_, err := e.svc.Check(ctx, e.app, v.ID, wrong(e.codeOf()))
			return err
		}, []string{"ReserveCheck"}},
		{"a check of another app's verification is one refused reservation", func() error {
			_, err := e.svc.Check(ctx, other, v.ID, e.codeOf())
			if verifier.ErrorCode(err) != verifier.CodeNotFound {
				return fmt.Errorf("error %v, want not_found", err)
			}
			return nil
		}, []string{"ReserveCheck"}},
		{"a resend is one store call", func() error {
			e.clock.Advance(time.Minute)
			_, err := e.svc.Resend(ctx, e.app, v.ID)
			return err
		}, []string{"Resend"}},
		{"a resend of another app's verification is one refused call", func() error {
			_, err := e.svc.Resend(ctx, other, v.ID)
			if verifier.ErrorCode(err) != verifier.CodeNotFound {
				return fmt.Errorf("error %v, want not_found", err)
			}
			return nil
		}, []string{"Resend"}},
		{"the right code is a reservation and an approval", func() error {
			r, err := e.svc.Check(ctx, e.app, v.ID, e.codeOf())
			if err == nil && !r.Valid {
				return errors.New("the right code did not check")
			}
			return err
		}, []string{"ReserveCheck", "Approve"}},
		{"a cancel of another app's verification is one refused call", func() error {
			w := e.start("+14155550124")
			cs.take()
			_, err := e.svc.Cancel(ctx, other, w.ID)
			if verifier.ErrorCode(err) != verifier.CodeNotFound {
				return fmt.Errorf("error %v, want not_found", err)
			}
			if _, err := e.svc.Cancel(ctx, e.app, w.ID); err != nil {
				return err
			}
			return nil
		}, []string{"Cancel", "Cancel"}},
	}
	for _, tc := range tests {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := cs.take(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: store calls %v, want %v", tc.name, got, tc.want)
		}
	}
	if got, _ := e.svc.Get(ctx, e.app, v.ID); got.Attempts != 2 || got.Sends != 2 {
		t.Fatalf("attempts %d sends %d, want 2 and 2: another app's calls counted", got.Attempts, got.Sends)
	}
}

func TestAVerificationOfAKeyThisInstanceLacksIsKeyUnavailableAndUsesNoAttempt(t *testing.T) {
	// Two instances share a store with different secrets: b lacks k1,
	// with which a made the verification (as after k1 is rotated away).
	store := memstore.New(memstore.Options{SweepInterval: -1})
	clk := fakes.NewClock(t0)
	out := &fakes.Sender{}
	var log bytes.Buffer
	mk := func(keys ...verifier.MasterKey) *verifier.Service {
		s, err := verifier.NewService(verifier.Config{Store: store, Sender: out, Keys: keys, Now: clk.Now,
			Rand: &counterRand{n: uint64(len(keys)) << 32}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	app := &verifier.App{ID: "shop", Origins: []string{"https://www.example.com"}}
	a, b := mk(key1), mk(key2)
	v, err := a.Start(t.Context(), app, verifier.StartRequest{Phone: "+14155550123", Origin: "https://www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c := derive(t, key1, v, 6)
	clk.Advance(time.Minute)
	sent := out.Count()
	for name, call := range map[string]func() error{
		"a check": func() error { _, err := b.Check(t.Context(), app, v.ID, c); return err },
		"a wrong check": func() error {
			_, err := b.Check(t.Context(), app, v.ID, wrong(c))
			return err
		},
		"a resend": func() error { _, err := b.Resend(t.Context(), app, v.ID); return err },
	} {
		log.Reset()
		err := call()
		if e := wantCode(t, err, verifier.CodeKeyUnavailable); strings.Contains(e.Message, "k1") {
			t.Errorf("%s: the client's message %q names the key", name, e.Message)
		}
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "level=ERROR") ||
			!strings.Contains(lines[0], "this instance lacks key k1: every instance needs the same WEBOTP_SECRET") {
			t.Errorf("%s logged %q, want one error line naming k1", name, log.String())
		}
	}
	got, _ := a.Get(t.Context(), app, v.ID)
	if got.Attempts != 0 || got.Sends != 1 || got.Stored != verifier.StatusPending || out.Count() != sent {
		t.Fatalf("attempts %d sends %d status %s, %d messages sent; want nothing used", got.Attempts, got.Sends, got.Stored, out.Count()-sent)
	}
	// By phone b cannot find it at all: the phone key is a keyed hash
	// with the secret b lacks.
	_, err = b.CheckPhone(t.Context(), app, "+14155550123", c)
	wantCode(t, err, verifier.CodeNotFound)
	// The instance with the key still checks the code, every attempt left.
	if r, err := a.Check(t.Context(), app, v.ID, c); err != nil || !r.Valid || r.Verification.Attempts != 1 {
		t.Fatalf("check on the instance with the key: %+v, %v", r, err)
	}
}

func TestACheckByPhoneOfAVerificationOfAMissingKeyIsKeyUnavailable(t *testing.T) {
	// The newest verification of the phone was derived with a key this
	// service lacks, though its phone key is this service's: written to
	// the store as another instance would if it hashed phones alike.
	e := newEnv(t)
	v := e.start("+14155550123")
	w := *v
	w.ID = "AAAAAAAAAAAAAAAAAAAAAA"
	w.KeyID = "k-gone"
	w.CreatedAt = w.CreatedAt.Add(time.Second)
	if err := e.store.Create(t.Context(), &w, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.CheckPhone(t.Context(), e.app, "+14155550123", e.codeOf())
	wantCode(t, err, verifier.CodeKeyUnavailable)
	if got, _ := e.svc.Get(t.Context(), e.app, w.ID); got.Attempts != 0 {
		t.Fatalf("attempts %d, want 0", got.Attempts)
	}
	if !strings.Contains(e.log.String(), "this instance lacks key k-gone") {
		t.Fatalf("log %q does not name the key", e.log.String())
	}
}

// callRecorder is a Caller that keeps the calls it places.
type callRecorder struct{ calls []verifier.Call }

func (c *callRecorder) Call(_ context.Context, call verifier.Call) error {
	c.calls = append(c.calls, call)
	return nil
}

func TestAVoiceStartTakesOnlyALocaleThatLooksLikeALanguageTag(t *testing.T) {
	for _, tc := range []struct {
		locale string
		ok     bool
	}{
		{"", true}, {"fr", true}, {"pt-BR", true}, {"en_US", true}, {"zh-Hant-TW", true},
		{"-fr", false}, {"fr\nen", false}, {"fr;q=1", false}, {strings.Repeat("a", 36), false},
	} {
		t.Run(fmt.Sprintf("%q", tc.locale), func(t *testing.T) {
			calls := &callRecorder{}
			e := newEnv(t, func(c *verifier.Config) { c.Caller = calls })
			req := verifier.StartRequest{Channel: "voice", Phone: "+14155550123", Origin: "https://www.example.com", Locale: tc.locale}
			v, err := e.svc.Start(t.Context(), e.app, req)
			if !tc.ok {
				wantCode(t, err, verifier.CodeInvalidRequest)
				return
			}
			if err != nil || v.Locale != tc.locale || len(calls.calls) != 1 || calls.calls[0].Locale != tc.locale {
				t.Fatalf("Start = %+v, %v; calls %+v", v, err, calls.calls)
			}
			// An SMS verification neither reads nor keeps a locale.
			req.Channel = "sms"
			req.Locale = "fr;q=1"
			if v, err := e.svc.Start(t.Context(), e.app, req); err != nil || v.Locale != "" {
				t.Fatalf("sms start with a locale: %+v, %v", v, err)
			}
		})
	}
}
