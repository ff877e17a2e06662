package redisstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/storetest"
)

// hashReserveScript is ReserveCheck on a record kept as a plain Redis
// hash (testdata/reserve_hash.lua).
func hashReserveScript(t testing.TB) *redis.Script {
	body, err := os.ReadFile("testdata/reserve_hash.lua")
	if err != nil {
		t.Fatal(err)
	}
	return script(limitsLua, string(body))
}

// hashCreate writes v as a hash record (setup only: not atomic, no limits).
func hashCreate(ctx context.Context, s *Store, v *verifier.Verification) error {
	return s.base.HSet(ctx, s.recordKey(v.ID),
		"st", "p", "app", v.AppID, "pk", v.PhoneKey, "ma", v.MaxAttempts, "kid", v.KeyID,
		"ch", string(v.Channel), "ph", v.Phone, "or", v.Origin, "eo", v.EmbeddedOrigin, "ca", ms(v.CreatedAt),
		"ms", v.MaxSends, "lt", v.Lifetime.Milliseconds(), "cd", v.Cooldown.Milliseconds(),
		"at", v.Attempts, "sn", v.Sends, "x", ms(v.ExpiresAt), "ra", ms(v.ResendAfter),
		"de", v.DeliveryError, "nonce", "n").Err()
}

// hashReserveCheck is ReserveCheck on a hash record.
func hashReserveCheck(ctx context.Context, s *Store, sc *redis.Script, appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	keys := s.appendLimitKeys(append(make([]string, 0, 1+len(limits)), s.recordKey(id)), limits, false, "")
	args := append(make([]any, 0, 4+4*len(limits)), ms(now), appID, s.keyList(keyIDs), len(limits))
	args = s.appendLimitArgs(args, limits, false)
	reply, err := s.run(ctx, sc, keys, args...)
	if err != nil {
		return nil, s.fail("reserve check", err)
	}
	if len(reply) != 2 {
		return decode(reply, 0, id, limits)
	}
	fields, _ := reply[1].([]any)
	return decodeHash(id, fields)
}

// decodeHash builds a verification from HGETALL's flat field, value list.
func decodeHash(id string, fields []any) (*verifier.Verification, error) {
	v := &verifier.Verification{ID: id}
	var bad error
	num := func(x any) int64 {
		s, _ := x.(string)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && bad == nil {
			bad = err
		}
		return n
	}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		val, _ := fields[i+1].(string)
		switch k {
		case "st":
			switch val {
			case "p":
				v.Stored = verifier.StatusPending
			case "a":
				v.Stored = verifier.StatusApproved
			case "c":
				v.Stored = verifier.StatusCanceled
			}
		case "app":
			v.AppID = val
		case "pk":
			v.PhoneKey = val
		case "ma":
			v.MaxAttempts = int(num(val))
		case "kid":
			v.KeyID = val
		case "ch":
			v.Channel = verifier.Channel(val)
		case "ph":
			v.Phone = val
		case "or":
			v.Origin = val
		case "eo":
			v.EmbeddedOrigin = val
		case "ca":
			v.CreatedAt = time.UnixMilli(num(val)).UTC()
		case "ms":
			v.MaxSends = int(num(val))
		case "lt":
			v.Lifetime = time.Duration(num(val)) * time.Millisecond
		case "cd":
			v.Cooldown = time.Duration(num(val)) * time.Millisecond
		case "at":
			v.Attempts = int(num(val))
		case "sn":
			v.Sends = int(num(val))
		case "x":
			v.ExpiresAt = time.UnixMilli(num(val)).UTC()
		case "ra":
			v.ResendAfter = time.UnixMilli(num(val)).UTC()
		case "de":
			v.DeliveryError = val
		}
	}
	if bad != nil {
		return nil, bad
	}
	return v, nil
}

func TestTheHashLayoutOfTheBenchmarkReadsWhatTheStringLayoutReads(t *testing.T) {
	srv := redistest.New(t, redistest.Options{})
	s, err := Open("redis://"+srv.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	str, hash := storetest.Pending("app", at), storetest.Pending("app", at)
	if err := s.Create(ctx, str, nil); err != nil {
		t.Fatal(err)
	}
	if err := hashCreate(ctx, s, hash); err != nil {
		t.Fatal(err)
	}
	lims := []verifier.Limit{{Key: "fail:", PerPhone: true, Max: 10, Window: time.Hour}}
	sc := hashReserveScript(t)
	a, err := s.ReserveCheck(ctx, "app", str.ID, []string{"k1"}, at, lims)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hashReserveCheck(ctx, s, sc, "app", hash.ID, []string{"k1"}, at, lims)
	if err != nil {
		t.Fatal(err)
	}
	b.ID, b.PhoneKey = a.ID, a.PhoneKey
	if fmt.Sprint(*a) != fmt.Sprint(*b) {
		t.Fatalf("hash layout read\n%+v\nstring layout\n%+v", *b, *a)
	}
}

// BenchmarkRecordLayout compares the check path (ReserveCheck with the
// per-phone failure budget) on the record as one string against the same
// script on a plain hash, serially and from many goroutines, with the CPU
// both processes spend per check.
func BenchmarkRecordLayout(b *testing.B) {
	srv := redistest.New(b, redistest.Options{})
	s, err := Open("redis://"+srv.Addr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := b.Context()
	at := time.Now().Truncate(time.Millisecond).UTC()
	const n = 1024
	type layout struct {
		name    string
		create  func(*verifier.Verification) error
		reserve func(id string, lims []verifier.Limit) (*verifier.Verification, error)
	}
	keyIDs := []string{"k1"}
	sc := hashReserveScript(b)
	layouts := []layout{
		{"string", func(v *verifier.Verification) error { return s.Create(ctx, v, nil) },
			func(id string, lims []verifier.Limit) (*verifier.Verification, error) {
				return s.ReserveCheck(ctx, "app", id, keyIDs, at, lims)
			}},
		{"hash", func(v *verifier.Verification) error { return hashCreate(ctx, s, v) },
			func(id string, lims []verifier.Limit) (*verifier.Verification, error) {
				return hashReserveCheck(ctx, s, sc, "app", id, keyIDs, at, lims)
			}},
	}
	for _, mode := range []string{"serial", "parallel"} {
		for _, l := range layouts {
			b.Run(mode+"/"+l.name, func(b *testing.B) {
				ids := make([]string, n)
				for i := range ids {
					v := storetest.Pending("app", at)
					v.MaxAttempts = 1 << 30
					if err := l.create(v); err != nil {
						b.Fatal(err)
					}
					ids[i] = v.ID
				}
				lims := []verifier.Limit{{Key: "bench:fail:", PerPhone: true, Max: 1 << 30, Window: 24 * time.Hour}}
				var next atomic.Uint64
				b.ReportAllocs()
				b.ResetTimer()
				m := srv.MeasureCPU()
				if mode == "serial" {
					for b.Loop() {
						if _, err := l.reserve(ids[next.Add(1)%n], lims); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism(16)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := l.reserve(ids[next.Add(1)%n], lims); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				m.Report(b)
			})
		}
	}
}
