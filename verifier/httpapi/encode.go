package httpapi

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/webotp/webotp/verifier"
)

// The API's answers are appended by hand to a buffer on the stack, byte for
// byte what json.Marshal gives for the same values (encode_test.go compares
// them, and fuzzes appendString against it).
// Hand-written, not encoding/json: saves ≥10% CPU per check: go test -run '^$' -bench 'BenchmarkCheckHandler$' -count 6 -cpu 1 ./verifier/httpapi/ (make bench prints the figure).

// appendVerification appends the API's verification object (see the
// package doc), as json.Marshal(verificationJSON) would.
func appendVerification(b []byte, v *verifier.Verification, now time.Time) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"status":`...)
	b = appendString(b, string(v.StatusAt(now)))
	switch v.Channel {
	case verifier.ChannelEmail:
		b = append(b, `,"channel":"email","email":`...)
		b = appendString(b, verifier.MaskEmail(v.Email))
	case verifier.ChannelVoice:
		b = append(b, `,"channel":"voice","phone":`...)
		b = appendString(b, verifier.MaskPhone(v.Phone))
	default:
		b = append(b, `,"channel":"sms","phone":`...)
		b = appendString(b, verifier.MaskPhone(v.Phone))
	}
	b = append(b, `,"origin":`...)
	b = appendString(b, v.Origin)
	if v.EmbeddedOrigin != "" {
		b = append(b, `,"embedded_origin":`...)
		b = appendString(b, v.EmbeddedOrigin)
	}
	b = append(b, `,"created_at":`...)
	b = appendTime(b, v.CreatedAt)
	b = append(b, `,"expires_at":`...)
	b = appendTime(b, v.ExpiresAt)
	b = append(b, `,"resend_after":`...)
	b = appendTime(b, v.ResendAfter)
	b = append(b, `,"sends":`...)
	b = strconv.AppendInt(b, int64(v.Sends), 10)
	b = append(b, `,"attempts_left":`...)
	b = strconv.AppendInt(b, int64(v.AttemptsLeft()), 10)
	return append(b, '}')
}

// appendCheck appends the answer of a check, as json.Marshal(checkJSON)
// would.
func appendCheck(b []byte, valid bool, v *verifier.Verification, now time.Time) []byte {
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, valid)
	b = append(b, `,"verification":`...)
	b = appendVerification(b, v, now)
	return append(b, '}')
}

// appendError appends the API's error object, as json.Marshal(errorBody)
// would.
func appendError(b []byte, d errorDetail) []byte {
	b = append(b, `{"error":{"code":`...)
	b = appendString(b, string(d.Code))
	b = append(b, `,"message":`...)
	b = appendString(b, d.Message)
	if d.Status != "" {
		b = append(b, `,"status":`...)
		b = appendString(b, string(d.Status))
	}
	if d.RetryAfter != 0 {
		b = append(b, `,"retry_after":`...)
		b = strconv.AppendInt(b, int64(d.RetryAfter), 10)
	}
	if d.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, d.ID)
	}
	return append(b, "}}"...)
}

// appendTime appends t in UTC as an RFC 3339 JSON string; the layout
// yields only characters that need no escaping.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as encoding/json does by
// default: `"` and `\`, control characters (\b \f \n \r \t by name, the
// others as \u00XX), <, > and & as \u003c \u003e \u0026 (HTML-safe),
// U+2028 and U+2029 as \u2028 \u2029, and each byte of invalid UTF-8 as
// \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
