package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

// encodeStrings are strings that exercise every escaping rule of
// encoding/json.
var encodeStrings = []string{
	"", "plain", "+14155550123", "https://www.example.com", `"quoted"`, `back\slash`,
	"\b\f\n\r\t", "\x00\x01\x1f\x7f", "<script>&amp;</script>", "\u2028\u2029", "é日本\U0001F600",
	"\xff", "a\xffb", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\ufffd", "\u00a0\u0085\u200b",
	strings.Repeat("x", 300), "tab\tand\u2028line",
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return b
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	all := append([]string(nil), encodeStrings...)
	for range 2000 { // random bytes, biased to the interesting ones
		b := make([]byte, r.IntN(20))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = byte(r.IntN(0x20))
			case 1:
				b[i] = byte(0x80 + r.IntN(0x80))
			case 2:
				b[i] = `"\<>&`[r.IntN(5)]
			default:
				b[i] = byte(r.IntN(256))
			}
		}
		all = append(all, string(b))
	}
	for _, s := range all {
		if got, want := appendString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range encodeStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString([]byte("x"), s), append([]byte("x"), marshal(t, s)...); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestTheAnswersMatchEncodingJSON(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	paris := time.FixedZone("Paris", 3600)
	var vs []*verifier.Verification
	for i, s := range encodeStrings {
		vs = append(vs, &verifier.Verification{
			ID: s, Phone: "+1415555" + s, Origin: s, EmbeddedOrigin: encodeStrings[(i+3)%len(encodeStrings)],
			CreatedAt: now.Add(-time.Duration(i) * time.Minute).In(paris), ExpiresAt: now.Add(time.Duration(i) * time.Minute),
			ResendAfter: now.Add(time.Duration(i) * time.Second), Sends: i, Attempts: i % 7,
		})
		vs = append(vs, &verifier.Verification{ID: s, Channel: verifier.ChannelVoice, Phone: "+1415555" + s, Origin: s},
			&verifier.Verification{ID: s, Channel: verifier.ChannelEmail, Email: s + "@" + s, Origin: s})
	}
	vs = append(vs, &verifier.Verification{ID: "abc", Phone: "+14155550123", Origin: origin, CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
		&verifier.Verification{ID: "old", Phone: "+33612345678", Origin: origin, CreatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
			ExpiresAt: time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), Sends: -3, Attempts: 99})
	for _, v := range vs {
		if got, want := appendVerification(nil, v, now), marshal(t, toJSON(v, now)); !bytes.Equal(got, want) {
			t.Errorf("verification:\n got %s\nwant %s", got, want)
		}
		for _, valid := range []bool{true, false} {
			if got, want := appendCheck(nil, valid, v, now), marshal(t, checkJSON{Valid: valid, Verification: toJSON(v, now)}); !bytes.Equal(got, want) {
				t.Errorf("check:\n got %s\nwant %s", got, want)
			}
		}
	}
	for i, s := range encodeStrings {
		for _, d := range []errorDetail{
			{Code: verifier.Code(s), Message: s},
			{Code: verifier.CodeNotPending, Message: s, Status: verifier.Status(s)},
			{Code: verifier.CodeRateLimited, Message: s, RetryAfter: i*1000 - 5},
			{Code: verifier.CodeDeliveryFailed, Message: s, ID: s},
		} {
			if got, want := appendError(nil, d), marshal(t, errorBody{Error: d}); !bytes.Equal(got, want) {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		}
	}
}
