// Package fakes holds the test doubles the verifier's tests share: a
// Sender that keeps messages as a phone would (or fails them, or drops
// them), a Clock that tests move by hand, a real SMTP server that keeps
// the emails it gets (with STARTTLS, implicit TLS, auth and refusals as
// a test asks), a TLS certificate for loopback servers, and a real QR
// decoder. All are safe for concurrent use.
package fakes

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

var (
	_ verifier.Sender = (*Sender)(nil)
	_ verifier.Sender = Discard{}
)

// Sender is a verifier.Sender that keeps every message it delivers. The
// zero value delivers every message.
type Sender struct {
	mu       sync.Mutex
	msgs     []verifier.Message
	attempts int
	fail     func(verifier.Message) error
}

// Send keeps m, or returns what the function given to FailWith returns
// for it, keeping nothing when that is an error.
func (s *Sender) Send(_ context.Context, m verifier.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.fail != nil {
		if err := s.fail(m); err != nil {
			return err
		}
	}
	s.msgs = append(s.msgs, m)
	return nil
}

// FailWith makes Send return fail(m) for every message m from now on; nil
// makes every send succeed again.
func (s *Sender) FailWith(fail func(verifier.Message) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// Count returns the number of messages delivered.
func (s *Sender) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Attempts returns the number of calls to Send, failed ones included.
func (s *Sender) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Last returns the last message delivered, or fails the test when none
// was.
func (s *Sender) Last(t testing.TB) verifier.Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	return s.msgs[len(s.msgs)-1]
}

// LastFor returns the last message delivered for verification id, or fails
// the test when none was.
func (s *Sender) LastFor(t testing.TB, id string) verifier.Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].VerificationID == id {
			return s.msgs[i]
		}
	}
	t.Fatalf("no message was sent for %s", id)
	return verifier.Message{}
}

// Discard is a verifier.Sender that delivers every message to nowhere: for
// benchmarks, which would otherwise measure a growing list.
type Discard struct{}

// Send returns nil.
func (Discard) Send(context.Context, verifier.Message) error { return nil }

// Clock is a settable clock: Now returns the time it was set to until a
// test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time. Pass the method as a Now function.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward (back when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
