package verifier

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/verifier/code"
)

// Config wires a Service. Zero Now, Rand, Logger and SendTimeout mean
// time.Now, crypto/rand, slog.Default and DefaultSendTimeout.
type Config struct {
	Store  Store
	Sender Sender
	// Caller places the voice channel's calls; nil answers voice
	// verifications channel_not_supported.
	Caller Caller
	// Mailer sends the email channel's messages; nil answers email
	// verifications channel_not_supported.
	Mailer Mailer
	// Keys are the master keys: Keys[0] derives new codes, every key still
	// checks the verifications it derived (rotation).
	Keys []MasterKey
	// Dev allows http://localhost origins.
	Dev    bool
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
	// SendTimeout bounds each Sender.Send, Caller.Call and Mailer.Mail.
	SendTimeout time.Duration
}

// DefaultSendTimeout bounds a send when Config.SendTimeout is zero.
const DefaultSendTimeout = 10 * time.Second

// MasterKey is a secret of at least 32 bytes with an id, stored on each
// verification so that keys can be rotated.
type MasterKey struct {
	ID     string
	Secret []byte
}

// StartRequest asks for a new verification of Phone (or Email) bound to
// Origin.
type StartRequest struct {
	// Channel is "sms" (or empty), "voice" or "email".
	Channel        string
	Phone          string // for sms and voice: any format phonenumbers parses with a leading +; answered as E.164
	Email          string // for email: an address NormalizeEmail accepts
	Origin         string // https://www.example.com
	EmbeddedOrigin string // optional: the iframe's origin
	ClientIP       string // optional: the end user's IP, for the per-IP limit
	Locale         string // optional: the language of a voice call
}

// CheckResult is the answer to a check: Valid is true at most once per
// verification.
type CheckResult struct {
	Valid        bool
	Verification *Verification
}

// Service issues, sends and checks codes. It is safe for concurrent use.
type Service struct {
	cfg  Config
	keys []serviceKey
	// keyIDs are the ids of keys, as stores take them.
	keyIDs []string

	randMu sync.Mutex
}

