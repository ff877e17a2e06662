package otpmsg

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is what Format writes: the human text, the host the code is bound
// to, the code, and optionally a verification link, an iframe host and an
// Android app hash.
type Message struct {
	// Text is the human part, e.g. "Your Example code is 123456.". It may
	// span lines but must contain nothing a browser could read as an OTP
	// line.
	Text string
	// Host is the top-level site's host: lowercase ASCII, IDN as punycode,
	// no scheme, port or path (see NormalizeHost and HostFromOrigin).
	Host string
	// Code is the one-time code: no whitespace, '#' or '@'.
	Code string
	// EmbeddedHost is the cross-origin iframe's host, or "".
	EmbeddedHost string
	// AppHash is the 11-character Android SMS Retriever hash, or "".
	AppHash string
	// Link is the verification link that fills the code in by itself, as
	// Link(url, Code) returns it, or "".
	Link string
}

// FormatError says which Message field Format refuses and why.
type FormatError struct {
	// Field is "text", "host", "code", "embedded_host", "app_hash" or
	// "link".
	Field string
	// Reason is a human sentence fragment about the field.
	Reason string
}

// Error returns the field and reason with the package prefix.
func (e *FormatError) Error() string {
	return "otpmsg: " + e.Field + " " + e.Reason
}

// Format returns the SMS body for m: Text and a blank line (when Text is not
// empty), the Link and a blank line (when given), the AppHash line (when
// given), then "@host #code" or
// "@host #code @embedded-host", with no trailing newline. It refuses, with a
// *FormatError, anything the spec and Chromium (and Safari) would not read
// back exactly as m's Host, Code and EmbeddedHost.
func Format(m Message) (string, error) {
	if r := hostProblem(m.Host); r != "" {
		return "", &FormatError{Field: "host", Reason: r}
	}
	if m.EmbeddedHost != "" {
		if r := hostProblem(m.EmbeddedHost); r != "" {
			return "", &FormatError{Field: "embedded_host", Reason: r}
		}
	}
	if r := codeProblem(m.Code); r != "" {
		return "", &FormatError{Field: "code", Reason: r}
	}
	if m.AppHash != "" && !validAppHash(m.AppHash) {
		return "", &FormatError{Field: "app_hash", Reason: "must be 11 characters of A-Z, a-z, 0-9, '+' and '/'"}
	}
	if r := textProblem(m.Text); r != "" {
		return "", &FormatError{Field: "text", Reason: r}
	}
	if m.Link != "" {
		if r := linkProblem(m.Link, m.Code); r != "" {
			return "", &FormatError{Field: "link", Reason: r}
		}
	}
	n := len(m.Text) + 2 + len(m.Link) + 2 + len(m.AppHash) + 1 + len(m.Host) + len(m.Code) + len(m.EmbeddedHost) + 5
	var b strings.Builder
	b.Grow(n)
	if m.Text != "" {
		b.WriteString(m.Text)
		b.WriteString("\n\n")
	}
	if m.Link != "" {
		b.WriteString(m.Link)
		b.WriteString("\n\n")
	}
	if m.AppHash != "" {
		b.WriteString(m.AppHash)
		b.WriteByte('\n')
	}
	b.WriteByte('@')
	b.WriteString(m.Host)
	b.WriteString(" #")
	b.WriteString(m.Code)
	if m.EmbeddedHost != "" {
		b.WriteString(" @")
		b.WriteString(m.EmbeddedHost)
	}
	return b.String(), nil
}

// codeProblem says why c cannot be a code every reader reads in full, or
// returns "".
func codeProblem(c string) string {
	if c == "" {
		return "is empty"
	}
	if !utf8.ValidString(c) {
		return "is not valid UTF-8"
	}
	for _, r := range c {
		switch {
		case r == '#':
			return "must not contain '#' (Chromium cuts the code there)"
		case r == '@':
			return "must not contain '@'"
		case unicode.IsSpace(r):
			return "must not contain whitespace"
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return "must not contain control or invisible formatting characters"
		}
	}
	return ""
}

func validAppHash(h string) bool {
	if len(h) != 11 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// textProblem says why t cannot be the human part of a message, or returns
// "". It refuses, beyond what the two grammars strictly need, any
// "@word #x" after the start or whitespace (Unicode whitespace included)
// and any line the spec would read as an OTP line were it last: a text a
// reader could bind to another site must never reach a phone.
func textProblem(t string) string {
	if !utf8.ValidString(t) {
		return "is not valid UTF-8"
	}
	if s, ok := otpLooking(t); ok {
		return "contains " + strconv.Quote(s) + ", which a browser could read as the OTP line"
	}
	for line := range strings.FieldsFuncSeq(t, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if _, err := parseSpec(line); err == nil {
			return "contains the line " + strconv.Quote(line) + ", which the spec reads as an OTP line"
		}
	}
	return ""
}

// otpLooking finds, in valid UTF-8 text t, an '@' at the start or after
// whitespace, followed by a run of non-whitespace, whitespace, '#' and one
// character that is not ASCII whitespace. This covers every match of
// Chromium's pattern and its near misses with Unicode spaces.
func otpLooking(t string) (string, bool) {
	prevSpace := true
	for i, r := range t {
		if r == '@' && prevSpace {
			if end, ok := otpLookingAt(t, i); ok {
				return t[i:end], true
			}
		}
		prevSpace = unicode.IsSpace(r)
	}
	return "", false
}

func otpLookingAt(t string, at int) (int, bool) {
	i := at + 1
	word := i
	for i < len(t) {
		r, n := utf8.DecodeRuneInString(t[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	if i == word {
		return 0, false
	}
	gap := i
	for i < len(t) {
		r, n := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	if i == gap || i+1 >= len(t) || t[i] != '#' || isSpace(t[i+1]) {
		return 0, false
	}
	_, n := utf8.DecodeRuneInString(t[i+1:])
	return i + 1 + n, true
}
