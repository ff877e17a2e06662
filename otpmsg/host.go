package otpmsg

import (
	"errors"
	"strconv"
	"strings"
)

// canonicalHost canonicalises a host made of [a-zA-Z0-9.-] the way
// Chromium's GURL does for https:// and http:// URLs: ASCII lowercase, then,
// when the host ends in a number (WHATWG URL standard), the IPv4 parser,
// whose failure makes the host invalid and whose success rewrites it to
// dotted decimal ("0x7f.1" becomes "127.0.0.1"). Other hosts (empty labels,
// a trailing dot) are valid as they are.
func canonicalHost(h string) (string, bool) {
	h = toLowerASCII(h)
	if !endsInNumber(h) {
		return h, true
	}
	ip, ok := parseIPv4(h)
	if !ok {
		return "", false
	}
	return formatIPv4(ip), true
}

// toLowerASCII lowercases ASCII letters, allocating only when there is one
// to change.
func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// endsInNumber is the WHATWG URL standard's "ends in a number checker":
// whether the last label (ignoring one trailing dot) is all digits or parses
// as an IPv4 number (0x hex, 0 octal). Such hosts are IPv4 or invalid.
func endsInNumber(h string) bool {
	if h == "" {
		return false
	}
	if h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	digits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	_, ok := parseIPv4Number(last)
	return ok
}

// parseIPv4Number is the URL standard's IPv4 number parser. Values that do
// not fit in 32 bits are returned as 1<<32 (too large for any position).
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base = s[2:], 16
	} else if len(s) >= 2 && s[0] == '0' {
		s, base = s[1:], 8
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		if n <= 1<<32 {
			n = n*base + d
		}
		if n > 1<<32 {
			n = 1 << 32
		}
	}
	return n, true
}

// parseIPv4 is the URL standard's IPv4 parser (one trailing dot allowed).
func parseIPv4(h string) (uint32, bool) {
	if h != "" && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	var nums [4]uint64
	n := 0
	for {
		if n == 4 {
			return 0, false
		}
		part := h
		dot := strings.IndexByte(h, '.')
		if dot >= 0 {
			part = h[:dot]
		}
		v, ok := parseIPv4Number(part)
		if !ok {
			return 0, false
		}
		nums[n] = v
		n++
		if dot < 0 {
			break
		}
		h = h[dot+1:]
	}
	for i := 0; i < n-1; i++ {
		if nums[i] > 255 {
			return 0, false
		}
	}
	if nums[n-1] >= 1<<(8*(5-n)) {
		return 0, false
	}
	ip := nums[n-1]
	for i := 0; i < n-1; i++ {
		ip += nums[i] << (8 * (3 - i))
	}
	return uint32(ip), true
}

// formatIPv4 writes ip in dotted decimal.
func formatIPv4(ip uint32) string {
	var b [15]byte
	n := 0
	for i := 3; i >= 0; i-- {
		v := byte(ip >> (8 * i))
		if v >= 100 {
			b[n] = '0' + v/100
			n++
		}
		if v >= 10 {
			b[n] = '0' + v/10%10
			n++
		}
		b[n] = '0' + v%10
		n++
		if i > 0 {
			b[n] = '.'
			n++
		}
	}
	return string(b[:n])
}

