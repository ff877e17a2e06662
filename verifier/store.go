package verifier

import (
	"context"
	"time"
)

// Limit is one fixed-window counter that a Store operation checks and
// counts atomically with the operation itself.
type Limit struct {
	// Key names the counter. Keys that derive from a phone number or an IP
	// address are keyed hashes, never the value itself.
	Key string
	// Max events are allowed per Window.
	Max    int
	Window time.Duration
}

// Store keeps verifications and limit counters. Every method that reads
// and writes does so atomically (one Lua script on Redis, one lock in
// memory), so any number of verifier instances sharing a Store share every
// limit exactly. Methods return *Error values: ErrNotFound, NotPending,
// RateLimited, StoreUnavailable.
//
// storetest.Run is the contract: every implementation must pass it.
type Store interface {
	// Create stores v if each limit has room, counting one event against
	// each, and records v as the newest verification of (v.AppID,
	// v.PhoneKey). When a limit is full it stores nothing and returns
	// RateLimited with the time until that limit's window ends.
	Create(ctx context.Context, v *Verification, limits []Limit) error

	// Get returns the verification, or ErrNotFound. Expired verifications
	// may be gone (ErrNotFound) once their record's time to live passes.
	Get(ctx context.Context, id string) (*Verification, error)

	// Newest returns the newest verification created for the app and phone
	// key, or ErrNotFound.
	Newest(ctx context.Context, appID, phoneKey string) (*Verification, error)

	// Resend counts a new send: it requires v to be pending at now, Sends
	// below MaxSends, now not before ResendAfter, and room in each limit.
	// It then increments Sends and each limit, sets ExpiresAt to
	// now+Lifetime, ResendAfter to NextResendAfter(now, Sends) and clears
	// DeliveryError. Errors: ErrNotFound, NotPending(status), RateLimited.
	Resend(ctx context.Context, id string, now time.Time, limits []Limit) (*Verification, error)

	// ReserveCheck counts one attempt before the code is compared: it
	// requires v to be pending at now and room in each limit (the
	// per-phone failure budget), then increments Attempts and each limit,
	// and returns v as it is after that. Errors: ErrNotFound,
	// NotPending(status), RateLimited (a limit is full: nothing counted).
	ReserveCheck(ctx context.Context, id string, now time.Time, limits []Limit) (*Verification, error)

	// Approve marks v approved if it is still pending (ignoring attempts:
	// the approving check was reserved) and unexpired at now and its Sends
	// still equals sends, and gives one event back to each refund limit.
	// It returns v after the change. Errors: ErrNotFound,
	// NotPending(status) when it was not pending or sends moved on.
	Approve(ctx context.Context, id string, sends int, now time.Time, refund []Limit) (*Verification, error)

	// Cancel marks a pending verification canceled. Errors: ErrNotFound,
	// NotPending(status).
	Cancel(ctx context.Context, id string, now time.Time) (*Verification, error)

	// SetDeliveryError records why send number sends failed ("" for
	// success). It changes nothing if Sends has moved on.
	SetDeliveryError(ctx context.Context, id string, sends int, reason string) error

	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// Sender delivers one SMS message. Implementations live in verifier/sms.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Message is one SMS as handed to a Sender.
type Message struct {
	To             string // E.164
	Body           string // formatted by otpmsg: the last line binds the code to the origin
	VerificationID string
	AppID          string
	Send           int    // 1 for the first message, 2 for the first resend...
	Encoding       string // "GSM-7" or "UCS-2"
	Segments       int
}
