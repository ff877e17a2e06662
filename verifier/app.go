package verifier

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/webotp/webotp/otpmsg"
)

// Retention is how long a verification's record is kept after its code
// expires, so that a late GET still answers with its final status.
const Retention = time.Hour

// App is the tenant an API key belongs to: which origins it may bind codes
// to, what its messages say and which limits hold.
type App struct {
	ID   string
	Name string
	// Origins are the exact origins ("https://www.example.com") codes may
	// be bound to, top-level or embedded.
	Origins []string
	// Text is the human part of the message; "{code}" and "{app}" are
	// replaced. Empty means "Your {app} verification code is {code}.".
	Text string
	// AppHash is the optional Android SMS Retriever hash line.
	AppHash string
	// Countries is an allowlist of ISO 3166 region codes ("US", "FR");
	// empty allows all.
	Countries []string
	// LinkURL is the app's verification page ("https://www.example.com/verify"),
	// on one of Origins; empty means no link. With it, every SMS and email
	// also carries the verification link, LinkURL#otp=CODE, which fills the
	// code in by itself, and GET /v1/verifications/{id}/qr answers its QR
	// code.
	LinkURL string
	Limits  Limits
}

// Limits are an app's security limits. A zero field means the default in
// DefaultLimits; Normalize applies defaults and bounds.
type Limits struct {
	CodeLength         int           // digits, 4-10 (default 6)
	Lifetime           time.Duration // of each code, at most 10 min (default 10 min)
	MaxAttempts        int           // wrong checks per verification (default 5)
	MaxSends           int           // sends per verification, first included (default 5)
	ResendCooldown     time.Duration // before the first resend, doubling (default 30 s)
	PhoneFailures      int           // failed checks per phone across verifications (default 20)
	PhoneFailureWindow time.Duration // (default 24 h)
	PhoneStarts        int           // new verifications per phone (default 5)
	PhoneStartWindow   time.Duration // (default 15 min)
	IPStarts           int           // new verifications per client IP, IPv6 by /64 (default 20)
	IPStartWindow      time.Duration // (default 15 min)
	AppSends           int           // messages sent per app (default 600)
	AppSendWindow      time.Duration // (default 1 min)
}

// DefaultLimits are the defaults of the README's security model (its table
// of limits).
func DefaultLimits() Limits {
	return Limits{
		CodeLength:         6,
		Lifetime:           10 * time.Minute,
		MaxAttempts:        5,
		MaxSends:           5,
		ResendCooldown:     30 * time.Second,
		PhoneFailures:      20,
		PhoneFailureWindow: 24 * time.Hour,
		PhoneStarts:        5,
		PhoneStartWindow:   15 * time.Minute,
		IPStarts:           20,
		IPStartWindow:      15 * time.Minute,
		AppSends:           600,
		AppSendWindow:      time.Minute,
	}
}

// maxAppID bounds an app's id, which names the app in logs, metrics and
// store keys.
const maxAppID = 64

// Validate reports the first problem in app's configuration as an
// invalid_request *Error whose message is "field: reason", the field
// named as in the apps file ("origins[1]", "limits.code_length"). It holds
// an app to the rules every request on it meets, so that a mistake stops
// the server at start rather than failing each request:
//   - id: 1-64 letters, digits, '.', '_' or '-' (it is part of store keys);
//   - origins: at least one, each as CheckOrigin accepts it, none twice;
//   - text and name: a sample message formatted for every origin, as
//     otpmsg.Format formats each SMS, is accepted (a text in which a
//     browser could read a second OTP line, "@evil.example #{code}", is
//     not);
//   - app_hash: empty, or the 11-character Android SMS Retriever hash;
//   - link_url: empty, or a URL otpmsg.CheckLinkURL accepts on one of the
//     origins;
//   - countries: ISO 3166 alpha-2 region codes that phone numbers are known
//     for, in either case;
//   - limits: each zero (the default) or within the bounds Normalize
//     documents.
//
// dev allows http origins on localhost, as development mode does.
func (a *App) Validate(dev bool) error {
	invalid := func(field, format string, args ...any) error {
		return Errorf(CodeInvalidRequest, "%s: %s", field, fmt.Sprintf(format, args...))
	}
	if a.ID == "" {
		return invalid("id", "is required")
	}
	if len(a.ID) > maxAppID || strings.TrimLeft(a.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return invalid("id", "%q must be 1-%d letters, digits, '.', '_' or '-'", a.ID, maxAppID)
	}
	if len(a.Origins) == 0 {
		return invalid("origins", "at least one origin is required")
	}
	hosts := make([]string, len(a.Origins))
	for i, o := range a.Origins {
		field := fmt.Sprintf("origins[%d]", i)
		if err := CheckOrigin(o, dev); err != nil {
			return invalid(field, "%s", messageOf(err))
		}
		if j := slices.Index(a.Origins[:i], o); j >= 0 {
			return invalid(field, "%q is also origins[%d]", o, j)
		}
		hosts[i], _ = otpmsg.HostFromOrigin(o)
	}
	if a.AppHash != "" {
		if _, err := otpmsg.Format(otpmsg.Message{Host: hosts[0], Code: "1", AppHash: a.AppHash}); err != nil {
			return invalid("app_hash", "%q %s", a.AppHash, reasonOf(err))
		}
	}
	if a.LinkURL != "" {
		if err := otpmsg.CheckLinkURL(a.LinkURL); err != nil {
			return invalid("link_url", "%q %s", a.LinkURL, reasonOf(err))
		}
		if _, _, err := allowedOrigin(a, linkOrigin(a.LinkURL), dev); err != nil {
			return invalid("link_url", "%q is not on one of the app's origins", a.LinkURL)
		}
	}
	regions := phonenumbers.GetSupportedRegions()
	for i, c := range a.Countries {
		if len(c) != 2 || !regions[strings.ToUpper(c)] {
			return invalid(fmt.Sprintf("countries[%d]", i), "%q is not an ISO 3166 alpha-2 region code (\"US\", \"FR\")", c)
		}
	}
	if err := a.Limits.validate(); err != nil {
		return err
	}
	sample := strings.Repeat("9", a.Limits.Normalize().CodeLength)
	var link string
	if a.LinkURL != "" {
		link, _ = otpmsg.Link(a.LinkURL, sample)
	}
	for i, host := range hosts {
		_, err := otpmsg.Format(otpmsg.Message{Text: AppText(a, sample), Host: host, Code: sample, AppHash: a.AppHash, Link: link})
		if err == nil {
			continue
		}
		var fe *otpmsg.FormatError
		if !errors.As(err, &fe) || fe.Field != "text" {
			return invalid(fmt.Sprintf("origins[%d]", i), "%s", reasonOf(err))
		}
		// The name is part of the text: blame it when the text is fine
		// with another.
		named := *a
		named.Name = "Example"
		if _, err := otpmsg.Format(otpmsg.Message{Text: AppText(&named, sample), Host: host, Code: sample}); err == nil {
			return invalid("name", "%s (where the text says {app})", fe.Reason)
		}
		return invalid("text", "%s (with the sample code %s)", fe.Reason, sample)
	}
	return nil
}

