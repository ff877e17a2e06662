package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/webotp/webotp/verifier"
)

// A record is one Redis string, the layout Go (encodeRecord,
// decodeRecord) and the scripts (lua/record.lua, which counts from 1)
// share:
//
//	byte 0          status letter: p (pending), a (approved), c (canceled)
//	bytes 1-10      attempts       fixed-width decimal numbers, zero-padded
//	bytes 11-20     sends          (times in unix ms, "-" first before
//	bytes 21-35     expires at     1970), so that a script changes one in
//	bytes 36-50     resend after   place with SETRANGE
//	14 fixed fields, each ended by a NUL byte (Create refuses values that
//	hold one), numbered as record.lua does:
//	                1 app, 2 phone key, 3 max attempts, 4 key id,
//	                5 destination (the phone, or the email address of
//	                an email verification), 6 origin, 7 embedded origin,
//	                8 created at (unix ms), 9 max sends, 10 lifetime (ms),
//	                11 cooldown (ms), 12 channel (sms, voice, email),
//	                13 locale, 14 the nonce of the Create call that
//	                wrote it
//	the rest        the delivery error of the last send, "" when none
//
// TestTheLuaReadsTheRecordWhereGoWritesIt checks that both sides agree.
// One string rather than a hash of fields: it costs less CPU per check on both sides (go test -run '^$' -bench RecordLayout ./verifier/redisstore/).
const (
	offStatus      = 0
	offAttempts    = 1
	widthCount     = 10 // attempts and sends
	offSends       = offAttempts + widthCount
	offExpires     = offSends + widthCount
	widthTime      = 15 // unix ms, or "-" and 14 digits
	offResendAfter = offExpires + widthTime
	headerLen      = offResendAfter + widthTime

	// numFixed is the number of NUL-ended fields after the header.
	numFixed = 14
)

// maxCount and the time bounds are the values the header's fields hold.
const (
	maxCount = 9_999_999_999
	maxTime  = 999_999_999_999_999
	minTime  = -99_999_999_999_999
)

// encodeRecord is v as stored, with the nonce of the Create call.
func encodeRecord(v *verifier.Verification, nonce string) (string, error) {
	var st byte
	switch v.Stored {
	case verifier.StatusPending:
		st = 'p'
	case verifier.StatusApproved:
		st = 'a'
	case verifier.StatusCanceled:
		st = 'c'
	default:
		return "", fmt.Errorf("stored status %q is not pending, approved or canceled", v.Stored)
	}
	ch := v.Channel
	dest := v.Phone
	switch ch {
	case "": // the zero Channel is sms
		ch = verifier.ChannelSMS
	case verifier.ChannelSMS, verifier.ChannelVoice:
	case verifier.ChannelEmail:
		if v.Phone != "" {
			return "", errors.New("an email verification with a phone")
		}
		dest = v.Email
	default:
		return "", fmt.Errorf("channel %q", v.Channel)
	}
	if ch != verifier.ChannelEmail && v.Email != "" {
		return "", fmt.Errorf("a %s verification with an email address", ch)
	}
	for _, f := range [...]string{v.AppID, v.PhoneKey, v.KeyID, dest, v.Origin, v.EmbeddedOrigin, v.Locale} {
		if strings.IndexByte(f, 0) >= 0 {
			return "", errors.New("a field holds a NUL byte")
		}
	}
	for _, n := range [...]int{v.Attempts, v.Sends, v.MaxAttempts, v.MaxSends} {
		if n < 0 || n > maxCount {
			return "", fmt.Errorf("count %d out of range", n)
		}
	}
	b := make([]byte, 0, headerLen+170+len(dest)+len(v.Origin)+len(v.EmbeddedOrigin)+len(v.DeliveryError))
	b = append(b, st)
	var err error
	b = appendPadded(b, int64(v.Attempts), widthCount, &err)
	b = appendPadded(b, int64(v.Sends), widthCount, &err)
	b = appendPadded(b, ms(v.ExpiresAt), widthTime, &err)
	b = appendPadded(b, ms(v.ResendAfter), widthTime, &err)
	if err != nil {
		return "", err
	}
	for _, f := range [...]string{v.AppID, v.PhoneKey} {
		b = append(append(b, f...), 0)
	}
	b = append(strconv.AppendInt(b, int64(v.MaxAttempts), 10), 0)
	for _, f := range [...]string{v.KeyID, dest, v.Origin, v.EmbeddedOrigin} {
		b = append(append(b, f...), 0)
	}
	for _, n := range [...]int64{ms(v.CreatedAt), int64(v.MaxSends), v.Lifetime.Milliseconds(), v.Cooldown.Milliseconds()} {
		b = append(strconv.AppendInt(b, n, 10), 0)
	}
	b = append(append(b, ch...), 0)
	b = append(append(b, v.Locale...), 0)
	b = append(append(b, nonce...), 0)
	return string(append(b, v.DeliveryError...)), nil
}

