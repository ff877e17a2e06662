package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

// runSMSWith runs `webotp sms args...` with stdin and returns the exit code
// and both outputs.
func runSMSWith(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runSMS(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSMSParsePrintsOneJSONLineAndExitsByValidity(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
	}{
		{"a valid message is read under the spec by default", []string{"parse"}, "Your code\n\n@example.com #123456",
			0, `{"valid":true,"host":"example.com","code":"123456","embedded_host":""}` + "\n"},
		{"an iframe host is printed", []string{"parse"}, "@a.com #1 @b.com",
			0, `{"valid":true,"host":"a.com","code":"1","embedded_host":"b.com"}` + "\n"},
		{"a trailing newline is invalid under the spec", []string{"parse"}, "@example.com #123456\n",
			1, `{"valid":false,"reason":"the last line is empty (a trailing newline?)"}` + "\n"},
		{"a trailing newline is valid under Chromium", []string{"parse", "--rules", "chromium"}, "@example.com #123456\n",
			0, `{"valid":true,"host":"example.com","code":"123456","embedded_host":""}` + "\n"},
		{"the rules flag takes an equals sign", []string{"parse", "--rules=chromium"}, "@Example.COM #1",
			0, `{"valid":true,"host":"example.com","code":"1","embedded_host":""}` + "\n"},
		{"the spec is named explicitly", []string{"parse", "--rules", "spec"}, "@Example.COM #1",
			0, `{"valid":true,"host":"Example.COM","code":"1","embedded_host":""}` + "\n"},
		{"CRLF line breaks are read", []string{"parse"}, "hi\r\n@a.com #1",
			0, `{"valid":true,"host":"a.com","code":"1","embedded_host":""}` + "\n"},
		{"two OTP lines read differently", []string{"parse", "--rules", "chromium"}, "@evil.example #1\n@a.com #2",
			0, `{"valid":true,"host":"evil.example","code":"1","embedded_host":""}` + "\n"},
		{"an invalid iframe host rejects the message under Chromium", []string{"parse", "--rules", "chromium"}, "@a.com #1 @1.2.3.999",
			1, `{"valid":false,"reason":"the iframe host looks like an IPv4 address but is not a valid one"}` + "\n"},
		{"HTML characters are not escaped", []string{"parse"}, "@a<b> #1&2",
			0, `{"valid":true,"host":"a<b>","code":"1&2","embedded_host":""}` + "\n"},
		{"an empty message is invalid", []string{"parse"}, "",
			1, `{"valid":false,"reason":"the last line is empty (a trailing newline?)"}` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runSMSWith(c.stdin, c.args...)
			if code != c.code || stdout != c.stdout {
				t.Errorf("webotp sms %v < %q = %d, %q (stderr %q); want %d, %q", c.args, c.stdin, code, stdout, stderr, c.code, c.stdout)
			}
		})
	}
}

func TestSMSFormatPrintsExactlyTheBody(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		stdout string
	}{
		{"a host and code make the OTP line", []string{"format", "--host", "example.com", "--code", "123456"}, "@example.com #123456"},
		{"text comes first, then a blank line", []string{"format", "--host", "example.com", "--code", "1", "--text", "Code: 1"}, "Code: 1\n\n@example.com #1"},
		{"an IDN host is written in punycode", []string{"format", "--host", "Bücher.example", "--code", "1"}, "@xn--bcher-kva.example #1"},
		{"an iframe host and app hash are written", []string{"format", "--host", "a.com", "--code", "1", "--embedded-host", "B.com", "--app-hash", "FA+9qCX9VSu"}, "FA+9qCX9VSu\n@a.com #1 @b.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runSMSWith("", c.args...)
			if code != 0 || stdout != c.stdout || stderr != "" {
				t.Errorf("webotp sms %v = %d, %q, stderr %q; want 0, %q", c.args, code, stdout, stderr, c.stdout)
			}
			// What format prints, parse reads back under both rules.
			for _, rules := range []string{"spec", "chromium"} {
				if code, out, _ := runSMSWith(stdout, "parse", "--rules", rules); code != 0 {
					t.Errorf("webotp sms parse --rules %s < %q = %d, %s", rules, stdout, code, out)
				}
			}
		})
	}
}

func TestSMSFormatRefusesWithTheReasonOnStderr(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"a code with a hash", []string{"format", "--host", "example.com", "--code", "12#34"}, "--code must not contain '#'"},
		{"a host with a port", []string{"format", "--host", "example.com:8443", "--code", "1"}, "--host: host \"example.com:8443\" must not have a port"},
		{"an origin instead of a host", []string{"format", "--host", "https://example.com", "--code", "1"}, "must not have a scheme"},
		{"a text with an OTP line", []string{"format", "--host", "example.com", "--code", "1", "--text", "Hi\n@evil.example #2"}, "--text contains \"@evil.example #2\""},
		{"a bad app hash", []string{"format", "--host", "example.com", "--code", "1", "--app-hash", "short"}, "--app-hash must be 11 characters"},
		{"a bad iframe host", []string{"format", "--host", "example.com", "--code", "1", "--embedded-host", "a_b.example"}, "--embedded-host: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runSMSWith("", c.args...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, c.stderr) {
				t.Errorf("webotp sms %v = %d, %q, stderr %q; want 1 and a stderr containing %q", c.args, code, stdout, stderr, c.stderr)
			}
		})
	}
}

