package otpmsg

// RawChromiumMatch exposes the scanner's first match, before host
// canonicalisation, so tests can compare it with the regexp it replaces.
func RawChromiumMatch(msg string) (OTP, bool) {
	m, ok := firstChromiumMatch(msg)
	return m.raw, ok
}

// ChromiumMatchAt exposes where Chromium's pattern first matches, which
// Check reports as a line number.
var ChromiumMatchAt = chromiumMatchAt
