package verifier

import (
	"net/netip"
	"testing"
)

// clientNetCases are the client IPs and the network each is limited by;
// FuzzClientNet starts from them.
var clientNetCases = []struct {
	name, ip, net string
}{
	{"an IPv4 address is itself", "203.0.113.7", "203.0.113.7"},
	{"an IPv4-mapped address is its IPv4 address", "::ffff:203.0.113.7", "203.0.113.7"},
	{"an IPv4-mapped address in hex is its IPv4 address", "::ffff:cb00:7107", "203.0.113.7"},
	{"an IPv4-translated address is its IPv4 address", "::ffff:0:203.0.113.7", "203.0.113.7"},
	{"an IPv4-compatible address is its IPv4 address", "::203.0.113.7", "203.0.113.7"},
	{"a NAT64 address of the well-known prefix is its IPv4 address", "64:ff9b::203.0.113.7", "203.0.113.7"},
	{"a NAT64 address in upper case is its IPv4 address", "64:FF9B::CB00:7107", "203.0.113.7"},
	{"a 6to4 address is the IPv4 address in its bits 16 to 48", "2002:cb00:7107::1", "203.0.113.7"},
	{"another host behind one 6to4 router is the same IPv4 address", "2002:cb00:7107:42:a:b:c:d", "203.0.113.7"},
	{"the loopback ::1 keeps its /64", "::1", "::/64"},
	{"the unspecified address :: keeps its /64", "::", "::/64"},
	{"an IPv4-compatible form of 0.0.0.0/8 keeps its /64", "::0.1.2.3", "::/64"},
	{"a global IPv6 address is its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
	{"a NAT64 local-use address is its /64", "64:ff9b:1::203.0.113.7", "64:ff9b:1::/64"},
	{"a Teredo address is its /64", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136:e378::/64"},
	{"an IPv6 address next to the 6to4 prefix is its /64", "2003:cb00:7107::1", "2003:cb00:7107::/64"},
}

func TestClientNetCountsIPv4WrittenAsIPv6AsThatIPv4Address(t *testing.T) {
	for _, tc := range clientNetCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := clientNet(netip.MustParseAddr(tc.ip)); got != tc.net {
				t.Fatalf("clientNet(%s) = %s, want %s", tc.ip, got, tc.net)
			}
		})
	}
}

func TestEveryFormOfAnIPv4AddressHasOneLimitKey(t *testing.T) {
	k := serviceKey{limitKey: []byte("limit key")}
	want, err := k.ipHash("shop", "203.0.113.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"::ffff:203.0.113.7", "::203.0.113.7", "64:ff9b::203.0.113.7", "2002:cb00:7107::1"} {
		if got, err := k.ipHash("shop", ip); err != nil || got != want {
			t.Errorf("ipHash(%s) = %s, %v; want %s, the key of 203.0.113.7", ip, got, err, want)
		}
	}
	for _, ip := range []string{"::1", "::", "2001:db8::1", "203.0.113.8"} {
		if got, _ := k.ipHash("shop", ip); got == want {
			t.Errorf("ipHash(%s) is the key of 203.0.113.7", ip)
		}
	}
	for _, ip := range []string{"", "203.0.113", "fe80::1%eth0", "203.0.113.7/32", " 203.0.113.7"} {
		if _, err := k.ipHash("shop", ip); ErrorCode(err) != CodeInvalidRequest {
			t.Errorf("ipHash(%q) = %v, want invalid_request", ip, err)
		}
	}
}

// FuzzClientNet checks, for any client_ip a request may carry, that the
// limit's network is an IPv4 address or an IPv6 /64 containing the
// address, and that every IPv6 form of an IPv4 address is limited as that
// address.
func FuzzClientNet(f *testing.F) {
	for _, tc := range clientNetCases {
		f.Add(tc.ip)
	}
	f.Fuzz(func(t *testing.T, ip string) {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return
		}
		n := clientNet(a)
		if p, err := netip.ParsePrefix(n); err == nil {
			if !a.Is6() || a.Is4In6() || p.Bits() != 64 || !p.Contains(a) {
				t.Fatalf("clientNet(%s) = %s: want an IPv6 /64 holding it", ip, n)
			}
			return
		}
		v4, err := netip.ParseAddr(n)
		if err != nil || !v4.Is4() {
			t.Fatalf("clientNet(%s) = %q: neither a /64 nor an IPv4 address", ip, n)
		}
		if a.Is4() && v4 != a {
			t.Fatalf("clientNet(%s) = %s", ip, n)
		}
		b := v4.As4()
		if b[0] == 0 {
			return // 0.0.0.0/8 has no IPv4-compatible form
		}
		forms := []string{
			"::ffff:" + v4.String(),
			"::" + v4.String(),
			"64:ff9b::" + v4.String(),
			netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3], 15: 1}).String(),
		}
		for _, form := range forms {
			if got := clientNet(netip.MustParseAddr(form)); got != n {
				t.Fatalf("clientNet(%s) = %s, but clientNet(%s) = %s", form, got, ip, n)
			}
		}
	})
}
