package otpmsg

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// OTP is what a grammar reads from a message: the top-level host the code is
// bound to, the code, and the optional iframe (embedded) host.
type OTP struct {
	Host         string
	Code         string
	EmbeddedHost string
}

// Rules names the grammar Parse reads a message with.
type Rules int

const (
	// Spec reads a message as the WICG text is written: last line, tokens
	// separated by single spaces, hosts not validated.
	Spec Rules = iota
	// Chromium reads a message as Chromium does: first regex match anywhere,
	// then hosts canonicalised as URL hosts.
	Chromium
)

// String returns the name ParseRules accepts: "spec" or "chromium".
func (r Rules) String() string {
	switch r {
	case Spec:
		return "spec"
	case Chromium:
		return "chromium"
	}
	return "unknown"
}

// ParseRules returns the Rules named s ("spec" or "chromium", as printed by
// Rules.String).
func ParseRules(s string) (Rules, error) {
	switch s {
	case "spec":
		return Spec, nil
	case "chromium":
		return Chromium, nil
	}
	return 0, errors.New(`otpmsg: unknown rules "` + s + `" (want spec or chromium)`)
}

// ParseError says why a message is not an origin-bound one-time-code message
// under the rules it was read with.
type ParseError struct {
	// Reason is a human sentence fragment, without the package prefix.
	Reason string
}

// Error returns the reason with the package prefix.
func (e *ParseError) Error() string { return "otpmsg: " + e.Reason }

// Reasons Parse gives. They are constants so that parsing allocates nothing
// but the error itself.
const (
	reasonEmptyLastLine = "the last line is empty (a trailing newline?)"
	reasonNoAt          = "the last line does not start with @"
	reasonEmptyHost     = "the host after @ is empty"
	reasonNoSpace       = "the host is not followed by exactly one space and #code"
	reasonNoHash        = "the host and one space are not followed by #"
	reasonEmptyCode     = "the code after # is empty"
	reasonNoMatch       = "no @host #code anywhere in the message matches Chromium's pattern"
	reasonBadIPv4       = "the host looks like an IPv4 address but is not a valid one"
	reasonBadIframeIPv4 = "the iframe host looks like an IPv4 address but is not a valid one"
	reasonUnknownRules  = "unknown rules"
)

// Parse reads a whole SMS message under the rules. A message that is not an
// origin-bound one-time-code message under them yields a *ParseError.
func Parse(msg string, rules Rules) (OTP, error) {
	switch rules {
	case Spec:
		return parseSpec(msg)
	case Chromium:
		return parseChromium(msg)
	}
	return OTP{}, &ParseError{Reason: reasonUnknownRules}
}

// ParseChromium is Parse(msg, Chromium). Callers that only ever read
// messages as Chromium does (the browser client) use it so that the other
// grammar is not linked in.
func ParseChromium(msg string) (OTP, error) { return parseChromium(msg) }

// ParseSpec is Parse(msg, Spec).
func ParseSpec(msg string) (OTP, error) { return parseSpec(msg) }

// isSpace reports whether c is ASCII whitespace: the Infra standard's set and
// RE2's \s alike (TAB, LF, FF, CR, SPACE; not VT).
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'
}

// isHostChar reports whether c is in Chromium's host class [a-zA-Z0-9.-].
func isHostChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// lastLine returns what follows the last CR or LF of msg: the spec's last
// line after newline normalisation (CRLF and CR become LF).
func lastLine(msg string) string {
	for i := len(msg) - 1; i >= 0; i-- {
		if msg[i] == '\n' || msg[i] == '\r' {
			return msg[i+1:]
		}
	}
	return msg
}

// markedToken is the spec's "extract a marked token": marker, then a
// non-empty run of anything but ASCII whitespace.
func markedToken(s string, marker byte) (token, rest string, ok bool) {
	if s == "" || s[0] != marker {
		return "", s, false
	}
	i := 1
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	if i == 1 {
		return "", s, false
	}
	return s[1:i], s[i:], true
}