func TestSMSUsageErrorsExitTwo(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no subcommand", nil},
		{"an unknown subcommand", []string{"send"}},
		{"unknown rules", []string{"parse", "--rules", "safari"}},
		{"an unknown parse flag", []string{"parse", "--strict"}},
		{"a stray parse argument", []string{"parse", "message"}},
		{"format without a host", []string{"format", "--code", "1"}},
		{"format without a code", []string{"format", "--host", "example.com"}},
		{"an unknown check flag", []string{"check", "--yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runSMSWith("@a.com #1", c.args...)
			if code != 2 || stdout != "" || stderr == "" {
				t.Errorf("webotp sms %v = %d, %q, stderr %q; want 2 with a message on stderr", c.args, code, stdout, stderr)
			}
		})
	}
	if code, stdout, _ := runSMSWith("", "help"); code != 0 || !strings.Contains(stdout, "webotp sms parse") {
		t.Errorf("webotp sms help = %d, %q; want 0 and the usage", code, stdout)
	}
}

func TestSMSCheckReportsTheThreeReadings(t *testing.T) {
	for _, c := range []struct {
		name     string
		stdin    string
		code     int
		chromium string // host Chromium reads, "" when invalid
		spec     string // host the spec reads, "" when invalid
		warning  string // a warning that must be present, or ""
	}{
		{"a clean message is read identically", "Your code is 123456.\n\n@example.com #123456", 0, "example.com", "example.com", ""},
		{"a template has its placeholders filled", "Your {app} code is {code}.\n\n@example.com #{code}", 0, "example.com", "example.com", "template placeholders"},
		{"a trailing newline is flagged", "@example.com #123456\n", 1, "example.com", "", "ends with a newline"},
		{"two OTP lines are flagged", "@evil.example #123456\n@example.com #123456", 1, "evil.example", "example.com", "2 lines look like OTP lines"},
		{"an uppercase host is flagged", "@Example.com #123456", 1, "example.com", "Example.com", "uppercase"},
		{"an IDN host is flagged with its punycode", "@bücher.example #123456", 1, "", "bücher.example", "xn--bcher-kva.example"},
		{"a hash in the code is flagged", "@example.com #123#456", 1, "example.com", "example.com", "contains '#'"},
		{"a code Android will not offer is flagged", "@example.com #12", 0, "example.com", "example.com", "SMS User Consent"},
		{"a code without a digit is flagged", "@example.com #abcdef", 0, "example.com", "example.com", "SMS User Consent"},
		{"a UCS-2 message is flagged", "Код 123456\n\n@example.com #123456", 0, "example.com", "example.com", "UCS-2"},
		{"a long message is flagged", strings.Repeat("a", 200) + "\n@example.com #123456", 0, "example.com", "example.com", "2 SMS segments"},
		{"an iframe host with a port is read differently", "@a.com #123456 @b.com:8443", 1, "a.com", "a.com", "embedded host"},
		{"a message without an OTP line is invalid for all", "Your code is 123456.", 1, "", "", "no reader finds an OTP line"},
		{"a template text without an OTP line is checked as message text", "Your {app} code is {code}.", 1, "", "", "webotp would accept it"},
		{"a text with a near-miss OTP line is refused as message text", "Reply @support  #help", 1, "", "", "webotp would refuse it"},
		{"an iframe binding is described", "@a.com #123456 @b.com", 0, "a.com", "a.com", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runSMSWith(c.stdin, "check", "--json")
			if code != c.code {
				t.Errorf("check exit = %d, want %d; stdout %s stderr %s", code, c.code, stdout, stderr)
			}
			var r otpmsg.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("check --json printed %q: %v", stdout, err)
			}
			if r.Chromium.Host != c.chromium || r.Spec.Host != c.spec || r.Safari.Host != r.Spec.Host {
				t.Errorf("check read chromium %q, spec %q, safari %q; want %q, %q, %q", r.Chromium.Host, r.Spec.Host, r.Safari.Host, c.chromium, c.spec, c.spec)
			}
			if r.OK != (c.code == 0) {
				t.Errorf("check ok = %v with exit %d", r.OK, code)
			}
			if c.warning != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), c.warning) {
				t.Errorf("check warnings %q lack %q", r.Warnings, c.warning)
			}
			if r.Encoding == "" || r.Segments < 1 {
				t.Errorf("check encoding %q, %d segments", r.Encoding, r.Segments)
			}

			// The text report says the same in words.
			code, text, _ := runSMSWith(c.stdin, "check")
			if code != c.code || !strings.Contains(text, "spec:") || !strings.Contains(text, "chromium:") || !strings.Contains(text, "safari:") || !strings.Contains(text, "encoding: "+r.Encoding) {
				t.Errorf("check (text) = %d:\n%s", code, text)
			}
			if c.warning != "" && !strings.Contains(text, c.warning) {
				t.Errorf("check (text) lacks %q:\n%s", c.warning, text)
			}
		})
	}
}
