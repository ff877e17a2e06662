package mail

import (
	"errors"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits on an address, from RFC 5321 section 4.5.3.1: a local part (before
// the '@') of at most 64 octets, and a path of at most 256 octets, that is
// an address of at most 254 once the angle brackets are counted.
const (
	MaxLocalPart = 64
	MaxAddress   = 254
)

// Why NormalizeAddress refuses an address. They are distinct so that the
// verifier can answer with a precise message.
var (
	ErrAddressSyntax   = errors.New("mail: the address is not a single bare address such as name@example.com")
	ErrAddressTooLong  = errors.New("mail: the address is too long")
	ErrAddressLocal    = errors.New("mail: the part before @ must be ASCII")
	ErrAddressDomain   = errors.New("mail: the part after @ is not a valid domain name")
	ErrAddressNotDNSed = errors.New("mail: the part after @ must be a domain name with a dot, not an IP address or a local name")
)

// domainProfile maps an international domain name to ASCII as mail and DNS
// need it: UTS #46 nontransitional lookup mapping, STD3 characters only
// (letters, digits, hyphens), and DNS label and name lengths.
func domainProfile() *idna.Profile {
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

// NormalizeAddress returns the one spelling of an email address that the
// verifier sends to and keys its per-address limits on, or an error saying
// why s is no address.
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
// The local part is at most MaxLocalPart bytes, the result at most
// MaxAddress.
func NormalizeAddress(s string) (string, error) {
	if len(s) > 4*MaxAddress {
		return "", ErrAddressTooLong
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrAddressSyntax
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrAddressSyntax
	}
	local, domain := s[:at], s[at+1:]
	for i := 0; i < len(local); i++ {
		if local[i] >= 0x80 {
			return "", ErrAddressLocal
		}
	}
	if len(local) > MaxLocalPart {
		return "", ErrAddressTooLong
	}
	if strings.HasPrefix(domain, "[") {
		return "", ErrAddressNotDNSed
	}
	ascii, err := domainProfile().ToASCII(domain)
	if err != nil || ascii == "" || strings.HasSuffix(ascii, ".") {
		return "", ErrAddressDomain
	}
	ascii = strings.ToLower(ascii)
	dot := strings.LastIndexByte(ascii, '.')
	if dot < 0 || isDigits(ascii[dot+1:]) {
		return "", ErrAddressNotDNSed
	}
	out := strings.ToLower(local) + "@" + ascii
	if len(out) > MaxAddress {
		return "", ErrAddressTooLong
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

// MaskAddress returns a normalised address with its local part hidden but
// for the first character ("a***@example.com"), for logs outside
// development mode. Anything without an '@' is masked whole.
func MaskAddress(addr string) string {
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
