package otpmsg_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

func TestFormatWritesTheLastLineAfterTextAndAppHash(t *testing.T) {
	for _, c := range []struct {
		name string
		m    otpmsg.Message
		want string
	}{
		{"a bare message is only the OTP line", otpmsg.Message{Host: "example.com", Code: "123456"}, "@example.com #123456"},
		{"text is followed by a blank line", otpmsg.Message{Text: "Your code is 123456.", Host: "example.com", Code: "123456"}, "Your code is 123456.\n\n@example.com #123456"},
		{"an iframe host follows the code", otpmsg.Message{Host: "example.com", Code: "1", EmbeddedHost: "pay.example.net"}, "@example.com #1 @pay.example.net"},
		{"the app hash sits on the line before the OTP line", otpmsg.Message{Text: "Code 1", Host: "example.com", Code: "1", AppHash: "FA+9qCX9VSu"}, "Code 1\n\nFA+9qCX9VSu\n@example.com #1"},
		{"an app hash without text opens the message", otpmsg.Message{Host: "example.com", Code: "1", AppHash: "FA+9qCX9VSu"}, "FA+9qCX9VSu\n@example.com #1"},
		{"a canonical IPv4 host is allowed", otpmsg.Message{Host: "127.0.0.1", Code: "1"}, "@127.0.0.1 #1"},
		{"a punycode host is allowed", otpmsg.Message{Host: "xn--bcher-kva.example", Code: "1"}, "@xn--bcher-kva.example #1"},
		{"a multi-line text with at signs in words is allowed", otpmsg.Message{Text: "Mail help@example.com\n#1 in service", Host: "example.com", Code: "1"}, "Mail help@example.com\n#1 in service\n\n@example.com #1"},
		{"a non-ASCII code is allowed", otpmsg.Message{Host: "example.com", Code: "١٢٣٤"}, "@example.com #١٢٣٤"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := otpmsg.Format(c.m)
			if err != nil {
				t.Fatalf("Format(%+v) error = %v", c.m, err)
			}
			if got != c.want {
				t.Errorf("Format(%+v) = %q, want %q", c.m, got, c.want)
			}
			assertReadsBack(t, c.m, got)
		})
	}
}

