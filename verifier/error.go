package verifier

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Clients depend on these
// strings: never rename one.
type Code string

// The error codes of the domain. httpapi maps each to an HTTP status in one
// table, with the few codes only the transport has (invalid_json,
// unauthorized...).
const (
	CodeInvalidRequest       Code = "invalid_request"
	CodeInvalidPhone         Code = "invalid_phone"
	CodeInvalidEmail         Code = "invalid_email"
	CodeInvalidOrigin        Code = "invalid_origin"
	CodeInvalidCode          Code = "invalid_code"
	CodeOriginNotAllowed     Code = "origin_not_allowed"
	CodeCountryNotAllowed    Code = "country_not_allowed"
	CodeNumberTypeNotAllowed Code = "number_type_not_allowed"
	CodeNotFound             Code = "not_found"
	CodeNotPending           Code = "not_pending"
	CodeRateLimited          Code = "rate_limited"
	CodeDeliveryFailed       Code = "delivery_failed"
	CodeStoreUnavailable     Code = "store_unavailable"
	CodeKeyUnavailable       Code = "key_unavailable"
	CodeInternal             Code = "internal"
	// CodeChannelNotSupported: the request's channel is one this
	// deployment has no sender for (no SMTP server, an SMS provider that
	// cannot call).
	CodeChannelNotSupported Code = "channel_not_supported"
	// CodeLinkNotConfigured: the app has no link_url, so its verifications
	// have no link (and no QR code of one).
	CodeLinkNotConfigured Code = "link_not_configured"
)

// Error is the one error type of the domain. Message is a human sentence
// safe to show to API clients; it never carries internal error text.
type Error struct {
	Code    Code
	Message string
	// RetryAfter is set with CodeRateLimited: when the caller may try again.
	RetryAfter time.Duration
	// Status is set with CodeNotPending: the verification's status.
	Status Status
	// ID is set with CodeDeliveryFailed: the verification exists, pending,
	// and may be resent.
	ID string
	// KeyID is set with CodeKeyUnavailable: the master key the
	// verification was derived with, which this instance lacks. Key ids
	// are not secret, but clients are not told: it is for the logs.
	KeyID string
	// Err is the underlying cause, for logs only; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error, and
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by a Store when a verification does not exist.
// It is the *Error clients see as 404 not_found.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "No such verification."}

// NotPending returns the error for an operation on a verification that is
// no longer pending.
func NotPending(s Status) *Error {
	return &Error{Code: CodeNotPending, Message: fmt.Sprintf("The verification is %s.", s), Status: s}
}

// RateLimited returns the error for a limit that is exhausted until after.
func RateLimited(after time.Duration, message string) *Error {
	if after < time.Second {
		after = time.Second
	}
	return &Error{Code: CodeRateLimited, Message: message, RetryAfter: after}
}

// StoreUnavailable wraps a store failure (connection refused, timeout).
func StoreUnavailable(err error) *Error {
	return &Error{Code: CodeStoreUnavailable, Message: "The verification store is unavailable; try again shortly.", Err: err}
}

// KeyUnavailable returns the error for a verification derived with the
// master key keyID, which the caller does not hold: no code can be checked
// or sent for it here, through no fault of the client.
func KeyUnavailable(keyID string) *Error {
	return &Error{
		Code:    CodeKeyUnavailable,
		Message: "This instance cannot check or resend this verification: it lacks the key its code was made with.",
		KeyID:   keyID,
	}
}
