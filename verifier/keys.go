package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
)

// hash is the keyed hash of a value within an app, the form in which phone
// numbers and IP addresses become store keys: 128 bits of
// HMAC-SHA256(limit key, app NUL value), base64url (22 characters).
func (k *serviceKey) hash(appID, value string) string {
	mac := hmac.New(sha256.New, k.limitKey)
	mac.Write([]byte(appID))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0])[:16])
}

// ipHash is the keyed hash of a client IP: IPv4 by address, IPv6 by /64
// (one subscriber's usual allocation), IPv4-mapped IPv6 as IPv4.
func (k *serviceKey) ipHash(appID, ip string) (string, *Error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return "", Errorf(CodeInvalidRequest, "client_ip must be an IPv4 or IPv6 address.")
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return k.hash(appID, "ip:"+p.String()), nil
	}
	return k.hash(appID, "ip:"+a.String()), nil
}