func TestFormatRefusesWhatReadersCouldReadDifferently(t *testing.T) {
	ok := otpmsg.Message{Host: "example.com", Code: "123456"}
	with := func(f func(*otpmsg.Message)) otpmsg.Message { m := ok; f(&m); return m }
	for _, c := range []struct {
		name  string
		m     otpmsg.Message
		field string
	}{
		{"an empty host", with(func(m *otpmsg.Message) { m.Host = "" }), "host"},
		{"an uppercase host", with(func(m *otpmsg.Message) { m.Host = "Example.com" }), "host"},
		{"a unicode host", with(func(m *otpmsg.Message) { m.Host = "bücher.example" }), "host"},
		{"a host with a scheme", with(func(m *otpmsg.Message) { m.Host = "https://example.com" }), "host"},
		{"a host with a port", with(func(m *otpmsg.Message) { m.Host = "example.com:8443" }), "host"},
		{"a host with a path", with(func(m *otpmsg.Message) { m.Host = "example.com/login" }), "host"},
		{"a host with a user", with(func(m *otpmsg.Message) { m.Host = "me@example.com" }), "host"},
		{"a host with a trailing dot", with(func(m *otpmsg.Message) { m.Host = "example.com." }), "host"},
		{"a host with an empty label", with(func(m *otpmsg.Message) { m.Host = "example..com" }), "host"},
		{"a host with an underscore", with(func(m *otpmsg.Message) { m.Host = "a_b.example" }), "host"},
		{"a host with a space", with(func(m *otpmsg.Message) { m.Host = "a b.example" }), "host"},
		{"a host label starting with a hyphen", with(func(m *otpmsg.Message) { m.Host = "-a.example" }), "host"},
		{"a host label of 64 characters", with(func(m *otpmsg.Message) { m.Host = strings.Repeat("a", 64) + ".example" }), "host"},
		{"a host of 254 characters", with(func(m *otpmsg.Message) { m.Host = strings.Repeat("abcdefghi.", 25) + "abcd" }), "host"},
		{"a host with invalid punycode", with(func(m *otpmsg.Message) { m.Host = "xn--a.example" }), "host"},
		{"a short IPv4 form Chromium rewrites", with(func(m *otpmsg.Message) { m.Host = "127.1" }), "host"},
		{"a hex IPv4 form Chromium rewrites", with(func(m *otpmsg.Message) { m.Host = "0x7f.0.0.1" }), "host"},
		{"a name ending in a number Chromium rejects", with(func(m *otpmsg.Message) { m.Host = "example.123" }), "host"},
		{"an uppercase iframe host", with(func(m *otpmsg.Message) { m.EmbeddedHost = "PAY.example" }), "embedded_host"},
		{"an iframe host with a port", with(func(m *otpmsg.Message) { m.EmbeddedHost = "pay.example:8443" }), "embedded_host"},
		{"an empty code", with(func(m *otpmsg.Message) { m.Code = "" }), "code"},
		{"a code with a hash", with(func(m *otpmsg.Message) { m.Code = "12#34" }), "code"},
		{"a code with an at sign", with(func(m *otpmsg.Message) { m.Code = "12@34" }), "code"},
		{"a code with a space", with(func(m *otpmsg.Message) { m.Code = "123 456" }), "code"},
		{"a code with a tab", with(func(m *otpmsg.Message) { m.Code = "123\t456" }), "code"},
		{"a code with a newline", with(func(m *otpmsg.Message) { m.Code = "123\n456" }), "code"},
		{"a code with a no-break space", with(func(m *otpmsg.Message) { m.Code = "123\u00a0456" }), "code"},
		{"a code with an ideographic space", with(func(m *otpmsg.Message) { m.Code = "123\u3000456" }), "code"},
		{"a code with a zero-width space", with(func(m *otpmsg.Message) { m.Code = "123\u200b456" }), "code"},
		{"a code with a vertical tab", with(func(m *otpmsg.Message) { m.Code = "123\v456" }), "code"},
		{"a code with invalid UTF-8", with(func(m *otpmsg.Message) { m.Code = "123\xff" }), "code"},
		{"an app hash of 10 characters", with(func(m *otpmsg.Message) { m.AppHash = "FA+9qCX9VS" }), "app_hash"},
		{"an app hash with a dash", with(func(m *otpmsg.Message) { m.AppHash = "FA-9qCX9VSu" }), "app_hash"},
		{"a text with an OTP line", with(func(m *otpmsg.Message) { m.Text = "Hi\n@evil.example #1" }), "text"},
		{"a text opening with an OTP line", with(func(m *otpmsg.Message) { m.Text = "@evil.example #1 is yours" }), "text"},
		{"a text with an OTP match mid-line", with(func(m *otpmsg.Message) { m.Text = "Use @evil.example #1 now" }), "text"},
		{"a text with an OTP match after a CR", with(func(m *otpmsg.Message) { m.Text = "Hi\r@evil.example #1" }), "text"},
		{"a text with an OTP match after a tab", with(func(m *otpmsg.Message) { m.Text = "Hi\t@evil.example #1" }), "text"},
		{"a text with a near miss after a no-break space", with(func(m *otpmsg.Message) { m.Text = "Hi\u00a0@evil.example #1" }), "text"},
		{"a text with a near miss with two spaces", with(func(m *otpmsg.Message) { m.Text = "@evil.example  #1" }), "text"},
		{"a text with a spec-only OTP line", with(func(m *otpmsg.Message) { m.Text = "@evil\u00a0example #1" }), "text"},
		{"a text with invalid UTF-8", with(func(m *otpmsg.Message) { m.Text = "Hi \xff" }), "text"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, err := otpmsg.Format(c.m)
			if err == nil {
				t.Fatalf("Format(%+v) = %q, want a refusal of %s", c.m, body, c.field)
			}
			var fe *otpmsg.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Format error = %#v, want a *FormatError", err)
			}
			if fe.Field != c.field || fe.Reason == "" {
				t.Errorf("Format refused field %q (%q), want field %q with a reason", fe.Field, fe.Reason, c.field)
			}
		})
	}
}

