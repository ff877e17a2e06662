package otpmsg

import (
	"strconv"
	"strings"
)

// LinkParam names the parameter a verification link carries its code in:
// "#otp=123456" in the fragment (never sent to a server, so never in access
// logs or a Referer), or "?otp=123456" in the query for links made
// elsewhere.
const LinkParam = "otp"

// MaxLinkURL bounds a verification page's URL in bytes: the link travels
// in an SMS, where every character counts.
const MaxLinkURL = 200

// CheckLinkURL says, with a *FormatError for the field "link", why s cannot
// be the URL of a verification page, or returns nil. The URL must be
// https (or http on localhost, 127.0.0.1 or [::1], for development), of
// printable ASCII (international hosts as punycode), at most MaxLinkURL
// bytes, without a fragment (the code goes there), user information or '@'.
func CheckLinkURL(s string) error {
	if r := linkURLProblem(s); r != "" {
		return &FormatError{Field: "link", Reason: r}
	}
	return nil
}

func linkURLProblem(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > MaxLinkURL {
		return "is longer than " + strconv.Itoa(MaxLinkURL) + " bytes"
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return "must be printable ASCII without spaces (write international hosts in punycode)"
		}
	}
	if strings.IndexByte(s, '#') >= 0 {
		return "must not have a fragment: the code goes there"
	}
	if strings.IndexByte(s, '@') >= 0 {
		return "must not contain '@' (no user information)"
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "is not an absolute URL with a host"
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	host, ok := splitPort(authority)
	if !ok || host == "" {
		return "is not an absolute URL with a host"
	}
	for i := strings.IndexByte(rest, '%'); i >= 0; i = strings.IndexByte(rest, '%') {
		if i+2 >= len(rest) || unhex(rest[i+1]) < 0 || unhex(rest[i+2]) < 0 {
			return "has a '%' that is not a percent-escape"
		}
		rest = rest[i+3:]
	}
	switch scheme {
	case "https":
	case "http":
		if host != "localhost" && host != "127.0.0.1" && host != "[::1]" {
			return "must be https (http only on localhost)"
		}
	default:
		return "must be https (http only on localhost)"
	}
	return ""
}

// splitPort returns the host of an authority (no user information: '@'
// is refused before), without its port, and whether the port, if any, is
// digits. The URL is read here rather than with net/url, which would grow
// the client's WebAssembly (otpmsg is linked into it) past its size budget
// (make build prints the sizes).
func splitPort(authority string) (string, bool) {
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", false
		}
		host, port = authority[:end+1], authority[end+1:]
		if port != "" && port[0] != ':' {
			return "", false
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i+1:]
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' ||
			host[0] == '[' && (c == ':' || c == '[' && i == 0 || c == ']' && i == len(host)-1)) {
			return "", false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return "", false
		}
	}
	return host, true
}

// Link returns the verification link of linkURL and code: linkURL with
// "#otp=" and the code appended, e.g. https://www.example.com/verify#otp=123456.
// linkURL must pass CheckLinkURL, and the code must be ASCII digits (as
// NormalizeCode returns them), which need no escaping in a URL.
func Link(linkURL, code string) (string, error) {
	if err := CheckLinkURL(linkURL); err != nil {
		return "", err
	}
	if len(code) > MaxCodeInput || !isASCIIDigits(code) {
		return "", &FormatError{Field: "code", Reason: "must be ASCII digits to go in a link"}
	}
	return linkURL + "#" + LinkParam + "=" + code, nil
}

// linkProblem says why link cannot be the Link of a message whose code is
// code, or returns "".
func linkProblem(link, code string) string {
	base, frag, ok := strings.Cut(link, "#")
	if !ok {
		return "must end with #otp= and the message's code (see Link)"
	}
	if r := linkURLProblem(base); r != "" {
		return r
	}
	if frag != LinkParam+"="+code || !isASCIIDigits(code) {
		return "must end with #otp= and the message's code (see Link)"
	}
	return ""
}

// CodeFromURL reads the code a verification link carries, from a page
// URL's fragment and query (with or without their leading '#' and '?'):
// the first otp parameter of the fragment, or else of the query. The value
// is percent-decoded and must be a code NormalizeCode accepts; it is
// returned normalised. Nothing else of the URL is read.
func CodeFromURL(fragment, query string) (string, bool) {
	v, ok := param(strings.TrimPrefix(fragment, "#"))
	if !ok {
		v, ok = param(strings.TrimPrefix(query, "?"))
	}
	if !ok || len(v) > 3*MaxCodeInput {
		return "", false
	}
	v, ok = unescape(v)
	if !ok {
		return "", false
	}
	code, err := NormalizeCode(v)
	if err != nil {
		return "", false
	}
	return code, true
}

// param returns the raw value of the first LinkParam in a
// form-urlencoded string.
func param(s string) (string, bool) {
	for s != "" {
		var p string
		p, s, _ = strings.Cut(s, "&")
		if k, v, ok := strings.Cut(p, "="); ok && k == LinkParam {
			return v, true
		}
	}
	return "", false
}

// unescape percent-decodes s as a form value ('+' is a space). It is
// written here rather than taken from net/url so that the client's
// WebAssembly, which reads links with CodeFromURL, stays small.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			h, l := unhex(s[i+1]), unhex(s[i+2])
			if h < 0 || l < 0 {
				return "", false
			}
			b = append(b, byte(h<<4|l))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
