package redisstore

import (
	"errors"
	"fmt"
	"strconv"
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
		return record(id, reply[1+skip:])
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

// record builds a verification from its field values in field* order;
// values are strings, integers (fields a script changed) or nil (absent).
func record(id string, vals []any) (*verifier.Verification, error) {
	if len(vals) != numFields {
		return nil, fmt.Errorf("redisstore: record of %s has %d fields, want %d", id, len(vals), numFields)
	}
	var bad error
	num := func(i int) int64 {
		switch x := vals[i].(type) {
		case int64:
			return x
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil && bad == nil {
				bad = fmt.Errorf("redisstore: record of %s: field %s: %w", id, fieldNames[i], err)
			}
			return n
		}
		return 0
	}
	str := func(i int) string {
		s, _ := vals[i].(string)
		return s
	}
	v := &verifier.Verification{
		ID:             id,
		AppID:          str(fieldApp),
		KeyID:          str(fieldKeyID),
		Phone:          str(fieldPhone),
		PhoneKey:       str(fieldPhoneKey),
		Origin:         str(fieldOrigin),
		EmbeddedOrigin: str(fieldEmbedded),
		CreatedAt:      time.UnixMilli(num(fieldCreated)).UTC(),
		ExpiresAt:      time.UnixMilli(num(fieldExpires)).UTC(),
		ResendAfter:    time.UnixMilli(num(fieldResendAfter)).UTC(),
		Sends:          int(num(fieldSends)),
		Attempts:       int(num(fieldAttempts)),
		MaxAttempts:    int(num(fieldMaxAttempts)),
		MaxSends:       int(num(fieldMaxSends)),
		Lifetime:       time.Duration(num(fieldLifetime)) * time.Millisecond,
		Cooldown:       time.Duration(num(fieldCooldown)) * time.Millisecond,
		DeliveryError:  str(fieldDeliveryError),
	}
	switch str(fieldStored) {
	case "p":
		v.Stored = verifier.StatusPending
	case "a":
		v.Stored = verifier.StatusApproved
	case "c":
		v.Stored = verifier.StatusCanceled
	default:
		return nil, fmt.Errorf("redisstore: record of %s: stored status %q", id, str(fieldStored))
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
