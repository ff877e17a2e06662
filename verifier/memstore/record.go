package memstore

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/webotp/webotp/verifier"
)

// ids is the strict base64url alphabet of verification ids and phone keys:
// one string per 16 bytes, so two strings never name one record.
var ids = base64.RawURLEncoding.Strict()

// record is a verification kept compactly: 96 bytes plus the map entries
// that point at it. Times are Unix milliseconds, strings that repeat (app,
// key id, origins) are indices into the shard's interner, and the phone
// and phone key are packed when they have the usual form.
type record struct {
	phoneKey    [16]byte
	phone       uint64 // the digits of an E.164 number; 0: ext.phone
	created     int64
	expires     int64
	resendAfter int64
	lifetime    uint32 // ms
	cooldown    uint32 // ms
	app         uint32
	keyID       uint32
	origin      uint32
	embedded    uint32
	sends       uint16
	attempts    uint16
	maxAttempts uint16
	maxSends    uint16
	stored      uint8
	flags       uint8 // longPhone, longPhoneKey
	ext         *recordExt
}

// Record flags: the value is in ext, not packed.
const (
	longPhone uint8 = 1 << iota
	longPhoneKey
)

// recordExt holds what does not fit a record: rare or irregular values.
type recordExt struct {
	phone         string // when not packed
	phoneKey      string // when not packed
	deliveryError string
}

const (
	storedPending uint8 = iota
	storedApproved
	storedCanceled
)

func parseID(id string) (k [16]byte, ok bool) {
	if len(id) != 22 {
		return k, false
	}
	n, err := ids.Decode(k[:], []byte(id))
	return k, err == nil && n == 16
}

func formatID(k [16]byte) string { return ids.EncodeToString(k[:]) }

func unixMilli(t time.Time) int64 { return t.UnixMilli() }

func fromMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// packPhone returns the digits of an E.164 number ("+" and 1 to 15
// digits, the first not 0) as a number, or 0.
func packPhone(p string) uint64 {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return 0
	}
	n, err := strconv.ParseUint(p[1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func msDuration(d time.Duration) (uint32, error) {
	ms := d.Milliseconds()
	if d < 0 || ms > math.MaxUint32 {
		return 0, fmt.Errorf("duration %v out of range", d)
	}
	return uint32(ms), nil
}

func small(name string, n int) (uint16, error) {
	if n < 0 || n > math.MaxUint16 {
		return 0, fmt.Errorf("%s %d out of range", name, n)
	}
	return uint16(n), nil
}

// encode packs v into r, interning strings with in. The caller holds the
// shard's lock.
func encode(v *verifier.Verification, in *interner) (*record, error) {
	r := &record{
		created:     unixMilli(v.CreatedAt),
		expires:     unixMilli(v.ExpiresAt),
		resendAfter: unixMilli(v.ResendAfter),
	}
	var err error
	if r.lifetime, err = msDuration(v.Lifetime); err != nil {
		return nil, err
	}
	if r.cooldown, err = msDuration(v.Cooldown); err != nil {
		return nil, err
	}
	if r.sends, err = small("sends", v.Sends); err != nil {
		return nil, err
	}
	if r.attempts, err = small("attempts", v.Attempts); err != nil {
		return nil, err
	}
	if r.maxAttempts, err = small("max attempts", v.MaxAttempts); err != nil {
		return nil, err
	}
	if r.maxSends, err = small("max sends", v.MaxSends); err != nil {
		return nil, err
	}
	switch v.Stored {
	case verifier.StatusPending:
		r.stored = storedPending
	case verifier.StatusApproved:
		r.stored = storedApproved
	case verifier.StatusCanceled:
		r.stored = storedCanceled
	default:
		return nil, fmt.Errorf("stored status %q", v.Stored)
	}
	r.phone = packPhone(v.Phone)
	var ext recordExt
	if r.phone == 0 {
		r.flags |= longPhone
		ext.phone = v.Phone
	}
	if pk, ok := parseID(v.PhoneKey); ok {
		r.phoneKey = pk
	} else {
		r.flags |= longPhoneKey
		ext.phoneKey = v.PhoneKey
	}
	ext.deliveryError = v.DeliveryError
	if ext != (recordExt{}) {
		r.ext = &ext
	}
	r.app = in.intern(v.AppID)
	r.keyID = in.intern(v.KeyID)
	r.origin = in.intern(v.Origin)
	r.embedded = in.intern(v.EmbeddedOrigin)
	return r, nil
}

// decode returns the verification r holds. The caller holds the shard's
// lock.
func (r *record) decode(id string, in *interner) *verifier.Verification {
	v := &verifier.Verification{
		ID:             id,
		AppID:          in.name(r.app),
		KeyID:          in.name(r.keyID),
		Phone:          r.phoneString(),
		PhoneKey:       r.phoneKeyString(),
		Origin:         in.name(r.origin),
		EmbeddedOrigin: in.name(r.embedded),
		CreatedAt:      fromMilli(r.created),
		ExpiresAt:      fromMilli(r.expires),
		ResendAfter:    fromMilli(r.resendAfter),
		Sends:          int(r.sends),
		Attempts:       int(r.attempts),
		MaxAttempts:    int(r.maxAttempts),
		MaxSends:       int(r.maxSends),
		Lifetime:       time.Duration(r.lifetime) * time.Millisecond,
		Cooldown:       time.Duration(r.cooldown) * time.Millisecond,
		Stored:         r.storedStatus(),
	}
	if r.ext != nil {
		v.DeliveryError = r.ext.deliveryError
	}
	return v
}

func (r *record) phoneString() string {
	if r.flags&longPhone != 0 {
		if r.ext == nil {
			return ""
		}
		return r.ext.phone
	}
	var b [24]byte
	b[0] = '+'
	return string(strconv.AppendUint(b[:1], r.phone, 10))
}

func (r *record) phoneKeyString() string {
	if r.flags&longPhoneKey != 0 {
		if r.ext == nil {
			return ""
		}
		return r.ext.phoneKey
	}
	return formatID(r.phoneKey)
}

func (r *record) storedStatus() verifier.Status {
	switch r.stored {
	case storedApproved:
		return verifier.StatusApproved
	case storedCanceled:
		return verifier.StatusCanceled
	}
	return verifier.StatusPending
}

// status is Verification.StatusAt for the record at now (Unix ms).
func (r *record) status(now int64) verifier.Status {
	if r.stored != storedPending {
		return r.storedStatus()
	}
	if r.attempts >= r.maxAttempts {
		return verifier.StatusMaxAttempts
	}
	if now >= r.expires {
		return verifier.StatusExpired
	}
	return verifier.StatusPending
}

// setDeliveryError records reason, dropping ext when it no longer holds
// anything.
func (r *record) setDeliveryError(reason string) {
	if r.ext == nil {
		if reason == "" {
			return
		}
		r.ext = &recordExt{}
	}
	r.ext.deliveryError = reason
	if *r.ext == (recordExt{}) {
		r.ext = nil
	}
}

// nextResendAfter is Verification.NextResendAfter in milliseconds.
func (r *record) nextResendAfter(now int64) int64 {
	d := int64(r.cooldown)
	const day = int64(24 * time.Hour / time.Millisecond)
	for i := 1; i < int(r.sends) && d < day; i++ {
		d *= 2
	}
	return now + d
}

// interner maps the few strings that repeat across records to small
// indices. Index 0 is "". It never shrinks: its strings come from
// configuration (apps, keys, allowed origins), not from requests.
type interner struct {
	names []string
	index map[string]uint32
}

func (in *interner) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if i, ok := in.index[s]; ok {
		return i
	}
	if in.index == nil {
		in.index = make(map[string]uint32)
		in.names = append(in.names, "")
	}
	i := uint32(len(in.names))
	in.names = append(in.names, s)
	in.index[s] = i
	return i
}

// lookup returns the index of s, or false when s was never interned.
func (in *interner) lookup(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	i, ok := in.index[s]
	return i, ok
}

func (in *interner) name(i uint32) string { return in.names[i] }
