package otpmsg_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/webotp/webotp/otpmsg"
)

// chromiumPattern is sms_parser.cc's kOtpFormatRegex. RE2 and Go's regexp
// share its syntax and leftmost-first semantics, and both read \s as
// [\t\n\f\r ]. The scanner must agree with it on valid UTF-8.
var chromiumPattern = regexp.MustCompile(`(?:^|\s)@([a-zA-Z0-9.-]+) #([^#\s]+)(?: @([a-zA-Z0-9.-]+))?`)

// regexpMatch is the reference reading of msg with chromiumPattern.
func regexpMatch(msg string) (otpmsg.OTP, bool) {
	m := chromiumPattern.FindStringSubmatch(msg)
	if m == nil {
		return otpmsg.OTP{}, false
	}
	return otpmsg.OTP{Host: m[1], Code: m[2], EmbeddedHost: m[3]}, true
}

// checkParseInvariants is what FuzzParse asserts for any input.
func checkParseInvariants(t *testing.T, msg string) {
	spec, specErr := otpmsg.Parse(msg, otpmsg.Spec)
	chromium, chromiumErr := otpmsg.Parse(msg, otpmsg.Chromium)

	if specErr == nil {
		if spec.Host == "" || spec.Code == "" || strings.ContainsAny(spec.Host+spec.Code+spec.EmbeddedHost, " \t\n\f\r") {
			t.Fatalf("Parse(%q, spec) = %+v: empty or whitespace token", msg, spec)
		}
		if !strings.HasSuffix(msg, "@"+spec.Host+" #"+spec.Code) && !strings.Contains(msg, "@"+spec.Host+" #"+spec.Code) {
			t.Fatalf("Parse(%q, spec) = %+v: not in the message", msg, spec)
		}
	}
	if utf8.ValidString(msg) {
		raw, ok := otpmsg.RawChromiumMatch(msg)
		want, wantOK := regexpMatch(msg)
		if ok != wantOK || raw != want {
			t.Fatalf("Chromium scanner on %q = %+v, %v; regexp = %+v, %v", msg, raw, ok, want, wantOK)
		}
	}
	if chromiumErr == nil {
		if chromium.Host == "" || chromium.Code == "" || strings.ContainsAny(chromium.Code, "# \t\n\f\r") {
			t.Fatalf("Parse(%q, chromium) = %+v: empty host or code, or a code Chromium would cut", msg, chromium)
		}
		// A reading that Format accepts must survive a round trip.
		m := otpmsg.Message{Host: chromium.Host, Code: chromium.Code, EmbeddedHost: chromium.EmbeddedHost}
		if body, err := otpmsg.Format(m); err == nil {
			assertReadsBack(t, m, body)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := 0
	for _, c := range loadConformance(f) {
		f.Add(c.Message)
		seeds++
	}
	for _, c := range parseCases {
		f.Add(c.msg)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("FuzzParse has no seeds")
	}
	f.Fuzz(checkParseInvariants)
}

func FuzzFormat(f *testing.F) {
	seeds := 0
	for _, c := range loadConformance(f) {
		r := c.Chromium
		if !r.Valid {
			r = reading{Host: "example.com", Code: "123456"}
		}
		// The message as text (always refused when it reads as OTP), and
		// its reading as fields.
		f.Add(c.Message, r.Host, r.Code, r.EmbeddedHost, "")
		f.Add("Your code is "+r.Code+".", r.Host, r.Code, r.EmbeddedHost, "FA+9qCX9VSu")
		seeds += 2
	}
	if seeds == 0 {
		f.Fatal("FuzzFormat has no seeds")
	}
	f.Fuzz(func(t *testing.T, text, host, code, embedded, appHash string) {
		m := otpmsg.Message{Text: text, Host: host, Code: code, EmbeddedHost: embedded, AppHash: appHash}
		body, err := otpmsg.Format(m)
		if err != nil {
			return
		}
		assertReadsBack(t, m, body)
		if got := otpmsg.Count(body); got.Units < 1 || got.Segments < 1 {
			t.Fatalf("Count(%q) = %+v", body, got)
		}
	})
}

func TestChromiumScannerAgreesWithTheRegexpOnTheVectors(t *testing.T) {
	msgs := []string{}
	for _, c := range loadConformance(t) {
		msgs = append(msgs, c.Message)
	}
	for _, c := range parseCases {
		msgs = append(msgs, c.msg)
	}
	for _, msg := range msgs {
		if !utf8.ValidString(msg) {
			continue
		}
		raw, ok := otpmsg.RawChromiumMatch(msg)
		want, wantOK := regexpMatch(msg)
		if ok != wantOK || raw != want {
			t.Errorf("scanner on %q = %+v, %v; regexp = %+v, %v", msg, raw, ok, want, wantOK)
		}
	}
}
