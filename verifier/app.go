package verifier

import (
	"errors"
	"fmt"
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
	Limits    Limits
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

// DefaultLimits are the limits of ARCHITECTURE.md's security table.
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

// Validate reports the first problem in app's configuration: no id, no
// origin or one that is not exactly https://host[:port] (http://localhost
// too when dev), a country that is not an ISO 3166 region code, or a text
// or app hash the message formatter refuses (a text line that reads as an
// OTP line would bind a code to another site).
func (a *App) Validate(dev bool) error {
	if a.ID == "" {
		return errors.New("verifier: app without an id")
	}
	if len(a.Origins) == 0 {
		return fmt.Errorf("verifier: app %s: no allowed origin", a.ID)
	}
	for _, o := range a.Origins {
		if _, _, err := canonicalOrigin(o, dev); err != nil {
			return fmt.Errorf("verifier: app %s: origin %q: %s", a.ID, o, err.Message)
		}
	}
	regions := phonenumbers.GetSupportedRegions()
	for _, c := range a.Countries {
		if !regions[strings.ToUpper(c)] {
			return fmt.Errorf("verifier: app %s: %q is not a region code", a.ID, c)
		}
	}
	lim := a.Limits.Normalize()
	sample := strings.Repeat("9", lim.CodeLength)
	host, _ := otpmsg.HostFromOrigin(a.Origins[0])
	if _, err := otpmsg.Format(otpmsg.Message{Text: AppText(a, sample), Host: host, Code: sample, AppHash: a.AppHash}); err != nil {
		return fmt.Errorf("verifier: app %s: message text: %w", a.ID, err)
	}
	return nil
}
