package otpmsg_test

import (
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

func valid(host, code, emb string) reading {
	return reading{Valid: true, Host: host, Code: code, EmbeddedHost: emb}
}

var invalid = reading{}

// parseCases are messages beyond the conformance file: newlines, Unicode
// whitespace, IDNs, IPv4 forms, trailing text, two OTP lines, iframe hosts.
var parseCases = []struct {
	name     string
	msg      string
	spec     reading
	chromium reading
}{
	{"a CRLF before the last line is a line break", "Code 1\r\n@example.com #123", valid("example.com", "123", ""), valid("example.com", "123", "")},
	{"a lone CR before the last line is a line break", "Code 1\r@example.com #123", valid("example.com", "123", ""), valid("example.com", "123", "")},
	{"a trailing CRLF leaves an empty last line for the spec", "@example.com #123\r\n", invalid, valid("example.com", "123", "")},
	{"a trailing CR leaves an empty last line for the spec", "@example.com #123\r", invalid, valid("example.com", "123", "")},
	{"an empty message is nothing", "", invalid, invalid},
	{"a lone at sign is nothing", "@", invalid, invalid},
	{"a host and space without a hash is nothing", "@example.com ", invalid, invalid},
	{"an empty code is nothing", "@example.com #", invalid, invalid},
	{"an empty code before a space is nothing", "@example.com # 123", invalid, invalid},
	{"a form feed before the host counts as whitespace for Chromium", "x\f@example.com #1", invalid, valid("example.com", "1", "")},
	{"a vertical tab is not whitespace in either grammar", "@example.com #12\v34", valid("example.com", "12\v34", ""), valid("example.com", "12\v34", "")},
	{"a vertical tab before the at sign does not start a Chromium match", "x\v@example.com #1", invalid, invalid},
	{"a no-break space inside the code belongs to the code", "@example.com #12\u00a034", valid("example.com", "12\u00a034", ""), valid("example.com", "12\u00a034", "")},
	{"an em space inside the code belongs to the code", "@example.com #12\u200334", valid("example.com", "12\u200334", ""), valid("example.com", "12\u200334", "")},
	{"a no-break space between host and code is not the one space", "@example.com\u00a0#123", invalid, invalid},
	{"an ideographic space between host and code is not the one space", "@example.com\u3000#123", invalid, invalid},
	{"a no-break space before the at sign does not start a Chromium match", "code\u00a0@example.com #1", invalid, invalid},
	{"a line separator is not a line break", "hi\u2028@example.com #1", invalid, invalid},
	{"a no-break space before the iframe host ends the code for neither", "@a.com #1\u00a0@b.com", valid("a.com", "1\u00a0@b.com", ""), valid("a.com", "1\u00a0@b.com", "")},
	{"a unicode host is read by the spec only", "@bücher.example #123", valid("bücher.example", "123", ""), invalid},
	{"a punycode host is read by both", "@xn--bcher-kva.example #123", valid("xn--bcher-kva.example", "123", ""), valid("xn--bcher-kva.example", "123", "")},
	{"an uppercase punycode host is lowercased by Chromium", "@XN--BCHER-KVA.example #123", valid("XN--BCHER-KVA.example", "123", ""), valid("xn--bcher-kva.example", "123", "")},
	{"a dotted-quad host stays as it is", "@192.168.0.1 #1", valid("192.168.0.1", "1", ""), valid("192.168.0.1", "1", "")},
	{"a loopback address is read by both", "@127.0.0.1 #1", valid("127.0.0.1", "1", ""), valid("127.0.0.1", "1", "")},
	{"a short IPv4 form is rewritten by Chromium", "@127.1 #1", valid("127.1", "1", ""), valid("127.0.0.1", "1", "")},
	{"a hex IPv4 is rewritten by Chromium", "@0x7f.0.0.1 #1", valid("0x7f.0.0.1", "1", ""), valid("127.0.0.1", "1", "")},
	{"an uppercase hex IPv4 is rewritten by Chromium", "@0X7F000001 #1", valid("0X7F000001", "1", ""), valid("127.0.0.1", "1", "")},
	{"an octal IPv4 is rewritten by Chromium", "@0300.0250.0.01 #1", valid("0300.0250.0.01", "1", ""), valid("192.168.0.1", "1", "")},
	{"a single number is a whole IPv4 address", "@3232235521 #1", valid("3232235521", "1", ""), valid("192.168.0.1", "1", "")},
	{"the largest single number is an IPv4 address", "@4294967295 #1", valid("4294967295", "1", ""), valid("255.255.255.255", "1", "")},
	{"a number beyond 32 bits is invalid for Chromium", "@4294967296 #1", valid("4294967296", "1", ""), invalid},
	{"an IPv4 part over 255 is invalid for Chromium", "@256.0.0.1 #1", valid("256.0.0.1", "1", ""), invalid},
	{"a last IPv4 part over 255 is invalid for Chromium", "@1.2.3.256 #1", valid("1.2.3.256", "1", ""), invalid},
	{"five IPv4 parts are invalid for Chromium", "@1.2.3.4.5 #1", valid("1.2.3.4.5", "1", ""), invalid},
	{"an empty IPv4 part is invalid for Chromium", "@1..2.3 #1", valid("1..2.3", "1", ""), invalid},
	{"an octal part with an 8 is invalid for Chromium", "@08.1.2.3 #1", valid("08.1.2.3", "1", ""), invalid},
	{"a name ending in a number is invalid for Chromium", "@example.123 #1", valid("example.123", "1", ""), invalid},
	{"a name ending in a hex number is invalid for Chromium", "@example.0x1f #1", valid("example.0x1f", "1", ""), invalid},
	{"a name ending in a non-number label is a domain", "@1.2.3.4a #1", valid("1.2.3.4a", "1", ""), valid("1.2.3.4a", "1", "")},
	{"a bad hex label is a domain", "@0x1g #1", valid("0x1g", "1", ""), valid("0x1g", "1", "")},
	{"an IPv4 trailing dot is dropped by Chromium", "@1.2.3.4. #1", valid("1.2.3.4.", "1", ""), valid("1.2.3.4", "1", "")},
	{"a domain trailing dot is kept", "@example.com. #1", valid("example.com.", "1", ""), valid("example.com.", "1", "")},
	{"an IPv4 with two trailing dots is a domain", "@1.2.3.4.. #1", valid("1.2.3.4..", "1", ""), valid("1.2.3.4..", "1", "")},
	{"a subdomain of localhost is read by both", "@app.localhost #1", valid("app.localhost", "1", ""), valid("app.localhost", "1", "")},
	{"trailing text after the code is ignored by both", "@example.com #123 is your code", valid("example.com", "123", ""), valid("example.com", "123", "")},
	{"trailing text after the iframe host is ignored by both", "@a.com #1 @b.com and more", valid("a.com", "1", "b.com"), valid("a.com", "1", "b.com")},
	{"text before the at sign on the last line stops the spec", "Code: @example.com #123", invalid, valid("example.com", "123", "")},
	{"two OTP lines: the spec takes the last, Chromium the first", "@evil.example #111\n@example.com #222", valid("example.com", "222", ""), valid("evil.example", "111", "")},
	{"two OTP lines with CRLF: the spec takes the last", "@evil.example #111\r\n@example.com #222", valid("example.com", "222", ""), valid("evil.example", "111", "")},
	{"an invalid first match is not skipped by Chromium", "@256.1.1.1 #111\n@example.com #222", valid("example.com", "222", ""), invalid},
	{"a failed candidate is skipped by Chromium", "@a.com @b.com #1\n@c.com #2", valid("c.com", "2", ""), valid("b.com", "1", "")},
	{"an at sign inside a word does not start a Chromium match", "mail@example.com #1", invalid, invalid},
	{"an iframe host with a port is cut by Chromium", "@a.com #1 @b.com:8443", valid("a.com", "1", "b.com:8443"), valid("a.com", "1", "b.com")},
	{"an iframe host with an underscore is cut by Chromium", "@a.com #1 @b_c.com", valid("a.com", "1", "b_c.com"), valid("a.com", "1", "b")},
	{"an iframe host starting outside the class is no iframe host", "@a.com #1 @_b.com", valid("a.com", "1", "_b.com"), valid("a.com", "1", "")},
	{"an empty iframe host is no iframe host", "@a.com #1 @", valid("a.com", "1", ""), valid("a.com", "1", "")},
	{"an uppercase iframe host is lowercased by Chromium", "@a.com #1 @B.COM", valid("a.com", "1", "B.COM"), valid("a.com", "1", "b.com")},
	{"an IPv4 iframe host is rewritten by Chromium", "@a.com #1 @127.1", valid("a.com", "1", "127.1"), valid("a.com", "1", "127.0.0.1")},
	{"an invalid iframe host rejects the whole message for Chromium", "@a.com #1 @1.2.3.999", valid("a.com", "1", "1.2.3.999"), invalid},
	{"an iframe host after a tab is ignored", "@a.com #1\t@b.com", valid("a.com", "1", ""), valid("a.com", "1", "")},
	{"a hash in the code is cut by Chromium", "@a.com #12#34 @b.com", valid("a.com", "12#34", "b.com"), valid("a.com", "12", "")},
	{"a code starting with a hash is read by the spec only", "@a.com ##12", valid("a.com", "#12", ""), invalid},
	{"invalid UTF-8 in the code is kept by the spec and ends it for Chromium", "@a.com #12\xff34", valid("a.com", "12\xff34", ""), valid("a.com", "12", "")},
	{"a NUL in the code belongs to the code", "@a.com #12\x0034", valid("a.com", "12\x0034", ""), valid("a.com", "12\x0034", "")},
	{"a host and code at the very end are read", "text\n@a.b #c", valid("a.b", "c", ""), valid("a.b", "c", "")},
}

func TestParseReadsMessagesBeyondTheConformanceFile(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			t.Run("spec", func(t *testing.T) { checkReading(t, c.msg, otpmsg.Spec, c.spec) })
			t.Run("chromium", func(t *testing.T) { checkReading(t, c.msg, otpmsg.Chromium, c.chromium) })
		})
	}
}

