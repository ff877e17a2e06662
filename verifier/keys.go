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

// ipHash is the keyed hash of a client IP, by the network clientNet
// limits it by.
func (k *serviceKey) ipHash(appID, ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return "", Errorf(CodeInvalidRequest, "client_ip must be an IPv4 or IPv6 address.")
	}
	return k.hash(appID, "ip:"+clientNet(a)), nil
}

// clientNet names the network the per-IP limit counts a client address
// in: an IPv4 address by itself, also when it is written as IPv6 (so that
// one address cannot earn five budgets), any other IPv6 address by its
// /64, one subscriber's usual allocation. The IPv6 forms that carry an
// IPv4 address are:
//
//	::ffff:a.b.c.d       IPv4-mapped (RFC 4291)
//	::ffff:0:a.b.c.d     IPv4-translated (RFC 2765)
//	::a.b.c.d            IPv4-compatible (RFC 4291, deprecated); not for
//	                     a.b.c.d in 0.0.0.0/8, so :: and ::1 stay IPv6
//	64:ff9b::a.b.c.d     NAT64, the well-known prefix (RFC 6052)
//	2002:aabb:ccdd::/48  6to4 (RFC 3056): a.b.c.d in bits 16 to 48
func clientNet(a netip.Addr) string {
	if v4, ok := embeddedIPv4(a); ok {
		return v4.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// embeddedIPv4 returns the IPv4 address a is or carries (see clientNet).
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4() || a.Is4In6() {
		return a.Unmap(), true
	}
	b := a.As16()
	last := netip.AddrFrom4([4]byte(b[12:]))
	var zero [12]byte
	switch {
	case [12]byte(b[:12]) == zero:
		return last, b[12] != 0
	case [12]byte(b[:12]) == [12]byte{8: 0xff, 9: 0xff}:
		return last, true
	case [12]byte(b[:12]) == [12]byte{0: 0x00, 1: 0x64, 2: 0xff, 3: 0x9b}:
		return last, true
	case b[0] == 0x20 && b[1] == 0x02:
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
