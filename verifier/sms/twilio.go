package sms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

var _ verifier.Sender = (*Twilio)(nil)

// DefaultTwilioBaseURL is Twilio's REST API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// TwilioConfig configures a Twilio sender.
type TwilioConfig struct {
	AccountSID string // AC...
	AuthToken  string
	// From is the sending number (E.164) or alphanumeric sender id; give
	// it or MessagingServiceSID (which wins when both are set).
	From                string
	MessagingServiceSID string // MG...
	// BaseURL is the API's scheme and host (default DefaultTwilioBaseURL);
	// tests point it at a local fake.
	BaseURL string
	// Timeout bounds the request (default 10 s).
	Timeout time.Duration
	// Client sends the requests (default: a fasthttp.Client of its own).
	Client *fasthttp.Client
}

// Twilio sends messages through Twilio's Programmable Messaging REST API
// (POST /2010-04-01/Accounts/{sid}/Messages.json). A request is made once:
// a create-message call is not idempotent, so a failure is reported rather
// than risking a second SMS.
type Twilio struct {
	cfg      TwilioConfig
	endpoint string
	auth     string
}

// NewTwilio checks cfg and returns a Twilio sender.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("twilio: an account SID and an auth token are required")
	}
	if cfg.From == "" && cfg.MessagingServiceSID == "" {
		return nil, errors.New("twilio: a From number or a messaging service SID is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultTwilioBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("twilio: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &fasthttp.Client{Name: "webotp"}
	}
	return &Twilio{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json",
		auth:     "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.AccountSID+":"+cfg.AuthToken)),
	}, nil
}

// Send creates one message. Twilio's error code (not its message, which
// may quote the number) is in the returned error.
func (t *Twilio) Send(ctx context.Context, m verifier.Message) error {
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("Body", m.Body)
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	} else {
		form.Set("From", t.cfg.From)
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(t.endpoint)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	req.Header.Set(fasthttp.HeaderAuthorization, t.auth)
	req.Header.Set(fasthttp.HeaderAccept, "application/json")
	req.SetBodyString(form.Encode())
	if err := doContext(ctx, t.cfg.Client, req, resp, t.cfg.Timeout); err != nil {
		return fmt.Errorf("twilio: post: %w", err)
	}
	if code := resp.StatusCode(); code < 200 || code >= 300 {
		var e struct {
			Code     int    `json:"code"`
			MoreInfo string `json:"more_info"`
		}
		if json.Unmarshal(resp.Body(), &e) == nil && e.Code != 0 {
			return fmt.Errorf("twilio: status %d, error %d (%s)", code, e.Code, e.MoreInfo)
		}
		return fmt.Errorf("twilio: status %d", code)
	}
	return nil
}
