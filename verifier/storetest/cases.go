package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

// cases is the suite: one entry per contract clause of verifier.Store.
var cases = []testCase{
	{"another app's verification is not found by resend, reserve and cancel, which count nothing", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		reserve, send := limit(1, time.Hour), limit(1, time.Hour)
		phone := perPhoneLimit(1, time.Hour)
		for _, app := range []string{"another-app", "", v.AppID + "x"} {
			_, err := x.s.ReserveCheck(x.ctx, app, v.ID, nil, x.t0, []verifier.Limit{reserve, phone})
			wantCode(t, err, verifier.CodeNotFound)
			_, err = x.s.Resend(x.ctx, app, v.ID, nil, x.at(time.Minute), []verifier.Limit{send, phone})
			wantCode(t, err, verifier.CodeNotFound)
			_, err = x.s.Cancel(x.ctx, app, v.ID, x.t0)
			wantCode(t, err, verifier.CodeNotFound)
		}
		equal(t, x.get(v.ID), v)
		// Every limit still has its one event of room.
		if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{reserve, phone}); err != nil {
			t.Fatalf("reserve by the verification's app: %v", err)
		}
		if _, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(time.Minute), []verifier.Limit{send}); err != nil {
			t.Fatalf("resend by the verification's app: %v", err)
		}
		if _, err := x.s.Cancel(x.ctx, v.AppID, v.ID, x.at(time.Minute)); err != nil {
			t.Fatalf("cancel by the verification's app: %v", err)
		}
	}},
	{"a per-phone limit counts under its key and the phone key, shared by the phone's verifications", func(t *testing.T, x *suite) {
		p := perPhoneLimit(3, time.Hour)
		v1, v2, other := x.pending(), x.pending(), x.pending()
		v2.PhoneKey = v1.PhoneKey
		for _, v := range []*verifier.Verification{v1, v2, other} {
			x.create(v)
		}
		for _, v := range []*verifier.Verification{v1, v2, v1} {
			if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{p}); err != nil {
				t.Fatalf("reserve on %s: %v", v.ID, err)
			}
		}
		_, err := x.s.ReserveCheck(x.ctx, v2.AppID, v2.ID, nil, x.at(time.Minute), []verifier.Limit{p})
		wantRetryAfter(t, err, time.Hour-time.Minute)
		if got := x.get(v2.ID).Attempts; got != 1 {
			t.Fatalf("Attempts %d after a refused reservation, want 1", got)
		}
		// Another phone has a counter of its own.
		if _, err := x.s.ReserveCheck(x.ctx, other.AppID, other.ID, nil, x.t0, []verifier.Limit{p}); err != nil {
			t.Fatalf("reserve for another phone: %v", err)
		}
		// The counter is the one a plain limit named Key+PhoneKey counts.
		plain := verifier.Limit{Key: p.Key + v1.PhoneKey, Max: 4, Window: time.Hour}
		if _, err := x.s.ReserveCheck(x.ctx, other.AppID, other.ID, nil, x.t0, []verifier.Limit{plain}); err != nil {
			t.Fatalf("fourth event through the plain limit: %v", err)
		}
		_, err = x.s.ReserveCheck(x.ctx, other.AppID, other.ID, nil, x.t0, []verifier.Limit{plain})
		wantCode(t, err, verifier.CodeRateLimited)
		// Approve gives one event back to the phone's counter.
		if _, err := x.s.Approve(x.ctx, v1.ID, 1, x.t0, []verifier.Limit{p}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.s.ReserveCheck(x.ctx, v2.AppID, v2.ID, nil, x.t0, []verifier.Limit{plain}); err != nil {
			t.Fatalf("reserve after a refund to the per-phone counter: %v", err)
		}
	}},
	{"create and resend count a per-phone limit under the verification's phone key", func(t *testing.T, x *suite) {
		p := perPhoneLimit(2, time.Hour)
		v1 := x.pending()
		x.create(v1, p)
		v2 := x.pending()
		v2.PhoneKey = v1.PhoneKey
		x.create(v2, p)
		v3 := x.pending()
		v3.PhoneKey = v1.PhoneKey
		err := x.s.Create(x.ctx, v3, []verifier.Limit{p})
		wantCode(t, err, verifier.CodeRateLimited)
		x.create(x.pending(), p) // another phone
		_, err = x.s.Resend(x.ctx, v1.AppID, v1.ID, nil, x.at(time.Minute), []verifier.Limit{p})
		wantCode(t, err, verifier.CodeRateLimited)
		if got := x.get(v1.ID).Sends; got != 1 {
			t.Fatalf("Sends %d after a refused resend, want 1", got)
		}
		w := x.pending()
		x.create(w)
		q := perPhoneLimit(1, time.Hour)
		if _, err := x.s.Resend(x.ctx, w.AppID, w.ID, nil, x.at(time.Minute), []verifier.Limit{q}); err != nil {
			t.Fatalf("resend: %v", err)
		}
		err = x.s.Create(x.ctx, x.pending(), []verifier.Limit{{Key: q.Key + w.PhoneKey, Max: 1, Window: time.Hour}})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"a created verification reads back as it was stored", func(t *testing.T, x *suite) {
		v := x.pending()
		v.EmbeddedOrigin = "https://pay.example.net"
		v.Phone = "+442071838750"
		x.create(v)
		equal(t, x.get(v.ID), v)
	}},
	{"a verification reads back in UTC at millisecond precision", func(t *testing.T, x *suite) {
		v := x.pending()
		v.CreatedAt = x.t0.Add(123 * time.Millisecond).In(time.FixedZone("X", 3600))
		v.ExpiresAt = v.CreatedAt.Add(v.Lifetime)
		v.ResendAfter = v.CreatedAt.Add(v.Cooldown)
		v.Lifetime = 90*time.Second + 250*time.Millisecond
		x.create(v)
		got := x.get(v.ID)
		equal(t, got, v)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
		}
	}},
	{"an unknown or malformed id is not found", func(t *testing.T, x *suite) {
		for _, id := range []string{NewID(), "", "nope", "../../etc/passwd", NewID() + "x"} {
			_, err := x.s.Get(x.ctx, id)
			wantCode(t, err, verifier.CodeNotFound)
		}
	}},
	{"every method answers not found for an unknown id", func(t *testing.T, x *suite) {
		id := NewID()
		_, err := x.s.Resend(x.ctx, "app", id, nil, x.t0, nil)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.ReserveCheck(x.ctx, "app", id, nil, x.t0, nil)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.Approve(x.ctx, id, 1, x.t0, nil)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.Cancel(x.ctx, "app", id, x.t0)
		wantCode(t, err, verifier.CodeNotFound)
		err = x.s.DeliveryFailed(x.ctx, id, 1, "boom", x.t0, nil)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.Newest(x.ctx, "app", NewID())
		wantCode(t, err, verifier.CodeNotFound)
	}},
	{"creating an existing id fails and changes nothing", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		w := *v
		w.Phone = "+33612345678"
		w.Sends = 3
		if err := x.s.Create(x.ctx, &w, nil); err == nil {
			t.Fatal("second Create of one id succeeded")
		}
		equal(t, x.get(v.ID), v)
	}},
	{"a returned verification is the caller's copy", func(t *testing.T, x *suite) {
		v := x.pending()
		want := *v
		x.create(v)
		v.Sends = 99
		got := x.get(v.ID)
		got.Attempts = 42
		got.Stored = verifier.StatusApproved
		equal(t, x.get(v.ID), &want)
	}},
	{"newest is the last verification created for the app and phone key", func(t *testing.T, x *suite) {
		v1 := x.pending()
		x.create(v1)
		v2 := x.pendingAt(time.Second)
		v2.AppID, v2.PhoneKey = v1.AppID, v1.PhoneKey
		x.create(v2)
		other := x.pending()
		other.PhoneKey = v1.PhoneKey
		x.create(other)
		got, err := x.s.Newest(x.ctx, v1.AppID, v1.PhoneKey)
		if err != nil {
			t.Fatalf("Newest: %v", err)
		}
		equal(t, got, v2)
		_, err = x.s.Newest(x.ctx, v1.AppID, NewID())
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.Newest(x.ctx, "another-app", v1.PhoneKey)
		wantCode(t, err, verifier.CodeNotFound)
	}},
	{"newest returns a verification that is no longer pending", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		if _, err := x.s.Cancel(x.ctx, v.AppID, v.ID, x.t0); err != nil {
			t.Fatal(err)
		}
		got, err := x.s.Newest(x.ctx, v.AppID, v.PhoneKey)
		if err != nil {
			t.Fatalf("Newest: %v", err)
		}
		if got.ID != v.ID || got.Stored != verifier.StatusCanceled {
			t.Fatalf("Newest = %s %s, want %s canceled", got.ID, got.Stored, v.ID)
		}
	}},
	{"a full limit refuses create with the window's remainder and stores nothing", func(t *testing.T, x *suite) {
		l := limit(2, 15*time.Minute)
		first := x.pending()
		x.create(first, l)
		second := x.pendingAt(30 * time.Second)
		second.AppID, second.PhoneKey = first.AppID, first.PhoneKey
		x.create(second, l)
		third := x.pendingAt(time.Minute)
		third.AppID, third.PhoneKey = first.AppID, first.PhoneKey
		err := x.s.Create(x.ctx, third, []verifier.Limit{l})
		wantRetryAfter(t, err, 14*time.Minute)
		_, err = x.s.Get(x.ctx, third.ID)
		wantCode(t, err, verifier.CodeNotFound)
		newest, err := x.s.Newest(x.ctx, first.AppID, first.PhoneKey)
		if err != nil || newest.ID != second.ID {
			t.Fatalf("Newest after a refused create = %v, %v; want the second verification", newest, err)
		}
	}},
	{"a refused create counts nothing against the other limits", func(t *testing.T, x *suite) {
		a, b := limit(1, time.Hour), limit(2, time.Hour)
		x.create(x.pending(), a, b)
		err := x.s.Create(x.ctx, x.pending(), []verifier.Limit{b, a})
		wantCode(t, err, verifier.CodeRateLimited)
		x.create(x.pending(), b)
		err = x.s.Create(x.ctx, x.pending(), []verifier.Limit{b})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"a limit counts again once its window has ended", func(t *testing.T, x *suite) {
		l := limit(1, time.Minute)
		x.create(x.pending(), l)
		err := x.s.Create(x.ctx, x.pendingAt(59*time.Second), []verifier.Limit{l})
		wantRetryAfter(t, err, time.Second)
		x.create(x.pendingAt(time.Minute), l)
		w := x.pendingAt(time.Minute + time.Second)
		err = x.s.Create(x.ctx, w, []verifier.Limit{l})
		wantRetryAfter(t, err, 59*time.Second)
	}},
	{"parallel creates count a limit exactly", func(t *testing.T, x *suite) {
		l := limit(10, time.Hour)
		ok, codes := parallel(50, func() error {
			return x.s.Create(x.ctx, x.pending(), []verifier.Limit{l})
		})
		if ok != 10 || codes[verifier.CodeRateLimited] != 40 {
			t.Fatalf("%d creates succeeded, other codes %v; want 10 and 40 rate_limited", ok, codes)
		}
	}},
	{"resend waits for a cooldown that doubles with each send", func(t *testing.T, x *suite) {
		v := x.pending()
		v.MaxSends = 3
		x.create(v)
		_, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(10*time.Second), nil)
		wantRetryAfter(t, err, 20*time.Second)
		got, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(30*time.Second), nil)
		if err != nil {
			t.Fatalf("first resend: %v", err)
		}
		want := *v
		want.Sends = 2
		want.ExpiresAt = x.at(30*time.Second + v.Lifetime)
		want.ResendAfter = x.at(90 * time.Second)
		equal(t, got, &want)
		equal(t, x.get(v.ID), &want)
		_, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(60*time.Second), nil)
		wantRetryAfter(t, err, 30*time.Second)
		got, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(90*time.Second), nil)
		if err != nil {
			t.Fatalf("second resend: %v", err)
		}
		if got.Sends != 3 || !got.ResendAfter.Equal(x.at(210*time.Second)) {
			t.Fatalf("after the second resend Sends %d, ResendAfter %v; want 3, t0+210s", got.Sends, got.ResendAfter.Sub(x.t0))
		}
		_, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(210*time.Second), nil)
		wantCode(t, err, verifier.CodeRateLimited)
		if got := x.get(v.ID); got.Sends != 3 {
			t.Fatalf("Sends %d after a refused resend, want 3", got.Sends)
		}
	}},
	{"resend with a full limit counts nothing", func(t *testing.T, x *suite) {
		l := limit(1, time.Hour)
		v := x.pending()
		x.create(v)
		if _, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(30*time.Second), []verifier.Limit{l}); err != nil {
			t.Fatal(err)
		}
		_, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(90*time.Second), []verifier.Limit{l})
		wantRetryAfter(t, err, time.Hour-time.Minute)
		if got := x.get(v.ID); got.Sends != 2 || !got.ExpiresAt.Equal(x.at(30*time.Second+v.Lifetime)) {
			t.Fatalf("after a refused resend Sends %d ExpiresAt t0+%v, want 2, t0+%v", got.Sends, got.ExpiresAt.Sub(x.t0), 30*time.Second+v.Lifetime)
		}
	}},
	{"resend of a verification that is not pending says why", func(t *testing.T, x *suite) {
		canceled := x.pending()
		x.create(canceled)
		if _, err := x.s.Cancel(x.ctx, canceled.AppID, canceled.ID, x.t0); err != nil {
			t.Fatal(err)
		}
		_, err := x.s.Resend(x.ctx, canceled.AppID, canceled.ID, nil, x.at(time.Minute), nil)
		wantNotPending(t, err, verifier.StatusCanceled)

		expired := x.pending()
		x.create(expired)
		_, err = x.s.Resend(x.ctx, expired.AppID, expired.ID, nil, expired.ExpiresAt, nil)
		wantNotPending(t, err, verifier.StatusExpired)

		exhausted := x.pending()
		exhausted.MaxAttempts = 1
		x.create(exhausted)
		if _, err := x.s.ReserveCheck(x.ctx, exhausted.AppID, exhausted.ID, nil, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		_, err = x.s.Resend(x.ctx, exhausted.AppID, exhausted.ID, nil, x.at(time.Minute), nil)
		wantNotPending(t, err, verifier.StatusMaxAttempts)

		approved := x.pending()
		x.create(approved)
		if _, err := x.s.ReserveCheck(x.ctx, approved.AppID, approved.ID, nil, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := x.s.Approve(x.ctx, approved.ID, 1, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		_, err = x.s.Resend(x.ctx, approved.AppID, approved.ID, nil, x.at(time.Minute), nil)
		wantNotPending(t, err, verifier.StatusApproved)
	}},
	{"a failed delivery is recorded for its send and cleared by a resend", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 2, "from the future", x.t0, nil); err != nil {
			t.Fatalf("DeliveryFailed for another send: %v", err)
		}
		if got := x.get(v.ID).DeliveryError; got != "" {
			t.Fatalf("DeliveryError %q after DeliveryFailed for another send", got)
		}
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "provider said no", x.t0, nil); err != nil {
			t.Fatal(err)
		}
		if got := x.get(v.ID).DeliveryError; got != "provider said no" {
			t.Fatalf("DeliveryError %q after DeliveryFailed", got)
		}
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "a retried call", x.t0, nil); err != nil {
			t.Fatal(err)
		}
		if got := x.get(v.ID).DeliveryError; got != "provider said no" {
			t.Fatalf("DeliveryError %q after a second DeliveryFailed for the send, want the first reason", got)
		}
		got, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(time.Minute), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.DeliveryError != "" || x.get(v.ID).DeliveryError != "" {
			t.Fatalf("DeliveryError %q after a resend, want none", got.DeliveryError)
		}
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "stale", x.at(time.Minute), nil); err != nil {
			t.Fatalf("DeliveryFailed for a stale send: %v", err)
		}
		if got := x.get(v.ID); got.DeliveryError != "" || !got.ResendAfter.Equal(x.at(2*time.Minute)) {
			t.Fatalf("DeliveryError %q, ResendAfter t0+%v after DeliveryFailed for a stale send; want none, t0+2m",
				got.DeliveryError, got.ResendAfter.Sub(x.t0))
		}
	}},
	{"a failed delivery allows a resend at once", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		failed := x.at(2 * time.Second)
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "provider said no", failed, nil); err != nil {
			t.Fatal(err)
		}
		want := *v
		want.DeliveryError = "provider said no"
		want.ResendAfter = failed
		equal(t, x.get(v.ID), &want)
		got, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, failed, nil)
		if err != nil {
			t.Fatalf("resend right after the failed send: %v", err)
		}
		if got.Sends != 2 || !got.ResendAfter.Equal(failed.Add(2*v.Cooldown)) {
			t.Fatalf("after the resend Sends %d, ResendAfter t0+%v; want 2, t0+%v", got.Sends, got.ResendAfter.Sub(x.t0), failed.Add(2*v.Cooldown).Sub(x.t0))
		}
		// A failure after the cooldown has passed leaves ResendAfter alone.
		later := x.at(5 * time.Minute)
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 2, "again", later, nil); err != nil {
			t.Fatal(err)
		}
		if got := x.get(v.ID).ResendAfter; !got.Equal(failed.Add(2 * v.Cooldown)) {
			t.Fatalf("ResendAfter t0+%v after a failure past the cooldown, want unchanged", got.Sub(x.t0))
		}
	}},
	{"a failed delivery gives each refund limit its event back once, guards none", func(t *testing.T, x *suite) {
		plain, phone := limit(2, time.Hour), perPhoneLimit(2, time.Hour)
		guardFull := perPhoneLimit(1, time.Hour)
		v, earlier := x.pending(), x.pending()
		earlier.AppID, earlier.PhoneKey = v.AppID, v.PhoneKey
		x.create(earlier, plain, phone)
		x.create(v, plain, phone)
		// Both counters are full (2 events): once given back, each has
		// room for exactly one more.
		// The guard's counter, under v's phone key, is full: one event
		// counted by a reservation.
		if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{guardFull}); err != nil {
			t.Fatal(err)
		}
		guard := guardFull
		guard.Guard = true
		refund := []verifier.Limit{plain, phone, guard}
		for range 3 { // a retried call gives nothing back twice
			if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "provider said no", x.t0, refund); err != nil {
				t.Fatal(err)
			}
		}
		w := x.pending()
		w.AppID, w.PhoneKey = v.AppID, v.PhoneKey
		x.create(w, plain, phone)
		u := x.pending()
		u.AppID, u.PhoneKey = v.AppID, v.PhoneKey
		err := x.s.Create(x.ctx, u, []verifier.Limit{plain})
		wantCode(t, err, verifier.CodeRateLimited)
		err = x.s.Create(x.ctx, u, []verifier.Limit{phone})
		wantCode(t, err, verifier.CodeRateLimited)
		err = x.s.Create(x.ctx, u, []verifier.Limit{guard})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"a delivery error of any bytes reads back as it was recorded", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		reason := "provider: \x00 null, new\nline, pipe | and ✓"
		if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, reason, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		want := *v
		want.DeliveryError = reason
		want.ResendAfter = x.t0
		equal(t, x.get(v.ID), &want)
		got, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		want.Attempts = 1
		equal(t, got, &want)
		newest, err := x.s.Newest(x.ctx, v.AppID, v.PhoneKey)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, newest, &want)
	}},
	{"a guard limit refuses create and resend when full and counts nothing", func(t *testing.T, x *suite) {
		spent := perPhoneLimit(2, time.Hour)
		v := x.pending()
		x.create(v)
		guard := spent
		guard.Guard = true
		// While the counter has room, guarded operations pass and count
		// nothing: as many as we like.
		for i := range 3 {
			w := x.pending()
			w.AppID, w.PhoneKey = v.AppID, v.PhoneKey
			x.create(w, guard)
			if _, err := x.s.Resend(x.ctx, w.AppID, w.ID, nil, x.at(time.Minute), []verifier.Limit{guard}); err != nil {
				t.Fatalf("guarded resend %d: %v", i, err)
			}
		}
		for range 2 {
			if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{spent}); err != nil {
				t.Fatalf("reserve while the guard had room (it counted): %v", err)
			}
		}
		w := x.pendingAt(5 * time.Minute)
		w.AppID, w.PhoneKey = v.AppID, v.PhoneKey
		err := x.s.Create(x.ctx, w, []verifier.Limit{limit(5, time.Hour), guard})
		wantRetryAfter(t, err, 55*time.Minute)
		_, err = x.s.Get(x.ctx, w.ID)
		wantCode(t, err, verifier.CodeNotFound)
		send := limit(1, time.Hour)
		_, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(5*time.Minute), []verifier.Limit{send, guard})
		wantRetryAfter(t, err, 55*time.Minute)
		if got := x.get(v.ID).Sends; got != 1 {
			t.Fatalf("Sends %d after a guarded resend was refused, want 1", got)
		}
		// The refusals counted nothing against the other limit.
		if _, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(5*time.Minute), []verifier.Limit{send}); err != nil {
			t.Fatalf("resend without the guard: %v", err)
		}
		// Another phone is not guarded by this phone's counter.
		other := x.pending()
		x.create(other, guard)
		// The window ends: the guard lets the phone through again.
		w = x.pendingAt(time.Hour)
		w.AppID, w.PhoneKey = v.AppID, v.PhoneKey
		x.create(w, guard)
	}},
	{"a refusal carries the message of the limit that refused", func(t *testing.T, x *suite) {
		roomy, full := limit(5, time.Hour), limit(1, time.Hour)
		roomy.Message, full.Message = "the roomy one", "the full one"
		x.create(x.pending(), full)
		err := x.s.Create(x.ctx, x.pending(), []verifier.Limit{roomy, full})
		if e := wantCode(t, err, verifier.CodeRateLimited); e.Message != "the full one" {
			t.Fatalf("message %q, want the full limit's", e.Message)
		}
		v := x.pending()
		x.create(v)
		_, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(time.Minute), []verifier.Limit{roomy, full})
		if e := wantCode(t, err, verifier.CodeRateLimited); e.Message != "the full one" {
			t.Fatalf("resend: message %q, want the full limit's", e.Message)
		}
		_, err = x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{roomy, full})
		if e := wantCode(t, err, verifier.CodeRateLimited); e.Message != "the full one" {
			t.Fatalf("reserve: message %q, want the full limit's", e.Message)
		}
		unnamed := limit(1, time.Hour)
		x.create(x.pending(), unnamed)
		err = x.s.Create(x.ctx, x.pending(), []verifier.Limit{unnamed})
		if e := wantCode(t, err, verifier.CodeRateLimited); e.Message == "" {
			t.Fatal("a limit without a message refused with no message")
		}
	}},
	{"a verification of a key the caller lacks is refused by reserve and resend, which count nothing", func(t *testing.T, x *suite) {
		v := x.pending() // derived with k1
		x.create(v)
		l, p := limit(1, time.Hour), perPhoneLimit(1, time.Hour)
		for _, keys := range [][]string{{"k2"}, {"k2", "k3"}, {"k"}, {"k1x"}, {""}} {
			_, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, keys, x.t0, []verifier.Limit{l, p})
			if e := wantCode(t, err, verifier.CodeKeyUnavailable); e.KeyID != "k1" {
				t.Fatalf("reserve with keys %q: KeyID %q, want k1", keys, e.KeyID)
			}
			_, err = x.s.Resend(x.ctx, v.AppID, v.ID, keys, x.at(time.Minute), []verifier.Limit{l, p})
			if e := wantCode(t, err, verifier.CodeKeyUnavailable); e.KeyID != "k1" {
				t.Fatalf("resend with keys %q: KeyID %q, want k1", keys, e.KeyID)
			}
		}
		equal(t, x.get(v.ID), v)
		// Not found and not pending come first: they tell the truth.
		_, err := x.s.ReserveCheck(x.ctx, "another-app", v.ID, []string{"k2"}, x.t0, nil)
		wantCode(t, err, verifier.CodeNotFound)
		_, err = x.s.ReserveCheck(x.ctx, v.AppID, v.ID, []string{"k2"}, v.ExpiresAt, nil)
		wantNotPending(t, err, verifier.StatusExpired)
		// A list that holds the key, first or not, is served; every limit
		// still has its one event of room.
		got, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, []string{"k2", "k1"}, x.t0, []verifier.Limit{l, p})
		if err != nil || got.Attempts != 1 {
			t.Fatalf("reserve with the key held: %v, %v", got, err)
		}
		if _, err := x.s.Resend(x.ctx, v.AppID, v.ID, []string{"k1"}, x.at(time.Minute), nil); err != nil {
			t.Fatalf("resend with the key held: %v", err)
		}
	}},
	{"reserve counts attempts until none are left", func(t *testing.T, x *suite) {
		v := x.pending()
		v.MaxAttempts = 3
		x.create(v)
		for want := 1; want <= 3; want++ {
			got, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.at(time.Duration(want)*time.Second), nil)
			if err != nil {
				t.Fatalf("reserve %d: %v", want, err)
			}
			if got.Attempts != want {
				t.Fatalf("reserve %d returned Attempts %d", want, got.Attempts)
			}
		}
		_, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.at(4*time.Second), nil)
		wantNotPending(t, err, verifier.StatusMaxAttempts)
		if got := x.get(v.ID); got.Attempts != 3 || got.StatusAt(x.t0) != verifier.StatusMaxAttempts {
			t.Fatalf("Attempts %d status %s, want 3 max_attempts_reached", got.Attempts, got.StatusAt(x.t0))
		}
	}},
	{"parallel reservations count exactly", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		l := limit(1000, time.Hour)
		ok, codes := parallel(50, func() error {
			_, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{l})
			return err
		})
		if ok != 5 || codes[verifier.CodeNotPending] != 45 {
			t.Fatalf("%d reservations succeeded, other codes %v; want 5 and 45 not_pending", ok, codes)
		}
		if got := x.get(v.ID).Attempts; got != 5 {
			t.Fatalf("Attempts %d, want 5", got)
		}
		// Exactly five events were counted against the limit.
		l.Max = 6
		w := x.pending()
		x.create(w)
		if _, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.t0, []verifier.Limit{l}); err != nil {
			t.Fatalf("sixth event against the limit: %v", err)
		}
		_, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.t0, []verifier.Limit{l})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"reserve with a full limit counts nothing", func(t *testing.T, x *suite) {
		l := limit(2, 24*time.Hour)
		v, w := x.pending(), x.pending()
		x.create(v)
		x.create(w)
		for range 2 {
			if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{l}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.at(5*time.Minute), []verifier.Limit{l})
		wantRetryAfter(t, err, 24*time.Hour-5*time.Minute)
		if got := x.get(w.ID).Attempts; got != 0 {
			t.Fatalf("Attempts %d after a refused reservation, want 0", got)
		}
	}},
	{"reserve of an expired or canceled verification counts nothing", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		_, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, v.ExpiresAt, nil)
		wantNotPending(t, err, verifier.StatusExpired)
		if _, err := x.s.Cancel(x.ctx, v.AppID, v.ID, x.t0); err != nil {
			t.Fatal(err)
		}
		_, err = x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, nil)
		wantNotPending(t, err, verifier.StatusCanceled)
		if got := x.get(v.ID).Attempts; got != 0 {
			t.Fatalf("Attempts %d, want 0", got)
		}
	}},
	{"approve approves once", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.at(time.Second), nil); err != nil {
			t.Fatal(err)
		}
		got, err := x.s.Approve(x.ctx, v.ID, 1, x.at(time.Second), nil)
		if err != nil {
			t.Fatalf("Approve: %v", err)
		}
		if got.Stored != verifier.StatusApproved || got.Attempts != 1 {
			t.Fatalf("Approve returned %s with %d attempts, want approved with 1", got.Stored, got.Attempts)
		}
		if got := x.get(v.ID); got.Stored != verifier.StatusApproved {
			t.Fatalf("stored status %s after Approve", got.Stored)
		}
		_, err = x.s.Approve(x.ctx, v.ID, 1, x.at(2*time.Second), nil)
		wantNotPending(t, err, verifier.StatusApproved)
		_, err = x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.at(2*time.Second), nil)
		wantNotPending(t, err, verifier.StatusApproved)
		_, err = x.s.Cancel(x.ctx, v.AppID, v.ID, x.at(2*time.Second))
		wantNotPending(t, err, verifier.StatusApproved)
	}},
	{"parallel approvals approve once", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		ok, codes := parallel(20, func() error {
			_, err := x.s.Approve(x.ctx, v.ID, 1, x.t0, nil)
			return err
		})
		if ok != 1 || codes[verifier.CodeNotPending] != 19 {
			t.Fatalf("%d approvals succeeded, other codes %v; want 1 and 19 not_pending", ok, codes)
		}
	}},
	{"approve accepts the check that used the last attempt", func(t *testing.T, x *suite) {
		v := x.pending()
		v.MaxAttempts = 1
		x.create(v)
		if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		got, err := x.s.Approve(x.ctx, v.ID, 1, x.t0, nil)
		if err != nil {
			t.Fatalf("Approve after the last attempt was reserved: %v", err)
		}
		if got.StatusAt(x.t0) != verifier.StatusApproved {
			t.Fatalf("status %s, want approved", got.StatusAt(x.t0))
		}
	}},
	{"approve refuses a code that a resend replaced", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		if _, err := x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		_, err := x.s.Approve(x.ctx, v.ID, 1, x.at(time.Minute), nil)
		wantNotPending(t, err, verifier.StatusPending)
		if got := x.get(v.ID); got.Stored != verifier.StatusPending {
			t.Fatalf("stored status %s after a stale approval, want pending", got.Stored)
		}
		if _, err := x.s.Approve(x.ctx, v.ID, 2, x.at(time.Minute), nil); err != nil {
			t.Fatalf("Approve of the current send: %v", err)
		}
	}},
	{"approve refuses an expired verification", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		_, err := x.s.Approve(x.ctx, v.ID, 1, v.ExpiresAt, nil)
		wantNotPending(t, err, verifier.StatusExpired)
	}},
	{"approve gives one event back to each refund limit", func(t *testing.T, x *suite) {
		l := limit(2, 24*time.Hour)
		v1, v2, v3 := x.pending(), x.pending(), x.pending()
		for _, v := range []*verifier.Verification{v1, v2, v3} {
			x.create(v)
		}
		for _, v := range []*verifier.Verification{v1, v2} {
			if _, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, []verifier.Limit{l}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := x.s.ReserveCheck(x.ctx, v3.AppID, v3.ID, nil, x.t0, []verifier.Limit{l})
		wantCode(t, err, verifier.CodeRateLimited)
		if _, err := x.s.Approve(x.ctx, v1.ID, 1, x.t0, []verifier.Limit{l}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.s.ReserveCheck(x.ctx, v3.AppID, v3.ID, nil, x.t0, []verifier.Limit{l}); err != nil {
			t.Fatalf("reserve after a refund: %v", err)
		}
		_, err = x.s.ReserveCheck(x.ctx, v3.AppID, v3.ID, nil, x.t0, []verifier.Limit{l})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"a refund never takes a counter below zero", func(t *testing.T, x *suite) {
		l := limit(1, time.Hour)
		v, w := x.pending(), x.pending()
		x.create(v)
		x.create(w)
		if _, err := x.s.Approve(x.ctx, v.ID, 1, x.t0, []verifier.Limit{l, l}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.t0, []verifier.Limit{l}); err != nil {
			t.Fatal(err)
		}
		_, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.t0, []verifier.Limit{l})
		wantCode(t, err, verifier.CodeRateLimited)
	}},
	{"cancel cancels a pending verification once", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		got, err := x.s.Cancel(x.ctx, v.AppID, v.ID, x.at(time.Second))
		if err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		want := *v
		want.Stored = verifier.StatusCanceled
		equal(t, got, &want)
		equal(t, x.get(v.ID), &want)
		_, err = x.s.Cancel(x.ctx, v.AppID, v.ID, x.at(2*time.Second))
		wantNotPending(t, err, verifier.StatusCanceled)
		_, err = x.s.Approve(x.ctx, v.ID, 1, x.at(2*time.Second), nil)
		wantNotPending(t, err, verifier.StatusCanceled)
	}},
	{"cancel refuses an expired or exhausted verification", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		_, err := x.s.Cancel(x.ctx, v.AppID, v.ID, v.ExpiresAt.Add(time.Second))
		wantNotPending(t, err, verifier.StatusExpired)
		w := x.pending()
		w.MaxAttempts = 1
		x.create(w)
		if _, err := x.s.ReserveCheck(x.ctx, w.AppID, w.ID, nil, x.t0, nil); err != nil {
			t.Fatal(err)
		}
		_, err = x.s.Cancel(x.ctx, w.AppID, w.ID, x.t0)
		wantNotPending(t, err, verifier.StatusMaxAttempts)
	}},
	{"a verification is still readable after its code expired", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		got := x.get(v.ID)
		if s := got.StatusAt(v.ExpiresAt); s != verifier.StatusExpired {
			t.Fatalf("status at expiry %s, want expired", s)
		}
	}},
	{"every operation keeps a verification's channel, destination and locale", func(t *testing.T, x *suite) {
		voice := x.pending()
		voice.Channel, voice.Locale = verifier.ChannelVoice, "pt-BR"
		long := x.pending()
		long.Channel = verifier.ChannelVoice
		long.Phone = "+999123456789012345" // not packable as an E.164 number
		email := x.pending()
		email.Channel, email.Phone = verifier.ChannelEmail, ""
		email.Email = "first.last+tag@xn--bcher-kva.example"
		for _, v := range []*verifier.Verification{voice, long, email} {
			x.create(v)
			equal(t, x.get(v.ID), v)
			n, err := x.s.Newest(x.ctx, v.AppID, v.PhoneKey)
			if err != nil {
				t.Fatalf("Newest of a %s verification: %v", v.Channel, err)
			}
			equal(t, n, v)
			r, err := x.s.ReserveCheck(x.ctx, v.AppID, v.ID, nil, x.t0, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := *v
			want.Attempts = 1
			equal(t, r, &want)
			if err := x.s.DeliveryFailed(x.ctx, v.ID, 1, "refused", x.t0, nil); err != nil {
				t.Fatal(err)
			}
			r, err = x.s.Resend(x.ctx, v.AppID, v.ID, nil, x.at(time.Second), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Channel != v.Channel || r.Phone != v.Phone || r.Email != v.Email || r.Locale != v.Locale || r.Sends != 2 {
				t.Fatalf("after a resend: channel %q phone %q email %q sends %d, want %q %q %q 2",
					r.Channel, r.Phone, r.Email, r.Sends, v.Channel, v.Phone, v.Email)
			}
			a, err := x.s.Approve(x.ctx, v.ID, 2, x.at(time.Second), nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Channel != v.Channel || a.Phone != v.Phone || a.Email != v.Email {
				t.Fatalf("after approval: channel %q phone %q email %q, want %q %q %q", a.Channel, a.Phone, a.Email, v.Channel, v.Phone, v.Email)
			}
		}
	}},
	{"ping answers", func(t *testing.T, x *suite) {
		if err := x.s.Ping(x.ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}},
	{"a done context fails every method and changes nothing", func(t *testing.T, x *suite) {
		v := x.pending()
		x.create(v)
		done, cancel := context.WithCancel(x.ctx)
		cancel()
		l := limit(1, time.Hour)
		fresh := x.pending()
		errs := map[string]error{
			"Create":         x.s.Create(done, fresh, []verifier.Limit{l}),
			"DeliveryFailed": x.s.DeliveryFailed(done, v.ID, 1, "boom", x.t0, []verifier.Limit{l}),
			"Ping":           x.s.Ping(done),
		}
		_, errs["Get"] = x.s.Get(done, v.ID)
		_, errs["Newest"] = x.s.Newest(done, v.AppID, v.PhoneKey)
		_, errs["Resend"] = x.s.Resend(done, v.AppID, v.ID, nil, x.at(time.Minute), []verifier.Limit{l})
		_, errs["ReserveCheck"] = x.s.ReserveCheck(done, v.AppID, v.ID, nil, x.t0, []verifier.Limit{l})
		_, errs["Approve"] = x.s.Approve(done, v.ID, 1, x.t0, nil)
		_, errs["Cancel"] = x.s.Cancel(done, v.AppID, v.ID, x.t0)
		for name, err := range errs {
			if !errorsIsCanceled(err) {
				t.Errorf("%s with a canceled context: %v, want an error wrapping context.Canceled", name, err)
			}
		}
		_, err := x.s.Get(x.ctx, fresh.ID)
		wantCode(t, err, verifier.CodeNotFound)
		equal(t, x.get(v.ID), v)
		x.create(x.pending(), l) // the limit counted nothing
	}},
}
