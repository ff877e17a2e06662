package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
)

// netHTTPHandler is the check route as a user would write it with the
// standard library instead of fasthttp: the same Service, the same JSON
// (API.md §2), net/http's mux, encoding/json. It is the comparison the
// "check / net/http" figure makes; it is not part of webotp.
func netHTTPHandler(svc *verifier.Service, apps map[string]*verifier.App, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/verifications/{id}/check", func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		app := apps[key]
		if !ok || app == nil {
			netError(w, verifier.Errorf(verifier.CodeUnauthorized, "A valid API key is required."))
			return
		}
		var body struct {
			Code string `json:"code"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&body); err != nil {
			netError(w, verifier.Errorf(verifier.CodeInvalidJSON, "The body is not valid JSON."))
			return
		}
		res, err := svc.Check(r.Context(), app, r.PathValue("id"), body.Code)
		if err != nil {
			if verifier.ErrorCode(err) == verifier.CodeInternal {
				log.Error("check", "err", err)
			}
			netError(w, err)
			return
		}
		v := res.Verification
		now := svc.Now()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(netCheck{Valid: res.Valid, Verification: netVerification{
			ID:             v.ID,
			Status:         v.StatusAt(now),
			Phone:          verifier.MaskPhone(v.Phone),
			Origin:         v.Origin,
			EmbeddedOrigin: v.EmbeddedOrigin,
			CreatedAt:      v.CreatedAt.UTC().Format(time.RFC3339),
			ExpiresAt:      v.ExpiresAt.UTC().Format(time.RFC3339),
			ResendAfter:    v.ResendAfter.UTC().Format(time.RFC3339),
			Sends:          v.Sends,
			AttemptsLeft:   v.AttemptsLeft(),
		}})
	})
	return mux
}

type netVerification struct {
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

type netCheck struct {
	Valid        bool            `json:"valid"`
	Verification netVerification `json:"verification"`
}

func netError(w http.ResponseWriter, err error) {
	var e *verifier.Error
	if !errors.As(err, &e) {
		e = verifier.Errorf(verifier.CodeInternal, "Internal error.")
	}
	status := httpapi.Status(e.Code)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"code": e.Code, "message": e.Message}
	if e.Status != "" {
		body["status"] = e.Status
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}