// IsLocalhost reports whether Chromium reads a canonical SMS host with the
// http scheme rather than https: "localhost", a subdomain of localhost, or
// an address in 127.0.0.0/8 (one trailing dot allowed).
func IsLocalhost(host string) bool {
	h := toLowerASCII(host)
	if endsInNumber(h) {
		ip, ok := parseIPv4(h)
		return ok && ip>>24 == 127
	}
	h = strings.TrimSuffix(h, ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// NormalizeHost turns a host as a person writes it ("Bücher.Example",
// "WWW.EXAMPLE.COM", "127.1") into the form an SMS names it in: lowercase
// ASCII with IDN labels as punycode, IPv4 in dotted decimal. It refuses
// anything Format would refuse (ports, paths, a trailing dot, bad labels).
func NormalizeHost(host string) (string, error) {
	h := host
	if !isASCII(h) {
		if strings.ContainsAny(h, ":/?#@[]\\%") || hasSpaceOrControl(h) {
			return "", errors.New("otpmsg: host " + strconv.Quote(host) + " must be a host name alone, without port, path or user")
		}
		a, err := toASCIIHost(h)
		if err != nil {
			return "", errors.New("otpmsg: host " + strconv.Quote(host) + " is not a valid international domain name: " + err.Error())
		}
		h = a
	}
	h = toLowerASCII(h)
	if endsInNumber(h) && !strings.HasSuffix(h, ".") {
		if ip, ok := parseIPv4(h); ok {
			h = formatIPv4(ip)
		}
	}
	if reason := hostProblem(h); reason != "" {
		return "", errors.New("otpmsg: host " + strconv.Quote(host) + " " + reason)
	}
	return h, nil
}

// HostFromOrigin turns a web origin ("https://www.Example.com",
// "http://localhost:8080", "https://bücher.example") into the host an SMS
// binds a code to: lowercase punycode, no port. It refuses anything that is
// not exactly scheme://host[:port] with an http or https scheme, and hosts
// an SMS cannot name (IPv6 literals among them).
func HostFromOrigin(origin string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", errors.New("otpmsg: origin " + strconv.Quote(origin) + " " + reason)
	}
	i := strings.Index(origin, "://")
	if i < 0 {
		return fail("is not scheme://host[:port]")
	}
	switch strings.ToLower(origin[:i]) {
	case "https", "http":
	default:
		return fail("must use the https or http scheme")
	}
	rest := origin[i+3:]
	if strings.ContainsAny(rest, "/?#@\\") {
		return fail("must be only scheme://host[:port], without path, query, fragment or user")
	}
	if strings.HasPrefix(rest, "[") {
		return fail("has an IPv6 host, which an SMS cannot name")
	}
	host := rest
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		host = rest[:j]
		if !validPort(rest[j+1:]) {
			return fail("has an invalid port")
		}
	}
	if host == "" {
		return fail("has no host")
	}
	h, err := NormalizeHost(host)
	if err != nil {
		return "", errors.New("otpmsg: origin " + strconv.Quote(origin) + ": " + strings.TrimPrefix(err.Error(), "otpmsg: "))
	}
	return h, nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// hasSpaceOrControl reports whether s has ASCII space or control bytes,
// which URL parsers silently drop but a host name never has.
func hasSpaceOrControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hostProblem says why h cannot be written in a message that every reader
// reads identically, or returns "". Such a host is lowercase ASCII LDH
// labels of 1-63 characters, 253 at most in all, without a trailing dot,
// with valid punycode in xn-- labels, and not an IPv4-looking name that
// Chromium would rewrite or reject (canonical dotted decimal is fine).
func hostProblem(h string) string {
	switch {
	case h == "":
		return "is empty"
	case strings.Contains(h, "://"):
		return "must not have a scheme"
	case !isASCII(h):
		return "must be ASCII: write an international domain name in punycode (xn--)"
	case strings.ContainsAny(h, "/?#"):
		return "must not have a path"
	case strings.ContainsRune(h, '@'):
		return "must not have a user name"
	case strings.ContainsRune(h, ':'):
		return "must not have a port"
	case strings.HasSuffix(h, "."):
		return "must not end with a dot"
	case len(h) > 253:
		return "is longer than 253 characters"
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'A' <= c && c <= 'Z' {
			return "must be lowercase"
		}
		if !isHostChar(c) {
			return "may only contain a-z, 0-9, '-' and '.'"
		}
	}
	for label := range strings.SplitSeq(h, ".") {
		switch {
		case label == "":
			return "has an empty label"
		case len(label) > 63:
			return "has a label longer than 63 characters"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "has a label that starts or ends with '-'"
		case strings.HasPrefix(label, "xn--") && !validPunycodeLabel(label):
			return "has an xn-- label that is not valid punycode"
		}
	}
	if endsInNumber(h) {
		ip, ok := parseIPv4(h)
		if !ok {
			return "looks like an IPv4 address but is not one (Chromium rejects it)"
		}
		if formatIPv4(ip) != h {
			return "is an IPv4 address not in dotted decimal (Chromium rewrites it to " + formatIPv4(ip) + ")"
		}
	}
	return ""
}
