package redisstore

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/storetest"
)

func TestARecordDecodesToTheVerificationItEncodes(t *testing.T) {
	base := storetest.Pending("app", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	cases := []struct {
		name   string
		change func(v *verifier.Verification)
	}{
		{"a pending verification as Service creates it", func(*verifier.Verification) {}},
		{"an approved one with attempts and sends", func(v *verifier.Verification) {
			v.Stored, v.Attempts, v.Sends = verifier.StatusApproved, 4, 3
		}},
		{"a canceled one with an embedded origin", func(v *verifier.Verification) {
			v.Stored, v.EmbeddedOrigin = verifier.StatusCanceled, "https://pay.example"
		}},
		{"one whose delivery error holds NUL bytes and newlines", func(v *verifier.Verification) {
			v.DeliveryError = "provider: \x00 null\x00, new\nline ✓"
		}},
		{"one with times before 1970 and the zero time", func(v *verifier.Verification) {
			v.CreatedAt, v.ExpiresAt, v.ResendAfter = time.Time{}.UTC(), time.UnixMilli(-5).UTC(), time.UnixMilli(0).UTC()
		}},
		{"one with the largest counts the header holds", func(v *verifier.Verification) {
			v.Attempts, v.Sends, v.MaxAttempts, v.MaxSends = maxCount, maxCount, maxCount, maxCount
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := *base
			c.change(&v)
			rec, err := encodeRecord(&v, "nonce.1")
			if err != nil {
				t.Fatalf("encodeRecord: %v", err)
			}
			got, err := decodeRecord(v.ID, rec)
			if err != nil {
				t.Fatalf("decodeRecord(%q): %v", rec, err)
			}
			if !reflect.DeepEqual(got, &v) {
				t.Fatalf("decodeRecord(encodeRecord(v)) =\n%+v\nwant\n%+v", got, &v)
			}
		})
	}
}

func TestEncodeRecordRefusesWhatTheRecordCannotHold(t *testing.T) {
	base := storetest.Pending("app", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	cases := []struct {
		name   string
		change func(v *verifier.Verification)
	}{
		{"a NUL byte in the phone", func(v *verifier.Verification) { v.Phone += "\x00" }},
		{"a NUL byte in the app id", func(v *verifier.Verification) { v.AppID = "a\x00b" }},
		{"attempts beyond ten digits", func(v *verifier.Verification) { v.Attempts = maxCount + 1 }},
		{"negative sends", func(v *verifier.Verification) { v.Sends = -1 }},
		{"an expiry after the year 33000", func(v *verifier.Verification) { v.ExpiresAt = time.UnixMilli(maxTime + 1) }},
		{"an unknown stored status", func(v *verifier.Verification) { v.Stored = verifier.StatusExpired }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := *base
			c.change(&v)
			if rec, err := encodeRecord(&v, "n"); err == nil {
				t.Fatalf("encodeRecord = %q, want an error", rec)
			}
		})
	}
}

func TestDecodeRecordRefusesDamagedRecords(t *testing.T) {
	v := storetest.Pending("app", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	good, err := encodeRecord(v, "n")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"a record shorter than its header":    good[:headerLen-1],
		"a record missing its fixed fields":   good[:headerLen+5],
		"an unknown status letter":            "x" + good[1:],
		"attempts that are not a number":      good[:offAttempts] + "00000000x1" + good[offSends:],
		"a max attempts that is not a number": strings.Replace(good, "\x005\x00", "\x00five\x00", 1),
	}
	for name, rec := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := decodeRecord(v.ID, rec); err == nil {
				t.Fatalf("decodeRecord(%q) = %+v, want an error", rec, got)
			}
		})
	}
}

