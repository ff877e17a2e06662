package verifier_test

import (
	"testing"

	"github.com/webotp/webotp/verifier"
)

// clientCodes are the codes a request may fairly earn: anything else
// (internal above all) from bad input is a bug.
var clientCodes = map[verifier.Code]bool{
	verifier.CodeInvalidPhone: true, verifier.CodeInvalidOrigin: true, verifier.CodeInvalidRequest: true,
	verifier.CodeOriginNotAllowed: true, verifier.CodeCountryNotAllowed: true,
	verifier.CodeNumberTypeNotAllowed: true, verifier.CodeRateLimited: true,
	verifier.CodeInvalidCode: true, verifier.CodeNotFound: true, verifier.CodeNotPending: true,
}

func FuzzStartAndCheck(f *testing.F) {
	for _, s := range [][5]string{
		{"+14155550123", "https://www.example.com", "", "", "123456"},
		{"+1 (415) 555-0123", "HTTPS://WWW.EXAMPLE.COM:443", "https://pay.example.net", "203.0.113.7", " 123-456 "},
		{"4155550123", "https://www.example.com/", "pay.example.net", "2001:db8::1", "１２３４５６"},
		{"+19002345678", "http://localhost:8080", "https://evil.example", "fe80::1%eth0", ""},
		{"+33810123456", "https://bücher.example", "https://[::1]", "::ffff:1.2.3.4", "12a456"},
		{"+", "https://", "://", "999.1.1.1", "0000000000000000000000000000000000000000000000000000000000000000000"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, phone, origin, embedded, ip, input string) {
		e := newEnv(t)
		e.app.Origins = append(e.app.Origins, "https://xn--bcher-kva.example")
		v, err := e.svc.Start(t.Context(), e.app, verifier.StartRequest{Phone: phone, Origin: origin, EmbeddedOrigin: embedded, ClientIP: ip})
		if err != nil {
			if !clientCodes[verifier.ErrorCode(err)] {
				t.Fatalf("Start(%q, %q, %q, %q): %v", phone, origin, embedded, ip, err)
			}
			return
		}
		r, err := e.svc.Check(t.Context(), e.app, v.ID, input)
		if err != nil && !clientCodes[verifier.ErrorCode(err)] {
			t.Fatalf("Check(%q): %v", input, err)
		}
		if err == nil && r.Valid != (input == e.codeOf()) {
			t.Fatalf("Check(%q) valid %v; the code is %s", input, r.Valid, e.codeOf())
		}
		if _, err := e.svc.CheckPhone(t.Context(), e.app, phone, input); err != nil && !clientCodes[verifier.ErrorCode(err)] {
			t.Fatalf("CheckPhone(%q, %q): %v", phone, input, err)
		}
	})
}
