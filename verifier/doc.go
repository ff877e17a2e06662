// Package verifier is the domain of webotp: phone-number verifications by
// one-time codes delivered as origin-bound SMS messages.
//
// It knows no HTTP, no Redis and no SMS provider. Adapters implement the
// small interfaces defined here (Store, Sender) and live in the
// sub-packages named after what they wrap; only cmd/webotp knows them all.
//
// Codes are derived, never stored: a verification's code is
// HOTP(HMAC-SHA256(master key, id|phone|origins), send number), so a leaked
// store dump reveals no code. Every limit is counted atomically by the
// Store, before any comparison, so parallel guesses count exactly.
package verifier