// appendPadded appends n in decimal, zero-padded to width as Lua's
// string.format('%0<width>d') does ("-" first for a negative number); a
// number that does not fit sets *err.
func appendPadded(b []byte, n int64, width int, err *error) []byte {
	if n > maxTime || n < minTime || (width == widthCount && n > maxCount) {
		*err = fmt.Errorf("number %d does not fit the record", n)
		return b
	}
	digits := width
	if n < 0 {
		b = append(b, '-')
		n = -n
		digits--
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], n, 10)
	for range digits - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// decode turns a script's reply into a verification or the error it
// reports. skip is the number of elements between the tag and the record
// (1 for Newest, which answers the id first); limits are the script's, to
// name the one that refused.
func decode(reply []any, skip int, id string, limits []verifier.Limit) (*verifier.Verification, error) {
	if len(reply) == 0 {
		return nil, errors.New("redisstore: empty script reply")
	}
	tag, _ := reply[0].(string)
	switch tag {
	case "ok":
		if len(reply) == 1 {
			return nil, nil
		}
		if len(reply) == 2+skip {
			if rec, ok := reply[1+skip].(string); ok {
				return decodeRecord(id, rec)
			}
		}
	case "nf":
		return nil, verifier.ErrNotFound
	case "np":
		if len(reply) == 2 {
			if s, ok := reply[1].(string); ok {
				return nil, verifier.NotPending(verifier.Status(s))
			}
		}
	case "rl":
		if len(reply) == 3 {
			msg := "Too many requests; try again later."
			if i, ok := reply[2].(int64); ok && i >= 0 && i < int64(len(limits)) && limits[i].Message != "" {
				msg = limits[i].Message
			}
			return nil, verifier.RateLimited(millis(reply[1]), msg)
		}
	case "key":
		if len(reply) == 2 {
			if k, ok := reply[1].(string); ok {
				return nil, verifier.KeyUnavailable(k)
			}
		}
	case "sends":
		if len(reply) == 2 {
			return nil, verifier.RateLimited(millis(reply[1]), "No more codes can be sent for this verification; start a new one.")
		}
	case "early":
		if len(reply) == 2 {
			return nil, verifier.RateLimited(millis(reply[1]), "Wait before asking for a new code.")
		}
	case "exists":
		return nil, errors.New("redisstore: a verification with this id exists")
	}
	return nil, fmt.Errorf("redisstore: unexpected script reply %v", reply)
}

// decodeRecord builds the verification id from its stored record.
func decodeRecord(id, rec string) (*verifier.Verification, error) {
	if len(rec) < headerLen {
		return nil, fmt.Errorf("redisstore: record of %s is %d bytes, shorter than its header", id, len(rec))
	}
	var bad error
	num := func(s, name string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("redisstore: record of %s: %s: %w", id, name, err)
		}
		return n
	}
	var f [numFixed]string
	rest := rec[headerLen:]
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, "\x00"); !ok {
			return nil, fmt.Errorf("redisstore: record of %s has %d fixed fields, want %d", id, i, numFixed)
		}
	}
	v := &verifier.Verification{
		ID:             id,
		AppID:          f[0],
		PhoneKey:       f[1],
		MaxAttempts:    int(num(f[2], "max attempts")),
		KeyID:          f[3],
		Locale:         f[12],
		Origin:         f[5],
		EmbeddedOrigin: f[6],
		CreatedAt:      time.UnixMilli(num(f[7], "created at")).UTC(),
		MaxSends:       int(num(f[8], "max sends")),
		Lifetime:       time.Duration(num(f[9], "lifetime")) * time.Millisecond,
		Cooldown:       time.Duration(num(f[10], "cooldown")) * time.Millisecond,
		Attempts:       int(num(rec[offAttempts:offSends], "attempts")),
		Sends:          int(num(rec[offSends:offExpires], "sends")),
		ExpiresAt:      time.UnixMilli(num(rec[offExpires:offResendAfter], "expires at")).UTC(),
		ResendAfter:    time.UnixMilli(num(rec[offResendAfter:headerLen], "resend after")).UTC(),
		DeliveryError:  rest,
	}
	switch v.Channel = verifier.Channel(f[11]); v.Channel {
	case verifier.ChannelSMS, verifier.ChannelVoice:
		v.Phone = f[4]
	case verifier.ChannelEmail:
		v.Email = f[4]
	default:
		return nil, fmt.Errorf("redisstore: record of %s: channel %q", id, f[11])
	}
	switch rec[offStatus] {
	case 'p':
		v.Stored = verifier.StatusPending
	case 'a':
		v.Stored = verifier.StatusApproved
	case 'c':
		v.Stored = verifier.StatusCanceled
	default:
		return nil, fmt.Errorf("redisstore: record of %s: stored status %q", id, rec[offStatus])
	}
	if bad != nil {
		return nil, bad
	}
	return v, nil
}

// millis turns a reply integer of milliseconds into a duration.
func millis(x any) time.Duration {
	n, _ := x.(int64)
	return time.Duration(n) * time.Millisecond
}