func parseSpec(msg string) (OTP, error) {
	line := lastLine(msg)
	host, rest, ok := markedToken(line, '@')
	if !ok {
		switch {
		case line == "":
			return OTP{}, &ParseError{Reason: reasonEmptyLastLine}
		case line[0] != '@':
			return OTP{}, &ParseError{Reason: reasonNoAt}
		}
		return OTP{}, &ParseError{Reason: reasonEmptyHost}
	}
	if rest == "" || rest[0] != ' ' {
		return OTP{}, &ParseError{Reason: reasonNoSpace}
	}
	rest = rest[1:]
	code, rest, ok := markedToken(rest, '#')
	if !ok {
		if rest == "" || rest[0] != '#' {
			return OTP{}, &ParseError{Reason: reasonNoHash}
		}
		return OTP{}, &ParseError{Reason: reasonEmptyCode}
	}
	otp := OTP{Host: host, Code: code}
	if rest != "" && rest[0] == ' ' {
		if emb, _, ok := markedToken(rest[1:], '@'); ok {
			otp.EmbeddedHost = emb
		}
	}
	return otp, nil
}

// chromiumMatch is one match of Chromium's pattern: the byte offsets of the
// '@' it starts at and the three groups (EmbeddedHost empty when the optional
// group did not match).
type chromiumMatch struct {
	at  int
	raw OTP
}

// matchChromiumAt tries Chromium's pattern from the '@' at s[at], the caller
// having checked that it is at the start of s or after \s. With greedy
// quantifiers and classes that exclude the following literal, the leftmost-
// first match is the one built from maximal runs, so no backtracking is
// needed.
func matchChromiumAt(s string, at int) (OTP, bool) {
	i := at + 1
	for i < len(s) && isHostChar(s[i]) {
		i++
	}
	if i == at+1 || i+1 >= len(s) || s[i] != ' ' || s[i+1] != '#' {
		return OTP{}, false
	}
	host := s[at+1 : i]
	i += 2
	j := i
	for j < len(s) {
		n := codeCharLen(s, j)
		if n == 0 {
			break
		}
		j += n
	}
	if j == i {
		return OTP{}, false
	}
	m := OTP{Host: host, Code: s[i:j]}
	if j+1 < len(s) && s[j] == ' ' && s[j+1] == '@' {
		k := j + 2
		for k < len(s) && isHostChar(s[k]) {
			k++
		}
		m.EmbeddedHost = s[j+2 : k]
	}
	return m, true
}

// codeCharLen returns the byte length of the character at s[i] when it is in
// Chromium's code class [^#\s] (valid UTF-8 only, as RE2 matches), else 0.
func codeCharLen(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if c == '#' || isSpace(c) {
			return 0
		}
		return 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return 0
	}
	return n
}

// firstChromiumMatch returns Chromium's first (leftmost) match in msg.
func firstChromiumMatch(msg string) (chromiumMatch, bool) {
	for at := 0; at < len(msg); at++ {
		j := strings.IndexByte(msg[at:], '@')
		if j < 0 {
			break
		}
		at += j
		if at > 0 && !isSpace(msg[at-1]) {
			continue
		}
		if m, ok := matchChromiumAt(msg, at); ok {
			return chromiumMatch{at: at, raw: m}, true
		}
	}
	return chromiumMatch{}, false
}

// chromiumMatchAt returns the byte offset of the '@' where Chromium's
// pattern first matches msg, or -1. The match may still be rejected for an
// invalid host; Check uses the offset to say which line Chromium reads.
func chromiumMatchAt(msg string) int {
	if m, ok := firstChromiumMatch(msg); ok {
		return m.at
	}
	return -1
}

func parseChromium(msg string) (OTP, error) {
	m, ok := firstChromiumMatch(msg)
	if !ok {
		return OTP{}, &ParseError{Reason: reasonNoMatch}
	}
	otp := m.raw
	if otp.Host, ok = canonicalHost(otp.Host); !ok {
		return OTP{}, &ParseError{Reason: reasonBadIPv4}
	}
	if otp.EmbeddedHost != "" {
		if otp.EmbeddedHost, ok = canonicalHost(otp.EmbeddedHost); !ok {
			return OTP{}, &ParseError{Reason: reasonBadIframeIPv4}
		}
	}
	return otp, nil
}