// serviceKey is a master key with the key derived from it for the keyed
// hashes of phone numbers and IP addresses.
type serviceKey struct {
	id       string
	codes    *code.Deriver
	limitKey []byte
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("verifier: config: no Store")
	}
	if cfg.Sender == nil {
		return nil, errors.New("verifier: config: no Sender")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("verifier: config: no master key")
	}
	s := &Service{cfg: cfg}
	seen := map[string]bool{}
	for i, k := range cfg.Keys {
		if k.ID == "" {
			return nil, fmt.Errorf("verifier: config: master key %d has no id", i)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("verifier: config: master key id %q appears twice", k.ID)
		}
		seen[k.ID] = true
		codes, err := code.NewDeriver(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("verifier: config: master key %q: %w", k.ID, err)
		}
		mac := hmac.New(sha256.New, k.Secret)
		mac.Write([]byte("webotp limit keys v1"))
		s.keys = append(s.keys, serviceKey{id: k.ID, codes: codes, limitKey: mac.Sum(nil)})
		s.keyIDs = append(s.keyIDs, k.ID)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.Rand == nil {
		s.cfg.Rand = rand.Reader
	}
	if s.cfg.Logger == nil {
		s.cfg.Logger = slog.Default()
	}
	if s.cfg.SendTimeout <= 0 {
		s.cfg.SendTimeout = DefaultSendTimeout
	}
	return s, nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// now is the clock as stores keep it: UTC milliseconds.
func (s *Service) now() time.Time { return time.UnixMilli(s.cfg.Now().UnixMilli()).UTC() }

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error { return s.cfg.Store.Ping(ctx) }

// Start creates a verification and sends its first code. A phone whose
// failed-check budget is spent gets no new verification (rate_limited, as
// its checks do): a code it could not use would only cost a message.
// When the send fails it answers delivery_failed, carrying the id, and
// also returns the verification, which exists, pending, with its
// DeliveryError recorded, and may be resent at once; the limits the start
// counted are given back.
func (s *Service) Start(ctx context.Context, app *App, req StartRequest) (*Verification, error) {
	lim := app.Limits.Normalize()
	ch, err := parseChannel(req.Channel)
	if err != nil {
		return nil, err
	}
	if err := s.supports(ch); err != nil {
		return nil, err
	}
	var phone, email string
	if ch == ChannelEmail {
		if req.Phone != "" {
			return nil, Errorf(CodeInvalidRequest, "An email verification takes an email address, not a phone number.")
		}
		if email, err = checkEmail(req.Email); err != nil {
			return nil, err
		}
	} else {
		if req.Email != "" {
			return nil, Errorf(CodeInvalidRequest, "An email address needs \"channel\": \"email\".")
		}
		if phone, err = checkPhone(app, req.Phone); err != nil {
			return nil, err
		}
	}
	origin, host, err := allowedOrigin(app, req.Origin, s.cfg.Dev)
	if err != nil {
		return nil, err
	}
	if ch == ChannelVoice && !validLocale(req.Locale) {
		return nil, Errorf(CodeInvalidRequest, "locale must be a BCP 47 language tag such as \"fr\" or \"pt-BR\".")
	}
	var embedded, embeddedHost string
	if req.EmbeddedOrigin != "" {
		if embedded, embeddedHost, err = allowedOrigin(app, req.EmbeddedOrigin, s.cfg.Dev); err != nil {
			return nil, err
		}
	}
	key := &s.keys[0]
	phoneKey := key.hash(app.ID, phone+email)
	limits := make([]Limit, 0, 4)
	if ch == ChannelEmail {
		limits = append(limits, destinationFailures(lim, true, failuresOfAddress),
			Limit{Key: "start:email:" + phoneKey, Max: lim.PhoneStarts, Window: lim.PhoneStartWindow,
				Message: "Too many verifications for this email address; try again later."})
	} else {
		limits = append(limits, destinationFailures(lim, true, failuresOfPhone),
			Limit{Key: "start:phone:" + phoneKey, Max: lim.PhoneStarts, Window: lim.PhoneStartWindow,
				Message: "Too many verifications for this phone number; try again later."})
	}
	if req.ClientIP != "" {
		ipKey, err := key.ipHash(app.ID, req.ClientIP)
		if err != nil {
			return nil, err
		}
		limits = append(limits, Limit{Key: "start:ip:" + ipKey, Max: lim.IPStarts, Window: lim.IPStartWindow,
			Message: "Too many verifications from this IP address; try again later."})
	}
	limits = append(limits, appSends(app, lim))

	id, err := s.newID()
	if err != nil {
		return nil, s.internal("start", "", err)
	}
	now := s.now()
	v := &Verification{
		ID:             id,
		AppID:          app.ID,
		KeyID:          key.id,
		Channel:        ch,
		Phone:          phone,
		Email:          email,
		PhoneKey:       phoneKey,
		Origin:         origin,
		EmbeddedOrigin: embedded,
		CreatedAt:      now,
		ExpiresAt:      now.Add(lim.Lifetime),
		Sends:          1,
		MaxAttempts:    lim.MaxAttempts,
		MaxSends:       lim.MaxSends,
		Lifetime:       lim.Lifetime,
		Cooldown:       lim.ResendCooldown,
		Stored:         StatusPending,
	}
	v.ResendAfter = v.NextResendAfter(now, 1)
	if ch == ChannelVoice {
		// Only a call speaks a language: other channels keep none, which
		// keeps their records small.
		v.Locale = req.Locale
	}
	// The message is formatted before anything is counted, so that a
	// template the formatter refuses costs the caller no limit.
	d, err := s.delivery(app, key, v, host, embeddedHost, lim)
	if err != nil {
		return nil, s.internal("start", id, err)
	}
	if err := s.cfg.Store.Create(ctx, v, limits); err != nil {
		return nil, s.storeError("start", id, err)
	}
	if err := s.send(ctx, v, d, limits); err != nil {
		return v, err
	}
	return v, nil
}

// Get returns a verification of app: another app's verification is not
// found.
func (s *Service) Get(ctx context.Context, app *App, id string) (*Verification, error) {
	v, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, s.storeError("get", id, err)
	}
	if v.AppID != app.ID {
		return nil, ErrNotFound
	}
	return v, nil
}

