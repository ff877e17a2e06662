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

// record is a verification kept compactly in 64 bytes. Times are Unix
// milliseconds (expiry and resend time as offsets from creation), the
// strings that repeat (app, key id, origins) one index into the shard's
// interner, and the phone and phone key are packed when they have the
// usual form; what does not fit (an email address, among others) waits in
// the shard's ext map. The channel takes two bits of flags.
// Packed, because a plain copy of each verifier.Verification would break the README's 300 B per pending verification (go test -run '^$' -bench PendingMemory -benchtime 1x ./verifier/memstore/).
type record struct {
	phoneKey    [16]byte
	phone       uint64 // the digits of an E.164 number
	created     int64
	expires     int32  // ms after created
	resendAfter int32  // ms after created
	lifetime    uint32 // ms
	cooldown    uint32 // ms
	profile     uint32 // app, key id, origin, embedded origin
	sends       uint16
	attempts    uint16
	maxAttempts uint16
	maxSends    uint16
	stored      uint8
	flags       uint8 // longPhone, longPhoneKey, hasExt, the channel
}

// recordExt holds what does not fit a record: rare or irregular values.
type recordExt struct {
	phone         string // the destination when not packed: a long phone or an email address
	phoneKey      string // when not packed
	locale        string // of a verification that has one
	deliveryError string
}

// profile is the part of a verification that many share.
type profile struct {
	app, keyID, origin, embedded string
}

// Record flags.
const (
	longPhone    uint8 = 1 << iota // the destination is in ext
	longPhoneKey                   // the phone key is in ext
	hasExt                         // the shard's ext map holds an entry
)

// The channel, in the two bits of flags above the others: sms is zero, so
// a record's flags read as before for sms.
const (
	channelShift       = 3
	channelMask  uint8 = 3 << channelShift
	channelVoice uint8 = 1 << channelShift
	channelEmail uint8 = 2 << channelShift
)

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

// offset returns t as milliseconds after created: within 24 days.
func offset(created int64, t time.Time) (int32, error) {
	d := unixMilli(t) - created
	if d < math.MinInt32 || d > math.MaxInt32 {
		return 0, fmt.Errorf("time %v out of range", t)
	}
	return int32(d), nil
}

func small(name string, n int) (uint16, error) {
	if n < 0 || n > math.MaxUint16 {
		return 0, fmt.Errorf("%s %d out of range", name, n)
	}
	return uint16(n), nil
}

// encode packs v into a record and the ext it needs, if any, interning
// with in. The caller holds the shard's lock.
func encode(v *verifier.Verification, in *interner) (*record, *recordExt, error) {
	r := &record{created: unixMilli(v.CreatedAt)}
	var err error
	if r.expires, err = offset(r.created, v.ExpiresAt); err != nil {
		return nil, nil, err
	}
	if r.resendAfter, err = offset(r.created, v.ResendAfter); err != nil {
		return nil, nil, err
	}
	if r.lifetime, err = msDuration(v.Lifetime); err != nil {
		return nil, nil, err
	}
	if r.cooldown, err = msDuration(v.Cooldown); err != nil {
		return nil, nil, err
	}
	if r.sends, err = small("sends", v.Sends); err != nil {
		return nil, nil, err
	}
	if r.attempts, err = small("attempts", v.Attempts); err != nil {
		return nil, nil, err
	}
	if r.maxAttempts, err = small("max attempts", v.MaxAttempts); err != nil {
		return nil, nil, err
	}
	if r.maxSends, err = small("max sends", v.MaxSends); err != nil {
		return nil, nil, err
	}
	switch v.Stored {
	case verifier.StatusPending:
		r.stored = storedPending
	case verifier.StatusApproved:
		r.stored = storedApproved
	case verifier.StatusCanceled:
		r.stored = storedCanceled
	default:
		return nil, nil, fmt.Errorf("stored status %q", v.Stored)
	}
	switch v.Channel {
	case "", verifier.ChannelSMS: // the zero Channel is sms
	case verifier.ChannelVoice:
		r.flags |= channelVoice
	case verifier.ChannelEmail:
		r.flags |= channelEmail
	default:
		return nil, nil, fmt.Errorf("channel %q", v.Channel)
	}
	var ext recordExt
	if v.Channel == verifier.ChannelEmail {
		if v.Phone != "" {
			return nil, nil, fmt.Errorf("an email verification with a phone")
		}
		r.flags |= longPhone
		ext.phone = v.Email
	} else if r.phone = packPhone(v.Phone); r.phone == 0 {
		if v.Email != "" {
			return nil, nil, fmt.Errorf("a %s verification with an email address", v.Channel)
		}
		r.flags |= longPhone
		ext.phone = v.Phone
	}
	if pk, ok := parseID(v.PhoneKey); ok {
		r.phoneKey = pk
	} else {
		r.flags |= longPhoneKey
		ext.phoneKey = v.PhoneKey
	}
	ext.locale = v.Locale
	ext.deliveryError = v.DeliveryError
	r.profile = in.intern(profile{v.AppID, v.KeyID, v.Origin, v.EmbeddedOrigin})
	if ext == (recordExt{}) {
		return r, nil, nil
	}
	r.flags |= hasExt
	return r, &ext, nil
}