// assertReadsBack checks the central property: both grammars read a
// formatted body back as exactly the message's host, code and iframe host.
func assertReadsBack(t testing.TB, m otpmsg.Message, body string) {
	t.Helper()
	want := otpmsg.OTP{Host: m.Host, Code: m.Code, EmbeddedHost: m.EmbeddedHost}
	for _, rules := range []otpmsg.Rules{otpmsg.Spec, otpmsg.Chromium} {
		got, err := otpmsg.Parse(body, rules)
		if err != nil || got != want {
			t.Fatalf("Parse(Format(%+v) = %q, %v) = %+v, %v; want %+v", m, body, rules, got, err, want)
		}
	}
	if strings.HasSuffix(body, "\n") {
		t.Fatalf("Format(%+v) = %q ends with a newline", m, body)
	}
}

// pick returns a random element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// randomString builds a string of n pieces drawn from alphabet.
func randomString(r *rand.Rand, alphabet []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(pick(r, alphabet))
	}
	return b.String()
}

// Pieces that exercise the grammars' corners: whitespace of every kind,
// sigils, newlines, hosts and codes.
var (
	textPieces = []string{"a", "Z", "1", " ", "  ", "\t", "\n", "\r\n", "\r", "\f", "\v", "@", "#", "@a.com", "#12", "@a.com #1",
		" @b.example #9", "\u00a0", "\u2028", "é", "🤷", ".", "-", ":", "mail@x.com", "{code}", "€", "\x00"}
	codePieces  = []string{"1", "9", "a", "Z", "-", "*", "é", "🤷", "١", "$", "^", "%", "!", "."}
	labelPieces = []string{"a", "b", "z", "0", "9", "ab-c", "xn--bcher-kva", "localhost", "127", "0x7f", "1"}
	noisePieces = []string{"A", "_", ":", "/", "é", "-", ".", "", "#", "@", " ", "\u00a0", "\n", "\x00", "\v", "\xff"}
)

// randomHost joins one to three labels, sometimes with noise in it.
func randomHost(r *rand.Rand) string {
	labels := make([]string, 1+r.IntN(3))
	for i := range labels {
		labels[i] = randomString(r, labelPieces, 1+r.IntN(2))
	}
	return addNoise(r, strings.Join(labels, "."))
}

// addNoise inserts, one time in four, a piece no reader agrees on.
func addNoise(r *rand.Rand, s string) string {
	if r.IntN(4) != 0 {
		return s
	}
	i := r.IntN(len(s) + 1)
	return s[:i] + pick(r, noisePieces) + s[i:]
}

func TestFormattedMessagesReadBackExactlyUnderBothRules(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	formatted := 0
	for range 20000 {
		m := otpmsg.Message{
			Host: randomHost(r),
			Code: addNoise(r, randomString(r, codePieces, 1+r.IntN(8))),
		}
		if r.IntN(3) == 0 {
			m.Text = randomString(r, textPieces, r.IntN(12))
		}
		if r.IntN(4) == 0 {
			m.EmbeddedHost = randomHost(r)
		}
		if r.IntN(5) == 0 {
			m.AppHash = "FA+9qCX9VSu"
		}
		body, err := otpmsg.Format(m)
		if err != nil {
			continue
		}
		formatted++
		assertReadsBack(t, m, body)
	}
	if formatted < 5000 {
		t.Fatalf("only %d of 20000 random messages formatted; the generator no longer exercises Format", formatted)
	}
}

func TestFormatRefusesEveryConformanceMessageAsText(t *testing.T) {
	for _, c := range loadConformance(t) {
		if !c.Spec.Valid && !c.Chromium.Valid {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			m := otpmsg.Message{Text: c.Message, Host: "example.org", Code: "1"}
			if body, err := otpmsg.Format(m); err == nil {
				t.Errorf("Format accepted text %q that a grammar reads as an OTP message: %q", c.Message, body)
			}
		})
	}
}
