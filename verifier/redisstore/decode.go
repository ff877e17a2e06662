package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/webotp/webotp/verifier"
)

// fieldNames are the record's hash fields in field* order, for HMGET.
var fieldNames = [numFields]string{
	"a", "k", "p", "h", "o", "eo", "c", "x", "r", "s", "t", "ma", "ms", "l", "cd", "st", "d",
}

// decode turns a script's reply into a verification or the error it
// reports. skip is the number of elements between the tag and the record
// (1 for Newest, which answers the id first).
func decode(reply []any, skip int, id string) (*verifier.Verification, error) {
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
			if packed, ok := reply[1+skip].(string); ok {
				return unpack(id, packed)
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
			return nil, verifier.RateLimited(millis(reply[1]), "Too many requests; try again later.")
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

// unpack builds a verification from a script's packed record: the field
// values in field* order, joined by NUL bytes. The last field (the
// delivery error) takes the rest, NUL bytes included.
func unpack(id, packed string) (*verifier.Verification, error) {
	var f [numFields]string
	rest := packed
	for i := range numFields - 1 {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, "\x00"); !ok {
			return nil, fmt.Errorf("redisstore: record of %s has %d fields, want %d", id, i+1, numFields)
		}
	}
	f[numFields-1] = rest
	return record(id, &f)
}

// fromHMGet turns HMGET's values (strings, nil for an absent field) into
// record fields.
func fromHMGet(id string, vals []any) (*verifier.Verification, error) {
	if len(vals) != numFields {
		return nil, fmt.Errorf("redisstore: record of %s has %d fields, want %d", id, len(vals), numFields)
	}
	var f [numFields]string
	for i, x := range vals {
		f[i], _ = x.(string)
	}
	return record(id, &f)
}

// record builds a verification from its field values in field* order; an
// absent field is empty.
func record(id string, f *[numFields]string) (*verifier.Verification, error) {
	var bad error
	num := func(i int) int64 {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("redisstore: record of %s: field %s: %w", id, fieldNames[i], err)
		}
		return n
	}
	v := &verifier.Verification{
		ID:             id,
		AppID:          f[fieldApp],
		KeyID:          f[fieldKeyID],
		Phone:          f[fieldPhone],
		PhoneKey:       f[fieldPhoneKey],
		Origin:         f[fieldOrigin],
		EmbeddedOrigin: f[fieldEmbedded],
		CreatedAt:      time.UnixMilli(num(fieldCreated)).UTC(),
		ExpiresAt:      time.UnixMilli(num(fieldExpires)).UTC(),
		ResendAfter:    time.UnixMilli(num(fieldResendAfter)).UTC(),
		Sends:          int(num(fieldSends)),
		Attempts:       int(num(fieldAttempts)),
		MaxAttempts:    int(num(fieldMaxAttempts)),
		MaxSends:       int(num(fieldMaxSends)),
		Lifetime:       time.Duration(num(fieldLifetime)) * time.Millisecond,
		Cooldown:       time.Duration(num(fieldCooldown)) * time.Millisecond,
		DeliveryError:  f[fieldDeliveryError],
	}
	switch f[fieldStored] {
	case "p":
		v.Stored = verifier.StatusPending
	case "a":
		v.Stored = verifier.StatusApproved
	case "c":
		v.Stored = verifier.StatusCanceled
	default:
		return nil, fmt.Errorf("redisstore: record of %s: stored status %q", id, f[fieldStored])
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
