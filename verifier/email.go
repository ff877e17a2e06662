package verifier

import (
	"errors"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits on an email address, from RFC 5321 section 4.5.3.1: a local part
// (before the '@') of at most 64 octets, and a path of at most 256 octets,
// that is an address of at most 254 once the angle brackets are counted.
const (
	MaxEmailLocalPart = 64
	MaxEmail          = 254
)

// Why NormalizeEmail refuses an address. They are distinct so that a
// client is told precisely what to fix; each is the message of the
// invalid_email error checkEmail answers.
var (
	ErrEmailSyntax   = errors.New("the email address is not a single bare address such as name@example.com")
	ErrEmailTooLong  = errors.New("the email address is too long")
	ErrEmailLocal    = errors.New("the part of the email address before @ must be ASCII")
	ErrEmailDomain   = errors.New("the part of the email address after @ is not a valid domain name")
	ErrEmailNotDNSed = errors.New("the part of the email address after @ must be a domain name with a dot, not an IP address or a local name")
)

// emailDomainProfile maps an international domain name to ASCII as mail
// and DNS need it: UTS #46 nontransitional lookup mapping, STD3 characters
// only (letters, digits, hyphens), and DNS label and name lengths.
func emailDomainProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.BidiRule(),
		idna.Transitional(false),
		idna.StrictDomainName(true),
		idna.CheckHyphens(true),
		idna.CheckJoiners(true),
		idna.VerifyDNSLength(true),
	)
}

// NormalizeEmail returns the one spelling of an email address that the
// verifier sends to and keys its per-address limits on, or one of the
// ErrEmail errors saying why s is no address.
//
// s must be exactly one bare address, "name@example.com": no display name,
// angle brackets, comment, quoted local part or surrounding space (net/mail
// parses it, and it must print back as s). The local part must be ASCII
// (mail servers without SMTPUTF8 cannot take others, and Unicode spellings
// of one mailbox would count as different addresses). The domain is mapped
// to ASCII with IDNA (bücher.example becomes xn--bcher-kva.example) and
// must be a DNS name with at least one dot whose last label is not numeric.
// The whole address is lowercased: mailboxes are case-insensitive at every
// provider people use, and "Alice@" and "alice@" must share one limit.
// The local part is at most MaxEmailLocalPart bytes, the result at most
// MaxEmail.
func NormalizeEmail(s string) (string, error) {
	if len(s) > 4*MaxEmail {
		return "", ErrEmailTooLong
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrEmailSyntax
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrEmailSyntax
	}
	local, domain := s[:at], s[at+1:]
	for i := 0; i < len(local); i++ {
		if local[i] >= 0x80 {
			return "", ErrEmailLocal
		}
	}
	if len(local) > MaxEmailLocalPart {
		return "", ErrEmailTooLong
	}
	if strings.HasPrefix(domain, "[") {
		return "", ErrEmailNotDNSed
	}
	ascii, err := emailDomainProfile().ToASCII(domain)
	if err != nil || ascii == "" || strings.HasSuffix(ascii, ".") {
		return "", ErrEmailDomain
	}
	ascii = strings.ToLower(ascii)
	dot := strings.LastIndexByte(ascii, '.')
	if dot < 0 || isDigits(ascii[dot+1:]) {
		return "", ErrEmailNotDNSed
	}
	out := strings.ToLower(local) + "@" + ascii
	if len(out) > MaxEmail {
		return "", ErrEmailTooLong
	}
	return out, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkEmail normalizes s, answering invalid_email with the reason.
func checkEmail(s string) (string, error) {
	addr, err := NormalizeEmail(strings.TrimSpace(s))
	if err != nil {
		msg := err.Error()
		return "", &Error{Code: CodeInvalidEmail, Message: strings.ToUpper(msg[:1]) + msg[1:] + ".", Err: err}
	}
	return addr, nil
}

// MaskEmail returns a normalised address with its local part hidden but
// for the first character ("a***@example.com"), for logs outside
// development mode and for API answers. Anything without an '@' is masked
// whole.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	if at == 0 {
		return "***" + addr[at:]
	}
	_, n := utf8.DecodeRuneInString(addr)
	return addr[:n] + "***" + addr[at:]
}
