package memstore_test

import (
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/storetest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func pending(at time.Time) *verifier.Verification {
	return &verifier.Verification{
		ID: storetest.NewID(), AppID: "app", KeyID: "k1", Channel: verifier.ChannelSMS, Phone: "+14155550123",
		PhoneKey: storetest.NewID(), Origin: "https://www.example.com",
		CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute), ResendAfter: at.Add(30 * time.Second),
		Sends: 1, MaxAttempts: 5, MaxSends: 5, Lifetime: 10 * time.Minute, Cooldown: 30 * time.Second,
		Stored: verifier.StatusPending,
	}
}

func TestSweepKeepsRecordsForTheRetentionAfterExpiry(t *testing.T) {
	s := memstore.New(memstore.Options{SweepInterval: -1})
	v := pending(t0)
	if err := s.Create(t.Context(), v, nil); err != nil {
		t.Fatal(err)
	}
	s.Sweep(v.ExpiresAt.Add(verifier.Retention - time.Millisecond))
	if _, err := s.Get(t.Context(), v.ID); err != nil {
		t.Fatalf("Get before the retention ended: %v", err)
	}
	s.Sweep(v.ExpiresAt.Add(verifier.Retention))
	if _, err := s.Get(t.Context(), v.ID); verifier.ErrorCode(err) != verifier.CodeNotFound {
		t.Fatalf("Get after the retention ended: %v, want not_found", err)
	}
	if _, err := s.Newest(t.Context(), v.AppID, v.PhoneKey); verifier.ErrorCode(err) != verifier.CodeNotFound {
		t.Fatalf("Newest after the retention ended: %v, want not_found", err)
	}
	if n := s.Len(); n != 0 {
		t.Fatalf("Len %d after the sweep, want 0", n)
	}
}

func TestSweepKeepsANewerVerificationOfThePhone(t *testing.T) {
	s := memstore.New(memstore.Options{SweepInterval: -1})
	old := pending(t0)
	newer := pending(t0.Add(time.Hour))
	newer.PhoneKey = old.PhoneKey
	for _, v := range []*verifier.Verification{old, newer} {
		if err := s.Create(t.Context(), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Sweep(old.ExpiresAt.Add(verifier.Retention))
	got, err := s.Newest(t.Context(), old.AppID, old.PhoneKey)
	if err != nil || got.ID != newer.ID {
		t.Fatalf("Newest after sweeping the older one = %v, %v; want the newer", got, err)
	}
}

func TestSweepDropsCountersWhoseWindowEnded(t *testing.T) {
	s := memstore.New(memstore.Options{SweepInterval: -1})
	limits := []verifier.Limit{{Key: "a", Max: 5, Window: time.Minute}, {Key: "b", Max: 5, Window: time.Hour}}
	if err := s.Create(t.Context(), pending(t0), limits); err != nil {
		t.Fatal(err)
	}
	s.Sweep(t0.Add(time.Minute - time.Millisecond))
	if n := s.Counters(); n != 2 {
		t.Fatalf("%d counters before any window ended, want 2", n)
	}
	s.Sweep(t0.Add(time.Minute))
	if n := s.Counters(); n != 1 {
		t.Fatalf("%d counters after the first window ended, want 1", n)
	}
}

func TestAFullStoreAnswersStoreUnavailable(t *testing.T) {
	s := memstore.New(memstore.Options{MaxEntries: 2, SweepInterval: -1})
	for range 2 {
		if err := s.Create(t.Context(), pending(t0), nil); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Create(t.Context(), pending(t0), nil)
	if code := verifier.ErrorCode(err); code != verifier.CodeStoreUnavailable {
		t.Fatalf("Create in a full store: %v, want store_unavailable", err)
	}
	s.Sweep(t0.Add(10*time.Minute + verifier.Retention))
	if err := s.Create(t.Context(), pending(t0.Add(2*time.Hour)), nil); err != nil {
		t.Fatalf("Create after a sweep made room: %v", err)
	}
}

func TestTheSweeperRunsOnItsClockUntilClose(t *testing.T) {
	s := memstore.New(memstore.Options{
		SweepInterval: time.Millisecond,
		Now:           func() time.Time { return t0.Add(24 * time.Hour) },
	})
	if err := s.Create(t.Context(), pending(t0), nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not remove an expired verification within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestIrregularPhonesAndPhoneKeysRoundTrip(t *testing.T) {
	s := memstore.New(memstore.Options{SweepInterval: -1})
	for _, tc := range []struct{ name, phone, phoneKey string }{
		{"an empty phone and key", "", ""},
		{"a phone with a leading zero after the plus", "+0123", "short"},
		{"a phone longer than any E.164 number", "+12345678901234567890", "a phone key that is not base64"},
		{"a phone without a plus", "4155550123", "AAAAAAAAAAAAAAAAAAAAAB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := pending(t0)
			v.Phone, v.PhoneKey = tc.phone, tc.phoneKey
			if err := s.Create(t.Context(), v, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.Newest(t.Context(), v.AppID, tc.phoneKey)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != v.ID || got.Phone != tc.phone || got.PhoneKey != tc.phoneKey {
				t.Fatalf("read back %s %q %q, want %s %q %q", got.ID, got.Phone, got.PhoneKey, v.ID, tc.phone, tc.phoneKey)
			}
		})
	}
}