// Resend sends a new code, on the verification's channel; the previous
// one no longer checks. Like Start it refuses a destination whose
// failed-check budget is spent, and a failed send is given back
// (delivery_failed, the resend possible at once). A channel this instance
// has no sender for is given back too, as channel_not_supported.
func (s *Service) Resend(ctx context.Context, app *App, id string) (*Verification, error) {
	lim := app.Limits.Normalize()
	// One store call: the store answers not found for another app's
	// verification, and key_unavailable for one this instance cannot
	// derive, counting nothing.
	limits := []Limit{destinationFailures(lim, true, failuresOfEither), appSends(app, lim)}
	v, err := s.cfg.Store.Resend(ctx, app.ID, id, s.keyIDs, s.now(), limits)
	if err != nil {
		return nil, s.storeError("resend", id, err)
	}
	key := s.key(v.KeyID)
	if key == nil {
		// The store refuses what keyIDs do not name: a Store that broke
		// its contract.
		return nil, s.keyUnavailable("resend", id, v.KeyID)
	}
	_, host, err := canonicalOrigin(v.Origin, true)
	var embeddedHost string
	if err == nil && v.EmbeddedOrigin != "" {
		_, embeddedHost, err = canonicalOrigin(v.EmbeddedOrigin, true)
	}
	if err != nil {
		return nil, s.internal("resend", id, fmt.Errorf("stored origin: %w", err))
	}
	d, err := s.delivery(app, key, v, host, embeddedHost, lim)
	if err != nil {
		return nil, s.internal("resend", id, err)
	}
	if err := s.send(ctx, v, d, limits); err != nil {
		return v, err
	}
	return v, nil
}

// Check compares code with the verification's current code.
func (s *Service) Check(ctx context.Context, app *App, id, input string) (*CheckResult, error) {
	c, err := normalizeCode(input)
	if err != nil {
		return nil, err
	}
	return s.check(ctx, app, id, c)
}

// CheckPhone checks code against the newest verification of phone in app:
// 404 when there is none, 409 not_pending when the newest is no longer
// pending (an older pending one does not check: a new start supersedes).
func (s *Service) CheckPhone(ctx context.Context, app *App, phone, input string) (*CheckResult, error) {
	c, err := normalizeCode(input)
	if err != nil {
		return nil, err
	}
	_, e164, _, err := parsePhone(phone)
	if err != nil {
		return nil, err
	}
	return s.checkNewest(ctx, app, e164, c)
}

// CheckEmail is CheckPhone for the newest verification of an email
// address in app.
func (s *Service) CheckEmail(ctx context.Context, app *App, email, input string) (*CheckResult, error) {
	c, err := normalizeCode(input)
	if err != nil {
		return nil, err
	}
	addr, err := checkEmail(email)
	if err != nil {
		return nil, err
	}
	return s.checkNewest(ctx, app, addr, c)
}

// checkNewest checks code c against the newest verification of dest, an
// E.164 number or a normalized address, under any key this instance
// holds.
func (s *Service) checkNewest(ctx context.Context, app *App, dest, c string) (*CheckResult, error) {
	var newest *Verification
	for i := range s.keys {
		v, err := s.cfg.Store.Newest(ctx, app.ID, s.keys[i].hash(app.ID, dest))
		if ErrorCode(err) == CodeNotFound {
			continue
		}
		if err != nil {
			return nil, s.storeError("check", "", err)
		}
		if newest == nil || v.CreatedAt.After(newest.CreatedAt) {
			newest = v
		}
	}
	if newest == nil || newest.AppID != app.ID || newest.Destination() != dest {
		return nil, ErrNotFound
	}
	if s.key(newest.KeyID) == nil {
		return nil, s.keyUnavailable("check", newest.ID, newest.KeyID)
	}
	return s.check(ctx, app, newest.ID, c)
}