// linkOrigin is the origin of a URL that otpmsg.CheckLinkURL accepts:
// everything before the path, query or end.
func linkOrigin(linkURL string) string {
	i := strings.Index(linkURL, "://")
	if i < 0 {
		return linkURL
	}
	if j := strings.IndexAny(linkURL[i+3:], "/?"); j >= 0 {
		return linkURL[:i+3+j]
	}
	return linkURL
}

// CheckOrigin accepts an origin exactly as a browser serializes it, the
// form an app lists and a request names: https://host[:port] in lowercase,
// IDN as punycode, without a default port, path, query, fragment, user or
// a trailing dot in the host; http only on localhost when dev. Anything
// else is an invalid_origin *Error, naming the canonical form when there
// is one.
func CheckOrigin(origin string, dev bool) error {
	if _, err := otpmsg.HostFromOrigin(origin); err != nil {
		return Errorf(CodeInvalidOrigin, "%s", strings.TrimPrefix(err.Error(), "otpmsg: "))
	}
	canon, _, err := canonicalOrigin(origin, dev)
	if err != nil {
		// The host is fine (above): the scheme is not.
		return Errorf(CodeInvalidOrigin, "%q must use https (http only on localhost, in development mode)", origin)
	}
	if canon != origin {
		return Errorf(CodeInvalidOrigin, "%q is not written as browsers send it: write %q", origin, canon)
	}
	return nil
}

// messageOf is the client-safe message of err.
func messageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// reasonOf is the reason of an otpmsg.FormatError, or the error's text.
func reasonOf(err error) string {
	var fe *otpmsg.FormatError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
}

// validate refuses a limit that is neither zero (the default) nor within
// the bounds of limitBounds, naming it as the apps file does.
func (l Limits) validate() error {
	lo, hi := limitBounds()
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"code_length", l.CodeLength, lo.CodeLength, hi.CodeLength},
		{"max_attempts", l.MaxAttempts, lo.MaxAttempts, hi.MaxAttempts},
		{"max_sends", l.MaxSends, lo.MaxSends, hi.MaxSends},
		{"phone_failures", l.PhoneFailures, lo.PhoneFailures, hi.PhoneFailures},
		{"phone_starts", l.PhoneStarts, lo.PhoneStarts, hi.PhoneStarts},
		{"ip_starts", l.IPStarts, lo.IPStarts, hi.IPStarts},
		{"app_sends", l.AppSends, lo.AppSends, hi.AppSends},
	} {
		if f.v != 0 && (f.v < f.lo || f.v > f.hi) {
			return Errorf(CodeInvalidRequest, "limits.%s: %d is outside %d-%d (0 or absent means the default)", f.name, f.v, f.lo, f.hi)
		}
	}
	for _, f := range []struct {
		name      string
		v, lo, hi time.Duration
	}{
		{"lifetime", l.Lifetime, lo.Lifetime, hi.Lifetime},
		{"resend_cooldown", l.ResendCooldown, lo.ResendCooldown, hi.ResendCooldown},
		{"phone_failure_window", l.PhoneFailureWindow, lo.PhoneFailureWindow, hi.PhoneFailureWindow},
		{"phone_start_window", l.PhoneStartWindow, lo.PhoneStartWindow, hi.PhoneStartWindow},
		{"ip_start_window", l.IPStartWindow, lo.IPStartWindow, hi.IPStartWindow},
		{"app_send_window", l.AppSendWindow, lo.AppSendWindow, hi.AppSendWindow},
	} {
		if f.v != 0 && (f.v < f.lo || f.v > f.hi) {
			return Errorf(CodeInvalidRequest, "limits.%s: %s is outside %s-%s (0 or absent means the default)", f.name, f.v, f.lo, f.hi)
		}
	}
	return nil
}
