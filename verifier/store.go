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
	// PerPhone completes the counter's name with the phone key of the
	// verification the operation touches: the counter is Key+PhoneKey (as
	// if Key had been that string), so that a caller may count against a
	// phone's budget knowing only a verification's id. Create uses
	// v.PhoneKey; the methods that take an id use the stored record's.
	PerPhone bool
	// Guard only reads the counter: when it is full the operation is
	// refused as with any limit, but the operation counts no event against
	// it and a refund gives none back. It lets one operation honour a
	// budget that another spends (a phone whose failed checks are spent
	// may not start a verification or get a new code).
	Guard bool
	// Message is the RateLimited message when this limit refuses; empty
	// means a generic one.
	Message string
}

// Store keeps verifications and limit counters. Every method that reads
// and writes does so atomically (one Lua script on Redis, one lock in
// memory), so any number of verifier instances sharing a Store share every
// limit exactly. Methods return *Error values: ErrNotFound, NotPending,
// RateLimited, KeyUnavailable, StoreUnavailable.
//
// storetest.Run is the contract: every implementation must pass it.
//
// Time. Every decision is made with the time the caller passes (the now
// argument, and v.CreatedAt for Create), never with the store's own clock,
// so instances agree and tests are exact. Wall-clock expiry (Redis PEXPIRE,
// memstore's sweeper) is garbage collection only: a verification's record
// is kept at least until ExpiresAt+Retention and a counter until its window
// ends, both computed from the passed time. storetest therefore passes times
// close to the wall clock (its base is time.Now rounded to the second) and
// moves them forward, never back, by at most a few hours.
//
// Precision. Stores keep times and durations to the millisecond; Service
// truncates its clock to milliseconds, so what it stores is what it reads.
// Times come back in UTC.
//
// Identifiers. IDs are 22-character base64url strings without padding
// (128 bits), as Service makes them; a Store may refuse any other id at
// Create and answer ErrNotFound for it elsewhere. Create of an id that
// exists is an error and changes nothing.
//
// Limits. A Limit is a fixed window that opens with the first event
// counted at time t and ends at t+Window; a counter whose window has ended
// is empty. RetryAfter is the time from the passed time to the end of the
// first full limit's window, and the error's message is that limit's
// Message when it has one. A refusal counts nothing against any limit.
// A refund takes one event back from a counter whose window is still open
// and never goes below zero.
//
// Keys. Resend and ReserveCheck take the ids of the master keys the caller
// holds: a verification derived with another key answers KeyUnavailable
// and nothing is changed or counted (an instance that cannot derive the
// code must not spend an attempt or a send on it). Nil keyIDs accept any
// key.
//
// Apps. The methods that change a verification by id (Resend,
// ReserveCheck, Cancel) take the caller's app id too: a verification of
// another app answers ErrNotFound, exactly as an unknown id, and nothing is
// changed or counted. Service thus makes one store call per request, with
// no Get first.
//
// Contexts. A method called with a done context returns an error that
// wraps ctx.Err() (errors.Is(err, context.Canceled) holds) and changes
// nothing.
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

	// Resend counts a new send: it requires v to belong to appID, be
	// pending at now, be derived with one of keyIDs, have Sends below
	// MaxSends, now not before ResendAfter, and room in each limit.
	// It then increments Sends and each limit, sets ExpiresAt to
	// now+Lifetime, ResendAfter to NextResendAfter(now, Sends) and clears
	// DeliveryError. Errors, checked in this order: ErrNotFound (also for
	// another app's verification), NotPending(status),
	// KeyUnavailable(KeyID), RateLimited (MaxSends reached: until
	// ExpiresAt; cooldown running: until ResendAfter; a limit full: until
	// its window ends).
	Resend(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []Limit) (*Verification, error)

	// ReserveCheck counts one attempt before the code is compared: it
	// requires v to belong to appID, be pending at now, be derived with
	// one of keyIDs and have room in each limit (the per-phone failure
	// budget, a PerPhone limit), then increments Attempts and each limit,
	// and returns v as it is after that. Errors, in this order:
	// ErrNotFound (also for another app's verification), NotPending(status),
	// KeyUnavailable(KeyID), RateLimited (a limit is full); none counts
	// anything.
	ReserveCheck(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []Limit) (*Verification, error)

	// Approve marks v approved if it is still pending (ignoring attempts:
	// the approving check was reserved) and unexpired at now and its Sends
	// still equals sends, and gives one event back to each refund limit.
	// It returns v after the change. Errors: ErrNotFound,
	// NotPending(status) when it was not pending or sends moved on.
	Approve(ctx context.Context, id string, sends int, now time.Time, refund []Limit) (*Verification, error)

	// Cancel marks a pending verification of appID canceled. Errors:
	// ErrNotFound (also for another app's verification: nothing changed),
	// NotPending(status).
	Cancel(ctx context.Context, appID, id string, now time.Time) (*Verification, error)

	// DeliveryFailed records that send number sends failed, for reason
	// (not empty), and gives the send back: ResendAfter becomes now when
	// it was later (a send that reached nobody makes nobody wait) and each
	// refund limit gets one event back. It changes nothing when Sends has
	// moved on or this send's failure is already recorded, so a retried
	// call never gives back twice. Errors: ErrNotFound.
	DeliveryFailed(ctx context.Context, id string, sends int, reason string, now time.Time, refund []Limit) error

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
	Link           string // the verification link Body carries (otpmsg.Link), or ""
	VerificationID string
	AppID          string
	Send           int    // 1 for the first message, 2 for the first resend...
	Encoding       string // "GSM-7" or "UCS-2"
	Segments       int
}