// check reserves an attempt on verification id of app, then compares:
// every guess is counted before any comparison, so parallel guesses count
// exactly. The reservation is the one store call of a wrong guess: the
// store refuses another app's verification (not found, nothing counted)
// and one derived with a key this instance lacks (key_unavailable, nothing
// counted), and counts the per-phone failure budget under the phone key it
// reads.
func (s *Service) check(ctx context.Context, app *App, id, c string) (*CheckResult, error) {
	lim := app.Limits.Normalize()
	failures := []Limit{destinationFailures(lim, false, failuresOfEither)}
	now := s.now()
	r, err := s.cfg.Store.ReserveCheck(ctx, app.ID, id, s.keyIDs, now, failures)
	if err != nil {
		return nil, s.storeError("check", id, err)
	}
	key := s.key(r.KeyID)
	if key == nil {
		// The store refuses what keyIDs do not name: a Store that broke
		// its contract.
		return nil, s.keyUnavailable("check", id, r.KeyID)
	}
	want, err := key.codes.Derive(codeInput(r), uint64(r.Sends), lim.CodeLength)
	if err != nil {
		return nil, s.internal("check", id, err)
	}
	if !code.Equal(c, want) {
		return &CheckResult{Valid: false, Verification: r}, nil
	}
	a, err := s.cfg.Store.Approve(ctx, r.ID, r.Sends, now, failures)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeNotPending && e.Status == StatusPending {
			// A resend replaced the code between reservation and approval.
			return &CheckResult{Valid: false, Verification: r}, nil
		}
		return nil, s.storeError("check", id, err)
	}
	return &CheckResult{Valid: true, Verification: a}, nil
}

// failPhoneKey names the per-destination failure budget; as a PerPhone
// limit the store completes it with the phone key, the keyed hash of the
// phone number or email address. Every channel to one phone number (sms
// and voice) shares the budget.
const failPhoneKey = "fail:phone:"

// The 429 messages of the per-destination failure budget: a start knows
// its destination, a resend or a check (one store call, made before the
// verification is read) does not.
const (
	failuresOfPhone   = "Too many wrong codes for this phone number; try again later."
	failuresOfAddress = "Too many wrong codes for this email address; try again later."
	failuresOfEither  = "Too many wrong codes for this phone number or email address; try again later."
)

// destinationFailures is the per-destination budget of failed checks:
// counted by checks, and a guard (read, not counted) for starts and
// resends, which a destination that spent it may not make.
func destinationFailures(lim Limits, guard bool, message string) Limit {
	return Limit{Key: failPhoneKey, PerPhone: true, Max: lim.PhoneFailures, Window: lim.PhoneFailureWindow, Guard: guard,
		Message: message}
}

// Cancel cancels a pending verification.
func (s *Service) Cancel(ctx context.Context, app *App, id string) (*Verification, error) {
	v, err := s.cfg.Store.Cancel(ctx, app.ID, id, s.now())
	if err != nil {
		return nil, s.storeError("cancel", id, err)
	}
	return v, nil
}

func appSends(app *App, lim Limits) Limit {
	return Limit{Key: "send:app:" + app.ID, Max: lim.AppSends, Window: lim.AppSendWindow,
		Message: "This app is sending too many messages; try again later."}
}

// codeInput binds the code to the verification's destination: its phone
// number, or its email address (which code.Input takes in the Phone slot;
// the two never coincide, an address holding an '@').
func codeInput(v *Verification) code.Input {
	return code.Input{ID: v.ID, Phone: v.Destination(), Origin: v.Origin, EmbeddedOrigin: v.EmbeddedOrigin}
}

func (s *Service) key(id string) *serviceKey {
	for i := range s.keys {
		if s.keys[i].id == id {
			return &s.keys[i]
		}
	}
	return nil
}

