package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

var _ verifier.Sender = (*Webhook)(nil)

// SignatureHeader carries a webhook body's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
const SignatureHeader = "X-Webotp-Signature"

// WebhookConfig configures a Webhook. Zero values mean the defaults noted.
type WebhookConfig struct {
	// URL receives a POST with a JSON WebhookPayload for every message.
	URL string
	// Secret signs every body (SignatureHeader). Required.
	Secret []byte
	// Timeout bounds each attempt (default 5 s).
	Timeout time.Duration
	// Retries is how many times an attempt that failed with a connection
	// error or a 5xx status is repeated (default 2; negative means none).
	// A 4xx status is never retried.
	Retries int
	// Backoff is the wait before the first retry, doubling after (default
	// 250 ms).
	Backoff time.Duration
	// Client sends the requests (default: a fasthttp.Client of its own).
	Client *fasthttp.Client
	// Now stamps signatures (default time.Now).
	Now func() time.Time
}

// WebhookPayload is the JSON body a Webhook posts.
type WebhookPayload struct {
	To             string `json:"to"`
	Body           string `json:"body"`
	VerificationID string `json:"verification_id"`
	AppID          string `json:"app_id"`
	Send           int    `json:"send"`
	Encoding       string `json:"encoding"`
	Segments       int    `json:"segments"`
}

// Webhook delivers messages by POSTing them, signed, to an endpoint of
// yours, which hands them to the SMS provider of your choice. Any 2xx
// answer is a delivery.
type Webhook struct {
	cfg WebhookConfig
}

// NewWebhook checks cfg and returns a Webhook.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: URL %q is not an http(s) URL", cfg.URL)
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("webhook: a secret is required to sign the requests")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Client == nil {
		cfg.Client = &fasthttp.Client{Name: "webotp"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Webhook{cfg: cfg}, nil
}

// Sign returns the SignatureHeader value for body at t; receivers compute
// the same and compare in constant time (and refuse old t).
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts m, retrying connection errors and 5xx answers with backoff.
func (w *Webhook) Send(ctx context.Context, m verifier.Message) error {
	body, err := json.Marshal(WebhookPayload{
		To: m.To, Body: m.Body, VerificationID: m.VerificationID, AppID: m.AppID,
		Send: m.Send, Encoding: m.Encoding, Segments: m.Segments,
	})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	wait := w.cfg.Backoff
	for attempt := 0; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= w.cfg.Retries {
			return fmt.Errorf("webhook: %w (attempt %d of %d)", err, attempt+1, w.cfg.Retries+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("webhook: %w (attempt %d, gave up waiting to retry: %w)", err, attempt+1, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// post makes one attempt; retry says whether a failure may be retried.
func (w *Webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(w.cfg.URL)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, w.cfg.Now(), body))
	req.SetBody(body)
	if err := doContext(ctx, w.cfg.Client, req, resp, w.cfg.Timeout); err != nil {
		return ctx.Err() == nil, fmt.Errorf("post: %w", err)
	}
	switch code := resp.StatusCode(); {
	case code >= 200 && code < 300:
		return false, nil
	case code >= 500:
		return true, fmt.Errorf("endpoint answered status %d", code)
	default:
		return false, fmt.Errorf("endpoint answered status %d", code)
	}
}

// doContext sends req with a deadline that is the earlier of timeout and
// ctx's own.
func doContext(ctx context.Context, c *fasthttp.Client, req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return c.DoDeadline(req, resp, deadline)
}
