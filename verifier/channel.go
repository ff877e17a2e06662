package verifier

import (
	"context"
	"time"
)

// Channel is how a verification's codes reach the user.
type Channel string

// The channels. One verification keeps its channel: every resend goes out
// the same way.
const (
	ChannelSMS   Channel = "sms"
	ChannelVoice Channel = "voice"
	ChannelEmail Channel = "email"
)

// parseChannel reads a request's channel; "" is sms.
func parseChannel(s string) (Channel, error) {
	switch Channel(s) {
	case "", ChannelSMS:
		return ChannelSMS, nil
	case ChannelVoice, ChannelEmail:
		return Channel(s), nil
	}
	return "", Errorf(CodeInvalidRequest, "channel must be \"sms\", \"voice\" or \"email\".")
}

// Caller places voice calls that read a code aloud. Implementations live
// in verifier/sms.
type Caller interface {
	Call(ctx context.Context, c Call) error
}

// Call is one voice call as handed to a Caller.
type Call struct {
	To             string // E.164
	Code           string // read digit by digit, twice
	Locale         string // BCP 47 ("fr", "pt-PT"); "" or unknown means English
	AppName        string // named in the call when not empty
	VerificationID string
	AppID          string
	Send           int // 1 for the first call, 2 for the first resend...
}

// Mailer delivers verification emails. verifier/mail implements it over
// SMTP.
type Mailer interface {
	Mail(ctx context.Context, e Email) error
}

// Email is one verification email as handed to a Mailer, which composes
// its subject, text and HTML parts.
type Email struct {
	To             string // as NormalizeEmail returns it
	AppName        string
	Code           string
	Link           string // the verification link (otpmsg.Link), or ""
	TTL            time.Duration
	VerificationID string
	AppID          string
	Send           int // 1 for the first email, 2 for the first resend...
}
