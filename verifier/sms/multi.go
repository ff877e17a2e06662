package sms

import (
	"context"
	"errors"

	"github.com/webotp/webotp/verifier"
)

var _ verifier.Sender = Multi(nil)

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
