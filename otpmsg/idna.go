//go:build !(js && wasm)

package otpmsg

import "golang.org/x/net/idna"

// idnaProfile is the WHATWG URL standard's domain-to-ASCII (UTS #46,
// nontransitional, no hyphen checks) with DNS length limits on top.
func idnaProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.BidiRule(),
		idna.Transitional(false),
		idna.CheckHyphens(false),
		idna.CheckJoiners(true),
		idna.VerifyDNSLength(true),
	)
}

// toASCIIHost maps an international host name (no port, path or user) to
// lowercase punycode.
func toASCIIHost(h string) (string, error) {
	return idnaProfile().ToASCII(h)
}

// validPunycodeLabel reports whether an xn-- label decodes to a valid
// international label that encodes back to itself.
func validPunycodeLabel(label string) bool {
	p := idnaProfile()
	u, err := p.ToUnicode(label)
	if err != nil {
		return false
	}
	a, err := p.ToASCII(u)
	return err == nil && a == label
}