// newID returns 128 random bits, base64url without padding.
func (s *Service) newID() (string, error) {
	var b [16]byte
	s.randMu.Lock()
	_, err := io.ReadFull(s.cfg.Rand, b[:])
	s.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// delivery is one send of a verification's code on its channel: exactly
// one of sms, call and email is set.
type delivery struct {
	code  string
	sms   *Message
	call  *Call
	email *Email
}

// delivery derives v's current code and builds what carries it on v's
// channel: the SMS formatted by otpmsg, the call, or the email, each with
// the verification link when app has a LinkURL.
func (s *Service) delivery(app *App, key *serviceKey, v *Verification, host, embeddedHost string, lim Limits) (delivery, error) {
	c, link, err := codeAndLink(app, key, v, lim)
	if err != nil {
		return delivery{}, err
	}
	switch v.Channel {
	case ChannelVoice:
		return delivery{code: c, call: &Call{
			To: v.Phone, Code: c, Locale: v.Locale, AppName: appName(app),
			VerificationID: v.ID, AppID: v.AppID, Send: v.Sends,
		}}, nil
	case ChannelEmail:
		return delivery{code: c, email: &Email{
			To: v.Email, AppName: appName(app), Code: c, Link: link, TTL: lim.Lifetime,
			VerificationID: v.ID, AppID: v.AppID, Send: v.Sends,
		}}, nil
	}
	body, err := otpmsg.Format(otpmsg.Message{
		Text:         AppText(app, c),
		Host:         host,
		Code:         c,
		EmbeddedHost: embeddedHost,
		AppHash:      app.AppHash,
		Link:         link,
	})
	if err != nil {
		// The formatter may quote the offending line, code or part of it
		// included: digits are masked.
		masked := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '*'
			}
			return r
		}, err.Error())
		return delivery{}, fmt.Errorf("format message of app %s: %s", app.ID, masked)
	}
	seg := otpmsg.Count(body)
	return delivery{code: c, sms: &Message{
		To:             v.Phone,
		Body:           body,
		Link:           link,
		VerificationID: v.ID,
		AppID:          v.AppID,
		Send:           v.Sends,
		Encoding:       seg.Encoding,
		Segments:       seg.Segments,
	}}, nil
}

// maxLocale bounds a request's locale, which stores keep.
const maxLocale = 35

// validLocale accepts "" and what looks like a BCP 47 tag: ASCII letters,
// digits, '-' (and '_', as some platforms write them), at most maxLocale
// bytes, starting with a letter. Only a voice verification's locale is
// read and kept.
func validLocale(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > maxLocale || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// appName is how messages name app: its Name, or its id.
func appName(app *App) string {
	if app.Name != "" {
		return app.Name
	}
	return app.ID
}

// supports answers channel_not_supported for a channel this instance has
// no sender for.
func (s *Service) supports(ch Channel) error {
	switch {
	case ch == ChannelVoice && s.cfg.Caller == nil:
		return Errorf(CodeChannelNotSupported, "This server cannot place voice calls: its SMS provider cannot call, or none is configured to.")
	case ch == ChannelEmail && s.cfg.Mailer == nil:
		return Errorf(CodeChannelNotSupported, "This server cannot send email: no SMTP server is configured.")
	}
	return nil
}

// DefaultText is the human part of a message when App.Text is empty.
const DefaultText = "Your {app} verification code is {code}."

// AppText is app's message text with "{app}" and "{code}" replaced.
func AppText(app *App, code string) string {
	t := app.Text
	if t == "" {
		t = DefaultText
	}
	return strings.NewReplacer("{app}", appName(app), "{code}", code).Replace(t)
}

// maxDeliveryError bounds the reason recorded for a failed send.
const maxDeliveryError = 200

// send hands d to the sender of v's channel within SendTimeout. A caller
// that goes away does not cut a send short: the message was counted and
// may be on its way. A failure is recorded on v, gives back the limits the
// send counted (refund: the store skips guards) so that trying again
// costs the user nothing, and is answered as delivery_failed with v's id
// (or channel_not_supported when this instance has no sender for the
// channel, which a resend of a verification started elsewhere may meet).
func (s *Service) send(ctx context.Context, v *Verification, d delivery, refund []Limit) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
	defer cancel()
	var err error
	unsupported := s.supports(v.Channel)
	switch {
	case unsupported != nil:
		err = unsupported
	case d.call != nil:
		err = s.cfg.Caller.Call(sctx, *d.call)
	case d.email != nil:
		err = s.cfg.Mailer.Mail(sctx, *d.email)
	default:
		err = s.cfg.Sender.Send(sctx, *d.sms)
	}
	if err == nil {
		return nil
	}
	reason := err.Error()
	// A sender's error must not carry the code or the destination into
	// the store or the logs.
	if d.sms != nil {
		reason = strings.ReplaceAll(reason, d.sms.Body, "[message]")
	}
	reason = strings.ReplaceAll(reason, d.code, "[code]")
	masked := maskDestination(v)
	reason = strings.ReplaceAll(reason, v.Destination(), masked)
	if len(reason) > maxDeliveryError {
		reason = reason[:maxDeliveryError]
	}
	if reason == "" {
		reason = "the sender failed without a reason"
	}
	v.DeliveryError = reason
	now := s.now()
	if serr := s.cfg.Store.DeliveryFailed(context.WithoutCancel(ctx), v.ID, v.Sends, reason, now, refund); serr != nil {
		s.cfg.Logger.Error("record delivery error", "id", v.ID, "err", serr)
	} else if v.ResendAfter.After(now) {
		v.ResendAfter = now
	}
	if unsupported != nil {
		return unsupported
	}
	s.cfg.Logger.Warn("delivery failed", "id", v.ID, "app", v.AppID, "channel", string(v.Channel), "send", v.Sends,
		"to", masked, "reason", reason)
	what := "The SMS"
	switch v.Channel {
	case ChannelVoice:
		what = "The call"
	case ChannelEmail:
		what = "The email"
	}
	return &Error{Code: CodeDeliveryFailed, Message: what + " could not be delivered to the provider; resend this verification to try again.",
		ID: v.ID, Err: errors.New(reason)}
}

