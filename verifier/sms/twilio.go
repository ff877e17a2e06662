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

var (
	_ verifier.Sender = (*Twilio)(nil)
	_ Caller          = (*Twilio)(nil)
)

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
	// CallFrom is the number voice calls come from (E.164; default From).
	// A call needs a phone number: an alphanumeric sender id or a
	// messaging service alone cannot call.
	CallFrom string
	// Voices maps a <Say> language (SayLanguage) to the voice that speaks
	// it, e.g. "ja-JP": "Google.ja-JP-Standard-A"; a language without one
	// is spoken by the account's default voice.
	Voices map[string]string
	// BaseURL is the API's scheme and host (default DefaultTwilioBaseURL);
	// tests point it at a local fake.
	BaseURL string
	// Timeout bounds the request (default 10 s).
	Timeout time.Duration
	// Client sends the requests (default: a fasthttp.Client of its own).
	Client *fasthttp.Client
}

// Twilio sends messages through Twilio's Programmable Messaging REST API
// (POST /2010-04-01/Accounts/{sid}/Messages.json) and places voice calls
// through its Programmable Voice API (POST .../Calls.json with inline
// TwiML). A request is made once: neither call is idempotent, so a failure
// is reported rather than risking a second SMS or call.
type Twilio struct {
	cfg      TwilioConfig
	endpoint string // Messages.json
	calls    string // Calls.json
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
	if cfg.CallFrom == "" {
		cfg.CallFrom = cfg.From
	}
	account := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID)
	return &Twilio{
		cfg:      cfg,
		endpoint: account + "/Messages.json",
		calls:    account + "/Calls.json",
		auth:     "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.AccountSID+":"+cfg.AuthToken)),
	}, nil
}

// CanCall reports whether calls have a number to come from: CallFrom, or
// From when it is a phone number. A Twilio that cannot call should not be
// offered as the verifier's Caller.
func (t *Twilio) CanCall() bool {
	return strings.HasPrefix(t.cfg.CallFrom, "+")
}

// Call places one call that reads c's code twice (TwiML), in c's locale.
// Twilio's error code (not its message, which may quote the number) is in
// the returned error.
func (t *Twilio) Call(ctx context.Context, c VoiceCall) error {
	if !t.CanCall() {
		return errors.New("twilio: calls need a caller number (CallFrom, or a From phone number)")
	}
	twiml, err := TwiML(c, t.cfg.Voices[SayLanguage(c.Locale)])
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	form := url.Values{}
	form.Set("To", c.To)
	form.Set("From", t.cfg.CallFrom)
	form.Set("Twiml", twiml)
	return t.post(ctx, t.calls, form)
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
	return t.post(ctx, t.endpoint, form)
}

// post sends one form to a create endpoint and reads Twilio's answer.
func (t *Twilio) post(ctx context.Context, endpoint string, form url.Values) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(endpoint)
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
