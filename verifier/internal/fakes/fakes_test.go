package fakes

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

func TestASenderKeepsWhatItDeliversAndNotWhatItFails(t *testing.T) {
	var s Sender
	ctx := context.Background()
	if err := s.Send(ctx, verifier.Message{VerificationID: "a", Body: "1"}); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("provider down")
	s.FailWith(func(m verifier.Message) error {
		if m.VerificationID == "b" {
			return broken
		}
		return nil
	})
	if err := s.Send(ctx, verifier.Message{VerificationID: "b", Body: "2"}); !errors.Is(err, broken) {
		t.Fatalf("a send the function fails returned %v, want its error", err)
	}
	if err := s.Send(ctx, verifier.Message{VerificationID: "a", Body: "3"}); err != nil {
		t.Fatalf("a send the function lets through returned %v", err)
	}
	s.FailWith(nil)
	if err := s.Send(ctx, verifier.Message{VerificationID: "c", Body: "4"}); err != nil {
		t.Fatalf("a send after FailWith(nil) returned %v", err)
	}
	if s.Count() != 3 || s.Attempts() != 4 {
		t.Fatalf("%d delivered of %d attempts, want 3 of 4", s.Count(), s.Attempts())
	}
	if got := s.Last(t).Body; got != "4" {
		t.Errorf("the last message is %q, want 4", got)
	}
	if got := s.LastFor(t, "a").Body; got != "3" {
		t.Errorf("the last message for a is %q, want 3", got)
	}
}

func TestASenderIsSafeForConcurrentSends(t *testing.T) {
	var s Sender
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _ = s.Send(context.Background(), verifier.Message{}) })
	}
	wg.Wait()
	if s.Count() != 50 {
		t.Fatalf("%d messages kept of 50", s.Count())
	}
}

func TestAClockReadsWhatItWasSetToUntilMoved(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	c := NewClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now() = %v, want %v", c.Now(), t0)
	}
	c.Advance(90 * time.Second)
	if want := t0.Add(90 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("after Advance: %v, want %v", c.Now(), want)
	}
}
