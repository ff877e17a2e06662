package httpapi

import (
	"encoding/json"
	"time"

	"github.com/webotp/webotp/verifier"
)

// The API's answers as encoding/json structs: the reference the
// hand-written encoder (encode.go) is compared with, byte for byte, and
// measured against (BenchmarkCheckHandler).

// verificationJSON is the API's verification object (see the package doc).
type verificationJSON struct {
	ID             string          `json:"id"`
	Status         verifier.Status `json:"status"`
	Channel        string          `json:"channel"`
	Phone          *string         `json:"phone,omitempty"`
	Email          *string         `json:"email,omitempty"`
	Origin         string          `json:"origin"`
	EmbeddedOrigin string          `json:"embedded_origin,omitempty"`
	CreatedAt      string          `json:"created_at"`
	ExpiresAt      string          `json:"expires_at"`
	ResendAfter    string          `json:"resend_after"`
	Sends          int             `json:"sends"`
	AttemptsLeft   int             `json:"attempts_left"`
}

type checkJSON struct {
	Valid        bool             `json:"valid"`
	Verification verificationJSON `json:"verification"`
}

func toJSON(v *verifier.Verification, now time.Time) verificationJSON {
	ch, phone, email := string(v.Channel), verifier.MaskPhone(v.Phone), verifier.MaskEmail(v.Email)
	if ch == "" {
		ch = "sms"
	}
	j := verificationJSON{
		ID:             v.ID,
		Status:         v.StatusAt(now),
		Channel:        ch,
		Origin:         v.Origin,
		EmbeddedOrigin: v.EmbeddedOrigin,
		CreatedAt:      rfc3339(v.CreatedAt),
		ExpiresAt:      rfc3339(v.ExpiresAt),
		ResendAfter:    rfc3339(v.ResendAfter),
		Sends:          v.Sends,
		AttemptsLeft:   v.AttemptsLeft(),
	}
	if v.Channel == verifier.ChannelEmail {
		j.Email = &email
	} else {
		j.Phone = &phone
	}
	return j
}

// marshalCheck is appendCheck written with encoding/json.
func marshalCheck(valid bool, v *verifier.Verification, now time.Time) []byte {
	b, err := json.Marshal(checkJSON{Valid: valid, Verification: toJSON(v, now)})
	if err != nil {
		panic(err) // strings, ints and a bool always encode
	}
	return b
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