func TestParseRulesNamesEveryRule(t *testing.T) {
	for _, r := range []otpmsg.Rules{otpmsg.Spec, otpmsg.Chromium} {
		got, err := otpmsg.ParseRules(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRules(%q) = %v, %v; want %v", r.String(), got, err, r)
		}
	}
	if _, err := otpmsg.ParseRules("safari"); err == nil {
		t.Error(`ParseRules("safari") succeeded, want an error`)
	}
	if _, err := otpmsg.Parse("@a.com #1", otpmsg.Rules(7)); err == nil {
		t.Error("Parse with unknown rules succeeded, want an error")
	}
}

func TestIsLocalhostFollowsChromium(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "localhost.": true, "app.localhost": true,
		"127.0.0.1": true, "127.255.0.9": true, "127.1": true,
		"example.com": false, "localhost.example": false, "128.0.0.1": false, "notlocalhost": false,
	} {
		if got := otpmsg.IsLocalhost(host); got != want {
			t.Errorf("IsLocalhost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestChromiumMatchAtPointsAtTheFirstMatch(t *testing.T) {
	for msg, want := range map[string]int{
		"@a.com #1":               0,
		"hi @a.com #1":            3,
		"@a.com @b.com #1":        7,
		"x\n@256.1.1.1 #1\n@a #2": 2,
		"no code here":            -1,
		"mail@a.com #1":           -1,
	} {
		if got := otpmsg.ChromiumMatchAt(msg); got != want {
			t.Errorf("ChromiumMatchAt(%q) = %d, want %d", msg, got, want)
		}
	}
}

func TestParseChromiumAndParseSpecAreParseWithTheirRules(t *testing.T) {
	for _, tc := range parseCases {
		for _, r := range []struct {
			rules otpmsg.Rules
			parse func(string) (otpmsg.OTP, error)
		}{{otpmsg.Chromium, otpmsg.ParseChromium}, {otpmsg.Spec, otpmsg.ParseSpec}} {
			want, wantErr := otpmsg.Parse(tc.msg, r.rules)
			got, err := r.parse(tc.msg)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("%s: Parse%v(%q) = %+v, %v; Parse with %v gives %+v, %v", tc.name, r.rules, tc.msg, got, err, r.rules, want, wantErr)
			}
		}
	}
}