// maskDestination is v's destination as logs may show it.
func maskDestination(v *Verification) string {
	if v.Channel == ChannelEmail {
		return MaskEmail(v.Email)
	}
	return MaskPhone(v.Phone)
}

// storeError passes a store's *Error on and turns anything else into
// internal, logged here once with its context. A verification this
// instance lacks the key of is logged too: it is a deployment error.
func (s *Service) storeError(op, id string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Code == CodeKeyUnavailable {
			s.logMissingKey(op, id, e.KeyID)
		}
		return e
	}
	return s.internal(op, id, err)
}

// keyUnavailable answers and logs a verification derived with keyID,
// which this instance lacks.
func (s *Service) keyUnavailable(op, id, keyID string) error {
	s.logMissingKey(op, id, keyID)
	return KeyUnavailable(keyID)
}

// logMissingKey logs, at error level, that this instance lacks keyID:
// instances sharing a store with different secrets (or a key rotated away
// while its verifications live) cannot check each other's codes.
func (s *Service) logMissingKey(op, id, keyID string) {
	s.cfg.Logger.Error(fmt.Sprintf("this instance lacks key %s: every instance needs the same WEBOTP_SECRET", keyID),
		"op", op, "id", id, "key_id", keyID)
}

func (s *Service) internal(op, id string, err error) error {
	s.cfg.Logger.Error("internal error", "op", op, "id", id, "err", err)
	return &Error{Code: CodeInternal, Message: "Internal error.", Err: fmt.Errorf("%s %s: %w", op, id, err)}
}

// Link returns the verification link of app's pending verification id,
// its LinkURL with the current code in the fragment, for a QR code the
// user scans to continue on their phone. It derives the code, as a send
// does; nothing is stored or counted. Another app's verification is not
// found; an app without LinkURL answers link_not_configured, a
// verification no longer pending not_pending.
func (s *Service) Link(ctx context.Context, app *App, id string) (string, error) {
	v, err := s.Get(ctx, app, id)
	if err != nil {
		return "", err
	}
	if app.LinkURL == "" {
		return "", Errorf(CodeLinkNotConfigured, "This app has no link_url: its verifications have no link or QR code.")
	}
	if st := v.StatusAt(s.now()); st != StatusPending {
		return "", NotPending(st)
	}
	key := s.key(v.KeyID)
	if key == nil {
		return "", s.keyUnavailable("link", id, v.KeyID)
	}
	_, link, err := codeAndLink(app, key, v, app.Limits.Normalize())
	if err != nil {
		return "", s.internal("link", id, err)
	}
	return link, nil
}

// codeAndLink derives v's current code and, when app has a LinkURL, the
// verification link carrying it ("" without one).
func codeAndLink(app *App, key *serviceKey, v *Verification, lim Limits) (c, link string, err error) {
	c, err = key.codes.Derive(codeInput(v), uint64(v.Sends), lim.CodeLength)
	if err != nil {
		return "", "", err
	}
	if app.LinkURL != "" {
		if link, err = otpmsg.Link(app.LinkURL, c); err != nil {
			return "", "", fmt.Errorf("link of app %s: %w", app.ID, err)
		}
	}
	return c, link, nil
}
