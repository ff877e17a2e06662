package sms

import (
	"context"
	"errors"

	"github.com/webotp/webotp/verifier"
)

var (
	_ verifier.Sender = Multi(nil)
	_ Caller          = Multi(nil)
)

// Multi sends each message through every sender in turn, all of them even
// when one fails; it fails when any failed, with their errors joined.
// Development mode uses it for console + outbox.
type Multi []verifier.Sender

// Send sends m through every sender.
func (ms Multi) Send(ctx context.Context, m verifier.Message) error {
	var errs []error
	for _, s := range ms {
		if err := s.Send(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Call places c through every sender that is a Caller, all of them even
// when one fails; it fails when any failed, or when none can call.
func (ms Multi) Call(ctx context.Context, c VoiceCall) error {
	var errs []error
	called := false
	for _, s := range ms {
		if cl, ok := s.(Caller); ok {
			called = true
			if err := cl.Call(ctx, c); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if !called {
		return errors.New("multi: no sender can place calls")
	}
	return errors.Join(errs...)
}
