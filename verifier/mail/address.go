package mail

import "github.com/webotp/webotp/verifier"

// Limits on an address (RFC 5321 section 4.5.3.1), as the verifier holds
// addresses to them.
const (
	MaxLocalPart = verifier.MaxEmailLocalPart
	MaxAddress   = verifier.MaxEmail
)

// Why NormalizeAddress refuses an address: the verifier's own reasons, so
// that the rule lives in one place (verifier.NormalizeEmail).
var (
	ErrAddressSyntax   = verifier.ErrEmailSyntax
	ErrAddressTooLong  = verifier.ErrEmailTooLong
	ErrAddressLocal    = verifier.ErrEmailLocal
	ErrAddressDomain   = verifier.ErrEmailDomain
	ErrAddressNotDNSed = verifier.ErrEmailNotDNSed
)

// NormalizeAddress returns the one spelling of an email address that the
// verifier sends to and keys its per-address limits on (see
// verifier.NormalizeEmail), or an error saying why s is no address.
func NormalizeAddress(s string) (string, error) { return verifier.NormalizeEmail(s) }

// MaskAddress returns a normalised address with its local part hidden but
// for the first character ("a***@example.com"), for logs outside
// development mode (see verifier.MaskEmail).
func MaskAddress(addr string) string { return verifier.MaskEmail(addr) }
