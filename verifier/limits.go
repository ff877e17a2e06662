package verifier

import "time"

// limitBounds returns the smallest and largest values Normalize lets each
// limit take, the bounds of the README's security model: code length 4-10,
// a lifetime of at most 10 min (NIST SP 800-63B), at most 100 failures per
// phone (RFC 4226 §7.3); the others keep a misconfiguration from disabling
// a protection.
func limitBounds() (lo, hi Limits) {
	return Limits{
			CodeLength: 4, Lifetime: 30 * time.Second, MaxAttempts: 1, MaxSends: 1,
			ResendCooldown: time.Second, PhoneFailures: 1, PhoneFailureWindow: time.Minute,
			PhoneStarts: 1, PhoneStartWindow: time.Second, IPStarts: 1, IPStartWindow: time.Second,
			AppSends: 1, AppSendWindow: time.Second,
		}, Limits{
			CodeLength: 10, Lifetime: 10 * time.Minute, MaxAttempts: 100, MaxSends: 10,
			ResendCooldown: time.Hour, PhoneFailures: 100, PhoneFailureWindow: 7 * 24 * time.Hour,
			PhoneStarts: 1000, PhoneStartWindow: 24 * time.Hour, IPStarts: 1_000_000, IPStartWindow: 24 * time.Hour,
			AppSends: 1_000_000, AppSendWindow: 24 * time.Hour,
		}
}

// Normalize returns l with every zero or negative field replaced by its
// default from DefaultLimits and every other field held within its bounds:
// code length 4-10 digits, lifetime 30 s-10 min, 1-100 attempts, 1-10
// sends, cooldown 1 s-1 h, 1-100 phone failures per 1 min-7 days, 1-1000
// phone starts, 1-1,000,000 IP starts and app sends, windows up to a day.
func (l Limits) Normalize() Limits {
	d := DefaultLimits()
	lo, hi := limitBounds()
	n := func(v, def, lo, hi int) int {
		if v <= 0 {
			return def
		}
		return min(max(v, lo), hi)
	}
	t := func(v, def, lo, hi time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return min(max(v, lo), hi)
	}
	return Limits{
		CodeLength:         n(l.CodeLength, d.CodeLength, lo.CodeLength, hi.CodeLength),
		Lifetime:           t(l.Lifetime, d.Lifetime, lo.Lifetime, hi.Lifetime),
		MaxAttempts:        n(l.MaxAttempts, d.MaxAttempts, lo.MaxAttempts, hi.MaxAttempts),
		MaxSends:           n(l.MaxSends, d.MaxSends, lo.MaxSends, hi.MaxSends),
		ResendCooldown:     t(l.ResendCooldown, d.ResendCooldown, lo.ResendCooldown, hi.ResendCooldown),
		PhoneFailures:      n(l.PhoneFailures, d.PhoneFailures, lo.PhoneFailures, hi.PhoneFailures),
		PhoneFailureWindow: t(l.PhoneFailureWindow, d.PhoneFailureWindow, lo.PhoneFailureWindow, hi.PhoneFailureWindow),
		PhoneStarts:        n(l.PhoneStarts, d.PhoneStarts, lo.PhoneStarts, hi.PhoneStarts),
		PhoneStartWindow:   t(l.PhoneStartWindow, d.PhoneStartWindow, lo.PhoneStartWindow, hi.PhoneStartWindow),
		IPStarts:           n(l.IPStarts, d.IPStarts, lo.IPStarts, hi.IPStarts),
		IPStartWindow:      t(l.IPStartWindow, d.IPStartWindow, lo.IPStartWindow, hi.IPStartWindow),
		AppSends:           n(l.AppSends, d.AppSends, lo.AppSends, hi.AppSends),
		AppSendWindow:      t(l.AppSendWindow, d.AppSendWindow, lo.AppSendWindow, hi.AppSendWindow),
	}
}
