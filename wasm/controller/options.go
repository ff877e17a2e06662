package controller

import (
	"strings"
	"time"
)

// DefaultTimeout is how long a request waits for a code unless
// data-timeout says otherwise: Chromium's own limit, 4 minutes.
const DefaultTimeout = 240 * time.Second

// maxTimeout bounds data-timeout so a typo cannot keep a request (and
// its dev-mode polling) alive for days.
const maxTimeout = time.Hour

// Attrs reads an element's attributes: the script tag's or an input's.
type Attrs interface {
	// Attr returns the attribute's value and whether it is present.
	Attr(name string) (string, bool)
}

// Options are the settings of one input after the script tag's
// defaults and the input's own attributes are combined.
type Options struct {
	// Timeout ends a request with reason "timeout" (data-timeout, seconds).
	Timeout time.Duration
	// Autosubmit submits the input's form with requestSubmit() after a
	// fill (data-autosubmit).
	Autosubmit bool
	// Off leaves the input alone (data-webotp="off" on the input).
	Off bool
	// DevOutbox is the verifier's /dev/outbox URL as written
	// (data-dev-outbox); the controller uses it only on a loopback host.
	DevOutbox string
}

// ResolveOptions combines the script tag's attributes (defaults; script
// may be nil) with the input's (overrides; input may be nil).
// Unreadable values are ignored: a bad data-timeout keeps the default.
func ResolveOptions(script, input Attrs) Options {
	o := Options{Timeout: DefaultTimeout}
	for _, a := range []Attrs{script, input} {
		if a == nil {
			continue
		}
		if v, ok := a.Attr("data-timeout"); ok {
			if d, ok := parseSeconds(v); ok {
				o.Timeout = d
			}
		}
		if v, ok := a.Attr("data-autosubmit"); ok {
			o.Autosubmit = parseBool(v)
		}
		if v, ok := a.Attr("data-dev-outbox"); ok {
			o.DevOutbox = trimASCII(v)
		}
	}
	if input != nil {
		if v, ok := input.Attr("data-webotp"); ok {
			o.Off = lowerASCII(trimASCII(v)) == "off"
		}
	}
	return o
}

// parseSeconds reads a positive decimal number of seconds ("90", "2.5",
// ".5"), at millisecond precision, capped at maxTimeout. It is written out
// rather than using strconv.ParseFloat, which would add its tables to
// the wasm.
func parseSeconds(v string) (time.Duration, bool) {
	// Not strings.Cut: its strings.Index links ~4 KB of search code.
	whole, frac := trimASCII(v), ""
	if i := strings.IndexByte(whole, '.'); i >= 0 {
		whole, frac = whole[:i], whole[i+1:]
	}
	if whole == "" && frac == "" {
		return 0, false
	}
	var ms int64
	for i := 0; i < len(whole); i++ {
		c := whole[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if ms < maxTimeout.Milliseconds() {
			ms = ms*10 + int64(c-'0')*1000
		}
	}
	scale := int64(100)
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		ms += int64(c-'0') * scale
		scale /= 10
	}
	d := time.Duration(min(ms, maxTimeout.Milliseconds())) * time.Millisecond
	return d, d > 0
}

// parseBool reads a boolean attribute: present means on, unless its
// value is one of the usual words for off.
func parseBool(v string) bool {
	switch lowerASCII(trimASCII(v)) {
	case "false", "off", "no", "0":
		return false
	}
	return true
}

// IsLoopback reports whether hostname (as location.hostname gives it)
// is one on which dev emulation may run: localhost, 127.0.0.1, [::1].
func IsLoopback(hostname string) bool {
	switch lowerASCII(hostname) {
	case "localhost", "127.0.0.1", "[::1]", "::1":
		return true
	}
	return false
}
