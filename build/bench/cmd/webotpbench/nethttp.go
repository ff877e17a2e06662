package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
)

// netHTTPHandler is the check route as a user would write it with the
// standard library instead of fasthttp: the same Service, the same JSON,
// net/http's mux, encoding/json. It is the comparison the
// "check / net/http" figure makes; it is not part of webotp. Its errors
// are answered by api's error writer, so that both servers answer alike.
func netHTTPHandler(svc *verifier.Service, api *httpapi.Server, apps map[string]*verifier.App) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/verifications/{id}/check", func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		app := apps[key]
		if !ok || app == nil {
			netError(w, api, verifier.Errorf(httpapi.CodeUnauthorized, "A valid API key is required."))
			return
		}
		var body struct {
			Code string `json:"code"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, httpapi.MaxBodySize)).Decode(&body); err != nil {
			netError(w, api, verifier.Errorf(httpapi.CodeInvalidJSON, "The body is not valid JSON."))
			return
		}
		res, err := svc.Check(r.Context(), app, r.PathValue("id"), body.Code)
		if err != nil {
			netError(w, api, err)
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

// netError answers err through api's error writer: it fills a scratch
// fasthttp response whose status, headers and body are copied to w.
func netError(w http.ResponseWriter, api *httpapi.Server, err error) {
	var ctx fasthttp.RequestCtx
	api.WriteError(&ctx, err)
	for k, v := range ctx.Response.Header.All() {
		if !strings.EqualFold(string(k), "Content-Length") {
			w.Header().Set(string(k), string(v))
		}
	}
	w.WriteHeader(ctx.Response.StatusCode())
	_, _ = w.Write(ctx.Response.Body())
}
