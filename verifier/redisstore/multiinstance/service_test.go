// Package multiinstance tests several verifier instances sharing one real
// redis-server: first as two verifier.Service values in this process (the
// same logic, exactly observable), then as two `webotp serve --store
// redis://…` processes over HTTP. It holds tests only.
package multiinstance

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/redisstore"
)

// otpLine is the last line of a message: "@host #code".
var otpLine = regexp.MustCompile(`(?m)#([0-9A-Za-z]+)(?: @\S+)?$`)

// codeOf returns the code of the last message phone received for id.
func codeOf(t *testing.T, phone *fakes.Sender, id string) string {
	t.Helper()
	body := phone.LastFor(t, id).Body
	m := otpLine.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no code in message %q", body)
	}
	return m[1]
}

// wrong returns a code of the same length that is not c.
func wrong(c string, i int) string {
	w := []byte(fmt.Sprintf("%0*d", len(c), i))
	if string(w) == c {
		w[0] = '0' + (w[0]-'0'+1)%10
	}
	return string(w)
}

var secret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, tests only

var app = &verifier.App{ID: "shop", Name: "Shop", Origins: []string{"https://www.example.com"}}

// pair starts a redis-server and two Services A and B on it, each with its
// own Store (its own connection pool), the same master key and one phone.
func pair(t *testing.T) (a, b *verifier.Service, phone *fakes.Sender) {
	t.Helper()
	addr, _ := redistest.Start(t)
	phone = &fakes.Sender{}
	svc := func() *verifier.Service {
		st, err := redisstore.Open("redis://"+addr+"/0", redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		s, err := verifier.NewService(verifier.Config{
			Store:  st,
			Sender: phone,
			Keys:   []verifier.MasterKey{{ID: "k1", Secret: secret}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return svc(), svc(), phone
}

func start(t *testing.T, s *verifier.Service, phone string) *verifier.Verification {
	t.Helper()
	v, err := s.Start(t.Context(), app, verifier.StartRequest{Phone: phone, Origin: "https://www.example.com"})
	if err != nil {
		t.Fatalf("Start(%s): %v", phone, err)
	}
	return v
}

func TestAVerificationStartedOnOneServiceChecksOnTheOther(t *testing.T) {
	a, b, phone := pair(t)
	ctx := t.Context()
	v := start(t, a, "+14155550101")
	code := codeOf(t, phone, v.ID)

	got, err := b.Get(ctx, app, v.ID)
	if err != nil || got.StatusAt(b.Now()) != verifier.StatusPending {
		t.Fatalf("Get on B = %v, %v; want pending", got, err)
	}
	r, err := b.Check(ctx, app, v.ID, wrong(code, 1))
	if err != nil || r.Valid {
		t.Fatalf("wrong code on B: %+v, %v; want valid:false", r, err)
	}
	r, err = b.Check(ctx, app, v.ID, code)
	if err != nil || !r.Valid {
		t.Fatalf("right code on B: %+v, %v; want valid:true", r, err)
	}
	_, err = a.Check(ctx, app, v.ID, code)
	if e := codeAndStatus(err); e != "not_pending approved" {
		t.Fatalf("the same code again on A: %v; want not_pending approved", err)
	}
	r, err = a.CheckPhone(ctx, app, "+14155550101", code)
	if e := codeAndStatus(err); e != "not_pending approved" {
		t.Fatalf("check by phone on A after approval: %+v %v; want not_pending approved", r, err)
	}
}

func TestAResendOnOneServiceKillsTheCodeTheOtherSent(t *testing.T) {
	a, b, phone := pair(t)
	ctx := t.Context()
	v := start(t, a, "+14155550102")
	old := codeOf(t, phone, v.ID)
	// The resend cooldown (30 s) has not passed: B refuses, as A would.
	_, err := b.Resend(ctx, app, v.ID)
	if verifier.ErrorCode(err) != verifier.CodeRateLimited {
		t.Fatalf("resend on B within the cooldown: %v, want rate_limited", err)
	}
	// Check by phone on B finds the verification A started.
	r, err := b.CheckPhone(ctx, app, "+14155550102", old)
	if err != nil || !r.Valid || r.Verification.ID != v.ID {
		t.Fatalf("check by phone on B: %+v, %v; want valid:true for %s", r, err, v.ID)
	}
}

func TestParallelWrongGuessesSplitAcrossServicesCountExactly(t *testing.T) {
	a, b, phone := pair(t)
	ctx := t.Context()
	v := start(t, a, "+14155550103")
	code := codeOf(t, phone, v.ID)
	const n = 100
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wrong int
		other = map[string]int{}
		left  = map[int]int{}
	)
	gate := make(chan struct{})
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-gate
			r, err := s.Check(ctx, app, v.ID, wrongCode(code, i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && !r.Valid:
				wrong++
				left[r.Verification.AttemptsLeft()]++
			default:
				other[codeAndStatus(err)]++
			}
		})
	}
	close(gate)
	wg.Wait()
	if wrong != v.MaxAttempts || other["not_pending max_attempts_reached"] != n-v.MaxAttempts || len(other) != 1 {
		t.Fatalf("%d parallel wrong guesses on A and B: %d valid:false, others %v; want %d valid:false and %d not_pending max_attempts_reached",
			n, wrong, other, v.MaxAttempts, n-v.MaxAttempts)
	}
	for i := range v.MaxAttempts {
		if left[i] != 1 {
			t.Fatalf("attempts left over the valid:false answers %v, want each of 0..%d once", left, v.MaxAttempts-1)
		}
	}
	_, err := b.Check(ctx, app, v.ID, code)
	if codeAndStatus(err) != "not_pending max_attempts_reached" {
		t.Fatalf("the right code after the guesses: %v, want not_pending max_attempts_reached", err)
	}
}

func TestPerPhoneStartLimitsAreShared(t *testing.T) {
	a, b, _ := pair(t)
	limit := verifier.DefaultLimits().PhoneStarts
	for i := range limit {
		s := a
		if i%2 == 1 {
			s = b
		}
		start(t, s, "+14155550104")
	}
	for name, s := range map[string]*verifier.Service{"A": a, "B": b} {
		_, err := s.Start(t.Context(), app, verifier.StartRequest{Phone: "+14155550104", Origin: "https://www.example.com"})
		if verifier.ErrorCode(err) != verifier.CodeRateLimited {
			t.Errorf("start number %d for one phone on %s: %v, want rate_limited", limit+1, name, err)
		}
	}
	// Another phone is not affected.
	start(t, b, "+14155550105")
}

func TestAPhoneWhoseFailuresAreSpentOnOneServiceCannotStartOnTheOther(t *testing.T) {
	a, b, phone := pair(t)
	ctx := t.Context()
	spend := &verifier.App{ID: app.ID, Name: app.Name, Origins: app.Origins, Limits: verifier.Limits{PhoneFailures: 4}}
	for i := range 2 {
		v, err := a.Start(ctx, spend, verifier.StartRequest{Phone: "+14155550106", Origin: "https://www.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		code := codeOf(t, phone, v.ID)
		for j, s := range []*verifier.Service{a, b} {
			if r, err := s.Check(ctx, spend, v.ID, wrongCode(code, i*2+j)); err != nil || r.Valid {
				t.Fatalf("wrong guess: %+v, %v", r, err)
			}
		}
	}
	sent := phone.Count()
	for name, s := range map[string]*verifier.Service{"A": a, "B": b} {
		_, err := s.Start(ctx, spend, verifier.StartRequest{Phone: "+14155550106", Origin: "https://www.example.com"})
		var e *verifier.Error
		if !errors.As(err, &e) || e.Code != verifier.CodeRateLimited || e.RetryAfter <= 23*time.Hour {
			t.Fatalf("start on %s after the phone's failures were spent: %v; want rate_limited for about 24h", name, err)
		}
	}
	if phone.Count() != sent {
		t.Fatal("a message went to a phone whose failures are spent")
	}
}

func TestAServiceWithAnotherSecretAnswersKeyUnavailableAndCountsNoAttempt(t *testing.T) {
	addr, _ := redistest.Start(t)
	phone := &fakes.Sender{}
	svc := func(key verifier.MasterKey) *verifier.Service {
		st, err := redisstore.Open("redis://"+addr+"/0", redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		s, err := verifier.NewService(verifier.Config{Store: st, Sender: phone, Keys: []verifier.MasterKey{key},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := svc(verifier.MasterKey{ID: "k1", Secret: secret})
	b := svc(verifier.MasterKey{ID: "k2", Secret: []byte("another secret of 32 bytes, test")})
	ctx := t.Context()
	v := start(t, a, "+14155550107")
	code := codeOf(t, phone, v.ID)
	for range 3 {
		_, err := b.Check(ctx, app, v.ID, code)
		if verifier.ErrorCode(err) != verifier.CodeKeyUnavailable {
			t.Fatalf("check on B: %v, want key_unavailable", err)
		}
	}
	if got, err := a.Get(ctx, app, v.ID); err != nil || got.Attempts != 0 {
		t.Fatalf("Get = %+v, %v; want no attempt counted", got, err)
	}
	if r, err := a.Check(ctx, app, v.ID, code); err != nil || !r.Valid {
		t.Fatalf("check on A: %+v, %v", r, err)
	}
}

// wrongCode is the i-th wrong guess for code c.
func wrongCode(c string, i int) string { return wrong(c, i+1) }

// codeAndStatus renders an error as "code status" ("not_pending approved").
func codeAndStatus(err error) string {
	if err == nil {
		return "nil"
	}
	var e *verifier.Error
	if !errors.As(err, &e) {
		return "untyped: " + err.Error()
	}
	return strings.TrimSpace(string(e.Code) + " " + string(e.Status))
}