func TestAppendPaddedFormatsAsLuaStringFormatDoes(t *testing.T) {
	// Lua's string.format('%015d') is C's printf: zero padding after the
	// sign, as Go's fmt does.
	for _, n := range []int64{0, 1, -1, 42, -5, 1764000000000, -62135596800000, maxTime, minTime} {
		var err error
		got := string(appendPadded(nil, n, widthTime, &err))
		if err != nil {
			t.Fatalf("appendPadded(%d): %v", n, err)
		}
		if want := fmt.Sprintf("%0*d", widthTime, n); got != want {
			t.Errorf("appendPadded(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTheScriptsReadTheHeaderAsGoWritesIt(t *testing.T) {
	// Go formats the header at Create; the scripts parse it and write it
	// again on a resend and a check. A verification that went through
	// both reads back as Go would have written it.
	addr, _ := redistest.Start(t)
	s, err := Open("redis://"+addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	v := storetest.Pending("app", now)
	if err := s.Create(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	later := v.ResendAfter.Add(time.Second)
	if _, err := s.Resend(ctx, "app", v.ID, nil, later, nil); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	got, err := s.ReserveCheck(ctx, "app", v.ID, nil, later, nil)
	if err != nil {
		t.Fatalf("ReserveCheck: %v", err)
	}
	want := *v
	want.Sends, want.Attempts = v.Sends+1, v.Attempts+1
	want.ExpiresAt = later.Add(v.Lifetime)
	want.ResendAfter = later.Add(2 * v.Cooldown)
	for _, r := range []*verifier.Verification{got, mustGet(t, s, v.ID)} {
		if !reflect.DeepEqual(r, &want) {
			t.Fatalf("after a resend and a check:\n%+v\nwant\n%+v", r, &want)
		}
	}
	rec, err := s.base.Get(ctx, s.recordKey(v.ID)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if wantRec, _ := encodeRecord(&want, nonceIn(t, rec)); rec != wantRec {
		t.Fatalf("stored record\n%q\nwant\n%q", rec, wantRec)
	}
}

// recordProbe reads every record field the scripts read through
// record.lua, and answers the record with its four numbers rewritten to
// ARGV[2..5] through record.lua.
const recordProbe = `
local v = ARGV[1]
local app, phone_key, max_attempts, kid = first_fixed(v)
local _, error_from = fixed(v, NONCE)
v = put(v, ATTEMPTS_FROM, ATTEMPTS_TO, count(tonumber(ARGV[2])))
v = put(v, SENDS_FROM, SENDS_TO, count(tonumber(ARGV[3])))
v = put(v, EXPIRES_FROM, EXPIRES_TO, time(tonumber(ARGV[4])))
v = put(v, RESEND_FROM, RESEND_TO, time(tonumber(ARGV[5])))
return {
  stored(ARGV[1]),
  header(ARGV[1], ATTEMPTS_FROM, ATTEMPTS_TO), header(ARGV[1], SENDS_FROM, SENDS_TO),
  header(ARGV[1], EXPIRES_FROM, EXPIRES_TO), header(ARGV[1], RESEND_FROM, RESEND_TO),
  app, phone_key, max_attempts, kid,
  (fixed(ARGV[1], MAX_SENDS)), (fixed(ARGV[1], LIFETIME)), (fixed(ARGV[1], COOLDOWN)), (fixed(ARGV[1], NONCE)),
  string.sub(ARGV[1], error_from),
  v,
}
`

func TestTheLuaReadsTheRecordWhereGoWritesIt(t *testing.T) {
	// record.lua names the record's positions with literal numbers; here
	// it reads a record Go encoded, field by field, and writes its
	// numbers back for Go to decode, so the two cannot drift apart.
	addr, _ := redistest.Start(t)
	s, err := Open("redis://"+addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	v := storetest.Pending("app", at)
	v.Stored, v.Attempts, v.Sends, v.MaxAttempts, v.MaxSends = verifier.StatusCanceled, 3, 2, 9, 7
	v.KeyID, v.DeliveryError = "k7", "provider down"
	rec, err := encodeRecord(v, "nonce.1")
	if err != nil {
		t.Fatal(err)
	}
	moved := time.UnixMilli(-5).UTC()
	reply, err := script(recordLua, recordProbe).Run(t.Context(), s.base, nil,
		rec, 11, 12, ms(at.Add(time.Hour)), ms(moved)).Slice()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	want := []any{
		"canceled",
		int64(3), int64(2), ms(v.ExpiresAt), ms(v.ResendAfter),
		"app", v.PhoneKey, "9", "k7",
		"7", "600000", "30000", "nonce.1",
		"provider down",
	}
	if len(reply) != len(want)+1 {
		t.Fatalf("probe answered %d values, want %d: %v", len(reply), len(want)+1, reply)
	}
	for i, w := range want {
		if reply[i] != w {
			t.Errorf("Lua read value %d as %#v, Go wrote %#v", i, reply[i], w)
		}
	}
	got, err := decodeRecord(v.ID, reply[len(want)].(string))
	if err != nil {
		t.Fatalf("decoding the record Lua wrote: %v", err)
	}
	wantV := *v
	wantV.Attempts, wantV.Sends, wantV.ExpiresAt, wantV.ResendAfter = 11, 12, at.Add(time.Hour), moved
	if !reflect.DeepEqual(got, &wantV) {
		t.Fatalf("record Lua wrote decodes to\n%+v\nwant\n%+v", got, &wantV)
	}
}

func TestARetriedCreateRecognizesItsOwnRecord(t *testing.T) {
	// A Create whose reply was lost runs again with the same nonce: it
	// succeeds without counting its limits twice; another Create with the
	// id is refused.
	addr, _ := redistest.Start(t)
	s, err := Open("redis://"+addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	v := storetest.Pending("app", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	rec, err := encodeRecord(v, "first.1")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{s.recordKey(v.ID), s.newestKey(v.AppID, v.PhoneKey), s.limitKey("app-sends")}
	run := func(nonce, rec string) []any {
		t.Helper()
		args := s.appendLimitArgs([]any{ms(v.CreatedAt), 60000, 60000, v.ID, nonce, 1},
			[]verifier.Limit{{Key: "app-sends", Max: 10, Window: time.Minute}}, true)
		reply, err := s.create.Run(ctx, s.rdb, keys, append(args, rec)...).Slice()
		if err != nil {
			t.Fatalf("create script: %v", err)
		}
		return reply
	}
	for i := range 2 {
		if reply := run("first.1", rec); !reflect.DeepEqual(reply, []any{"ok"}) {
			t.Fatalf("create #%d with the same nonce = %v, want [ok]", i+1, reply)
		}
	}
	if n, _ := s.base.HGet(ctx, s.limitKey("app-sends"), "n").Int(); n != 1 {
		t.Fatalf("limit counted %d times, want once", n)
	}
	other, _ := encodeRecord(v, "second.1")
	if reply := run("second.1", other); !reflect.DeepEqual(reply, []any{"exists"}) {
		t.Fatalf("create with another nonce = %v, want [exists]", reply)
	}
}

func mustGet(t *testing.T, s *Store, id string) *verifier.Verification {
	t.Helper()
	v, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return v
}

// nonceIn is the nonce of a stored record: its last fixed field.
func nonceIn(t *testing.T, rec string) string {
	t.Helper()
	f := strings.Split(rec[headerLen:], "\x00")
	if len(f) <= numFixed {
		t.Fatalf("record %q has too few fields", rec)
	}
	return f[numFixed-1]
}
