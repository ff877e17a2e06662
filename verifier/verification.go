package verifier

import "time"

// Status is where a verification stands.
type Status string

// The statuses of a verification. Only StatusPending can change.
const (
	StatusPending     Status = "pending"
	StatusApproved    Status = "approved"
	StatusCanceled    Status = "canceled"
	StatusExpired     Status = "expired"
	StatusMaxAttempts Status = "max_attempts_reached"
)

// Verification is one attempt to prove control of a phone number or an
// email address. It holds no code and no secret: the code is derived from
// ID, the destination (Phone or Email), the origins and Sends with the
// master key named by KeyID.
type Verification struct {
	ID    string // 128 random bits, base64url without padding (22 characters)
	AppID string
	KeyID string // id of the master key the code is derived with
	// Channel is how every code of the verification is sent: sms and
	// voice go to Phone, email to Email.
	Channel Channel
	Phone   string // E.164, for sms and voice; "" for email
	Email   string // as NormalizeEmail returns it, for email; "" otherwise
	// Locale is the BCP 47 language of a voice verification's start
	// request ("fr", "pt-PT"), or "": every call speaks it. Other channels
	// keep none.
	Locale string
	// PhoneKey is the keyed hash of the destination (Phone or Email), the
	// rate-limit and lookup key. Phone numbers and addresses never hash
	// alike: an address holds an '@', a number never does.
	PhoneKey       string
	Origin         string // https://www.example.com
	EmbeddedOrigin string // optional iframe origin
	CreatedAt      time.Time
	ExpiresAt      time.Time // of the current code
	ResendAfter    time.Time
	// Sends counts messages sent; the current code is derived with counter Sends.
	Sends int
	// Attempts counts checks reserved so far, right or wrong.
	Attempts int
	// MaxAttempts and MaxSends are the app's limits, fixed at creation.
	MaxAttempts int
	MaxSends    int
	// Lifetime is how long each code lives; Cooldown the wait before the
	// first resend, doubling with each send.
	Lifetime time.Duration
	Cooldown time.Duration
	// Stored is the stored status: pending, approved or canceled. Use
	// StatusAt for what clients see.
	Stored Status
	// DeliveryError is the reason the last send failed, or "".
	DeliveryError string
}

// StatusAt is the status as of now: a pending verification whose code has
// expired is expired, one with no attempts left is max_attempts_reached.
// Stores use the same rule, so it is never written back.
func (v *Verification) StatusAt(now time.Time) Status {
	if v.Stored != StatusPending {
		return v.Stored
	}
	if v.Attempts >= v.MaxAttempts {
		return StatusMaxAttempts
	}
	if !now.Before(v.ExpiresAt) {
		return StatusExpired
	}
	return StatusPending
}

// Destination is where the verification's codes go: Email for the email
// channel, Phone otherwise.
func (v *Verification) Destination() string {
	if v.Channel == ChannelEmail {
		return v.Email
	}
	return v.Phone
}

// AttemptsLeft is how many more checks the verification accepts.
func (v *Verification) AttemptsLeft() int {
	if n := v.MaxAttempts - v.Attempts; n > 0 {
		return n
	}
	return 0
}

// NextResendAfter is when a resend is allowed after send number sends
// (1-based) made at sentAt: the cooldown, doubled for every send after the
// first.
func (v *Verification) NextResendAfter(sentAt time.Time, sends int) time.Time {
	d := v.Cooldown
	for i := 1; i < sends && d < 24*time.Hour; i++ {
		d *= 2
	}
	return sentAt.Add(d)
}