// decode returns the verification r holds; ext is its ext entry or nil.
// The caller holds the shard's lock.
func (r *record) decode(id string, ext *recordExt, in *interner) *verifier.Verification {
	p := in.profile(r.profile)
	v := &verifier.Verification{
		ID:             id,
		AppID:          p.app,
		KeyID:          p.keyID,
		Channel:        r.channel(),
		PhoneKey:       r.phoneKeyString(ext),
		Origin:         p.origin,
		EmbeddedOrigin: p.embedded,
		CreatedAt:      fromMilli(r.created),
		ExpiresAt:      fromMilli(r.expiresAt()),
		ResendAfter:    fromMilli(r.created + int64(r.resendAfter)),
		Sends:          int(r.sends),
		Attempts:       int(r.attempts),
		MaxAttempts:    int(r.maxAttempts),
		MaxSends:       int(r.maxSends),
		Lifetime:       time.Duration(r.lifetime) * time.Millisecond,
		Cooldown:       time.Duration(r.cooldown) * time.Millisecond,
		Stored:         r.storedStatus(),
	}
	if v.Channel == verifier.ChannelEmail {
		v.Email = r.phoneString(ext)
	} else {
		v.Phone = r.phoneString(ext)
	}
	if ext != nil {
		v.Locale = ext.locale
		v.DeliveryError = ext.deliveryError
	}
	return v
}

func (r *record) channel() verifier.Channel {
	switch r.flags & channelMask {
	case channelVoice:
		return verifier.ChannelVoice
	case channelEmail:
		return verifier.ChannelEmail
	}
	return verifier.ChannelSMS
}

func (r *record) expiresAt() int64 { return r.created + int64(r.expires) }

func (r *record) phoneString(ext *recordExt) string {
	if r.flags&longPhone != 0 {
		if ext == nil {
			return ""
		}
		return ext.phone
	}
	var b [24]byte
	b[0] = '+'
	return string(strconv.AppendUint(b[:1], r.phone, 10))
}

func (r *record) phoneKeyString(ext *recordExt) string {
	if r.flags&longPhoneKey != 0 {
		if ext == nil {
			return ""
		}
		return ext.phoneKey
	}
	return formatID(r.phoneKey)
}

// appendPhoneKey appends r's phone key to b, as phoneKeyString returns it.
func (r *record) appendPhoneKey(b []byte, ext *recordExt) []byte {
	if r.flags&longPhoneKey != 0 {
		if ext == nil {
			return b
		}
		return append(b, ext.phoneKey...)
	}
	return ids.AppendEncode(b, r.phoneKey[:])
}

// samePhoneKey reports whether r's phone key is phoneKey.
func (r *record) samePhoneKey(phoneKey string, ext *recordExt) bool {
	if r.flags&longPhoneKey != 0 {
		if ext == nil {
			return phoneKey == ""
		}
		return ext.phoneKey == phoneKey
	}
	pk, ok := parseID(phoneKey)
	return ok && pk == r.phoneKey
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
	if now >= r.expiresAt() {
		return verifier.StatusExpired
	}
	return verifier.StatusPending
}

// resent counts a send at now (Unix ms): a new expiry and resend time,
// as offsets that must fit.
func (r *record) resent(now int64) error {
	d := int64(r.cooldown)
	const day = int64(24 * time.Hour / time.Millisecond)
	for i := 1; i < int(r.sends)+1 && d < day; i++ {
		d *= 2
	}
	exp, after := now+int64(r.lifetime)-r.created, now+d-r.created
	if exp < math.MinInt32 || exp > math.MaxInt32 || after < math.MinInt32 || after > math.MaxInt32 {
		return fmt.Errorf("resend at %d ms: times out of range", now)
	}
	r.sends++
	r.expires, r.resendAfter = int32(exp), int32(after)
	return nil
}

// interner maps the few profiles that repeat across records to small
// indices. It never shrinks: profiles come from configuration (apps, keys,
// allowed origins), not from requests.
type interner struct {
	profiles []profile
	index    map[profile]uint32
}

func (in *interner) intern(p profile) uint32 {
	if i, ok := in.index[p]; ok {
		return i
	}
	if in.index == nil {
		in.index = make(map[profile]uint32)
	}
	i := uint32(len(in.profiles))
	in.profiles = append(in.profiles, p)
	in.index[p] = i
	return i
}

func (in *interner) profile(i uint32) profile { return in.profiles[i] }
