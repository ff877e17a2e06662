// Package storetest is the conformance suite of verifier.Store: every
// implementation runs Run from its own tests, so the memory and Redis
// stores cannot drift apart.
//
// The suite passes times close to the wall clock and moves them forward
// only (see the Time section of verifier.Store). Every id, phone key and
// limit key it makes is random, so several runs may share one backend
// (one Redis database) without interfering.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

// Run runs the conformance suite. newStore returns a Store for one subtest;
// it may return the same backend every time.
func Run(t *testing.T, newStore func(t *testing.T) verifier.Store) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.run(t, &suite{t: t, s: s, ctx: t.Context(), t0: time.Now().Truncate(time.Second).UTC()})
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, x *suite)
}

// suite carries one subtest's store, base time and helpers.
type suite struct {
	t   *testing.T
	s   verifier.Store
	ctx context.Context
	t0  time.Time
}

// NewID returns a random verification id in the form Service makes.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func randomKey(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// pending returns a new pending verification created at x.t0: lifetime
// 10 min, cooldown 30 s, 5 attempts, 5 sends.
func (x *suite) pending() *verifier.Verification { return x.pendingAt(0) }

// pendingAt is pending, created at x.t0+d.
func (x *suite) pendingAt(d time.Duration) *verifier.Verification {
	return Pending("app-"+randomKey("")[:6], x.t0.Add(d))
}

// Pending returns a new pending verification of appID created at at, not
// yet stored: a fresh id and phone key, code lifetime 10 min, cooldown
// 30 s, 5 attempts, 5 sends. Store tests beyond the suite use it too.
func Pending(appID string, at time.Time) *verifier.Verification {
	v := &verifier.Verification{
		ID:          NewID(),
		AppID:       appID,
		KeyID:       "k1",
		Channel:     verifier.ChannelSMS,
		Phone:       "+14155550123",
		PhoneKey:    NewID(),
		Origin:      "https://www.example.com",
		CreatedAt:   at,
		Sends:       1,
		MaxAttempts: 5,
		MaxSends:    5,
		Lifetime:    10 * time.Minute,
		Cooldown:    30 * time.Second,
		Stored:      verifier.StatusPending,
	}
	v.ExpiresAt = at.Add(v.Lifetime)
	v.ResendAfter = v.NextResendAfter(at, 1)
	return v
}

func (x *suite) create(v *verifier.Verification, limits ...verifier.Limit) {
	x.t.Helper()
	if err := x.s.Create(x.ctx, v, limits); err != nil {
		x.t.Fatalf("Create(%s): %v", v.ID, err)
	}
}

func (x *suite) get(id string) *verifier.Verification {
	x.t.Helper()
	v, err := x.s.Get(x.ctx, id)
	if err != nil {
		x.t.Fatalf("Get(%s): %v", id, err)
	}
	return v
}

func (x *suite) at(d time.Duration) time.Time { return x.t0.Add(d) }

func limit(max int, window time.Duration) verifier.Limit {
	return verifier.Limit{Key: randomKey("storetest:"), Max: max, Window: window}
}

// perPhoneLimit is a limit counted per phone key, under a random key.
func perPhoneLimit(max int, window time.Duration) verifier.Limit {
	return verifier.Limit{Key: randomKey("storetest:phone:") + ":", PerPhone: true, Max: max, Window: window}
}

// wantCode fails unless err is a *verifier.Error with code.
func wantCode(t *testing.T, err error, code verifier.Code) *verifier.Error {
	t.Helper()
	var e *verifier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *verifier.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error code %s (%v), want %s", e.Code, err, code)
	}
	return e
}

func wantNotPending(t *testing.T, err error, status verifier.Status) {
	t.Helper()
	if e := wantCode(t, err, verifier.CodeNotPending); e.Status != status {
		t.Fatalf("not_pending with status %q, want %q", e.Status, status)
	}
}

// wantRetryAfter fails unless err is rate_limited with RetryAfter in
// (want-slack, want]: the slack absorbs wall-clock windows.
func wantRetryAfter(t *testing.T, err error, want time.Duration) {
	t.Helper()
	e := wantCode(t, err, verifier.CodeRateLimited)
	const slack = 5 * time.Second
	if e.RetryAfter > want || e.RetryAfter <= want-slack {
		t.Fatalf("RetryAfter %v, want %v (less at most %v)", e.RetryAfter, want, slack)
	}
}

func equal(t *testing.T, got, want *verifier.Verification) {
	t.Helper()
	var diffs []string
	str := func(name, g, w string) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s %q, want %q", name, g, w))
		}
	}
	num := func(name string, g, w int) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s %d, want %d", name, g, w))
		}
	}
	tm := func(name string, g, w time.Time) {
		if !g.Equal(w) {
			diffs = append(diffs, fmt.Sprintf("%s %v, want %v", name, g, w))
		}
	}
	str("ID", got.ID, want.ID)
	str("AppID", got.AppID, want.AppID)
	str("KeyID", got.KeyID, want.KeyID)
	str("Channel", string(got.Channel), string(want.Channel))
	str("Phone", got.Phone, want.Phone)
	str("Email", got.Email, want.Email)
	str("Locale", got.Locale, want.Locale)
	str("PhoneKey", got.PhoneKey, want.PhoneKey)
	str("Origin", got.Origin, want.Origin)
	str("EmbeddedOrigin", got.EmbeddedOrigin, want.EmbeddedOrigin)
	str("Stored", string(got.Stored), string(want.Stored))
	str("DeliveryError", got.DeliveryError, want.DeliveryError)
	tm("CreatedAt", got.CreatedAt, want.CreatedAt)
	tm("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	tm("ResendAfter", got.ResendAfter, want.ResendAfter)
	num("Sends", got.Sends, want.Sends)
	num("Attempts", got.Attempts, want.Attempts)
	num("MaxAttempts", got.MaxAttempts, want.MaxAttempts)
	num("MaxSends", got.MaxSends, want.MaxSends)
	if got.Lifetime != want.Lifetime {
		diffs = append(diffs, fmt.Sprintf("Lifetime %v, want %v", got.Lifetime, want.Lifetime))
	}
	if got.Cooldown != want.Cooldown {
		diffs = append(diffs, fmt.Sprintf("Cooldown %v, want %v", got.Cooldown, want.Cooldown))
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.FailNow()
	}
}

// parallel runs f n times at once and returns how many calls returned nil
// and the codes of the others.
func parallel(n int, f func() error) (ok int, codes map[verifier.Code]int) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		gate = make(chan struct{})
	)
	codes = map[verifier.Code]int{}
	for range n {
		wg.Go(func() {
			<-gate
			err := f()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else {
				codes[verifier.ErrorCode(err)]++
			}
		})
	}
	close(gate)
	wg.Wait()
	return ok, codes
}

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }
