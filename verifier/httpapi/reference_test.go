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
	Phone          string          `json:"phone"`
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
	return verificationJSON{
		ID:             v.ID,
		Status:         v.StatusAt(now),
		Phone:          verifier.MaskPhone(v.Phone),
		Origin:         v.Origin,
		EmbeddedOrigin: v.EmbeddedOrigin,
		CreatedAt:      rfc3339(v.CreatedAt),
		ExpiresAt:      rfc3339(v.ExpiresAt),
		ResendAfter:    rfc3339(v.ResendAfter),
		Sends:          v.Sends,
		AttemptsLeft:   v.AttemptsLeft(),
	}
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
