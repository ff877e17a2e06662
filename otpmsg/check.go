package otpmsg

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sample values Check puts in a template's placeholders.
const (
	SampleCode = "123456"
	SampleApp  = "Example"
)

// Reading is how one reader (the spec, Chromium or Safari) reads a message.
type Reading struct {
	Valid        bool   `json:"valid"`
	Host         string `json:"host,omitempty"`
	Code         string `json:"code,omitempty"`
	EmbeddedHost string `json:"embedded_host,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// How says what the reader looks at and where it offers the code.
	How string `json:"how"`
}

// Report is what Check finds in a message: each reader's reading, what makes
// the message fragile, and what it costs to send.
type Report struct {
	// OK is true when all three readers read the message validly and
	// identically.
	OK       bool     `json:"ok"`
	Spec     Reading  `json:"spec"`
	Chromium Reading  `json:"chromium"`
	Safari   Reading  `json:"safari"`
	Warnings []string `json:"warnings"` // never nil
	Encoding string   `json:"encoding"`
	Units    int      `json:"units"`
	Segments int      `json:"segments"`
}

// Check reads msg with the three readers and collects what an operator
// should know before sending it. msg may be a template: its {code} and
// {app} placeholders are filled with SampleCode and SampleApp first (and a
// warning says so).
func Check(msg string) Report {
	var warnings []string
	if strings.Contains(msg, "{code}") || strings.Contains(msg, "{app}") {
		msg = strings.NewReplacer("{code}", SampleCode, "{app}", SampleApp).Replace(msg)
		warnings = append(warnings, "template placeholders filled with samples: {code} = "+SampleCode+", {app} = "+SampleApp)
	}
	lines := splitLines(msg)

	spec := readWith(msg, Spec)
	spec.How = "reads the last line only"
	if spec.Valid {
		spec.How += "; binds the code to " + bindingNote("https://"+spec.Host, spec.EmbeddedHost, "https://"+spec.EmbeddedHost)
	}
	chromium := readWith(msg, Chromium)
	chromium.How = "takes the first @host #code match anywhere in the message"
	if at := chromiumMatchAt(msg); at >= 0 {
		chromium.How += fmt.Sprintf(" (line %d of %d)", strings.Count(normalizeNewlines(msg[:at]), "\n")+1, len(lines))
	}
	if chromium.Valid {
		chromium.How += "; fills the code only in " + bindingNote("a page whose origin is exactly "+chromiumOrigin(chromium.Host),
			chromium.EmbeddedHost, "an iframe whose origin is exactly "+chromiumOrigin(chromium.EmbeddedHost))
	}
	safari := spec
	safari.How = "reads the last line like the spec (no WebOTP API: it offers the code above the keyboard of an autocomplete=\"one-time-code\" field)"
	if safari.Valid {
		safari.How += "; offers it on " + safari.Host + " and its subdomains (same site)"
	}

	warnings = append(warnings, checkWarnings(msg, lines, spec, chromium)...)
	seg := Count(msg)
	if seg.Encoding == UCS2 {
		warnings = append(warnings, fmt.Sprintf("%s is not in the GSM-7 alphabet: the message is sent as UCS-2, 70 characters per SMS instead of 160", firstNonGSM(msg)))
	}
	if seg.Segments > 1 {
		warnings = append(warnings, fmt.Sprintf("the message takes %d SMS segments, each billed", seg.Segments))
	}
	agree := spec.Valid && chromium.Valid && safari.Valid &&
		spec.Host == chromium.Host && spec.Code == chromium.Code && spec.EmbeddedHost == chromium.EmbeddedHost &&
		safari.Host == spec.Host && safari.Code == spec.Code && safari.EmbeddedHost == spec.EmbeddedHost
	if warnings == nil {
		warnings = []string{}
	}
	return Report{
		OK: agree, Spec: spec, Chromium: chromium, Safari: safari, Warnings: warnings,
		Encoding: seg.Encoding, Units: seg.Units, Segments: seg.Segments,
	}
}

// readWith is one grammar's reading of msg.
func readWith(msg string, rules Rules) Reading {
	otp, err := Parse(msg, rules)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return Reading{Reason: pe.Reason}
		}
		return Reading{Reason: err.Error()}
	}
	return Reading{Valid: true, Host: otp.Host, Code: otp.Code, EmbeddedHost: otp.EmbeddedHost}
}

// bindingNote says where a code goes: top, or the iframe inside top when
// there is an embedded host.
func bindingNote(top, embeddedHost, iframe string) string {
	if embeddedHost == "" {
		return top
	}
	return iframe + " inside " + top
}

// chromiumOrigin is the origin Chromium builds from a canonical host.
func chromiumOrigin(host string) string {
	if IsLocalhost(host) {
		return "http://" + host
	}
	return "https://" + host
}

// checkWarnings lists what makes a message fragile, beyond disagreement.
func checkWarnings(msg string, lines []string, spec, chromium Reading) []string {
	var w []string
	if strings.HasSuffix(msg, "\n") || strings.HasSuffix(msg, "\r") {
		w = append(w, "the message ends with a newline: the spec and Safari read an empty last line and find no code (Chromium still does); remove it")
	}
	var otpLines []string
	for i, line := range lines {
		if _, err := Parse(line, Spec); err == nil || chromiumMatchAt(line) >= 0 {
			otpLines = append(otpLines, fmt.Sprint(i+1))
		}
	}
	if len(otpLines) > 1 {
		w = append(w, fmt.Sprintf("%d lines look like OTP lines (lines %s): Chromium reads the first, the spec and Safari the last; send only one", len(otpLines), strings.Join(otpLines, ", ")))
	}
	// Inspect the line the spec reads, even behind a trailing newline, else
	// Chromium's match.
	r := spec
	if !r.Valid {
		r = readWith(strings.TrimRight(msg, "\r\n"), Spec)
	}
	if !r.Valid {
		r = chromium
	}
	if !r.Valid {
		w = append(w, `no reader finds an OTP line: the message must end with "@host #code"`)
		if _, err := Format(Message{Text: msg, Host: "example.com", Code: SampleCode}); err != nil {
			w = append(w, "as the text of a message, webotp would refuse it: "+strings.TrimPrefix(err.Error(), "otpmsg: "))
		} else {
			w = append(w, "as the text of a message, webotp would accept it (the verifier adds the OTP line)")
		}
		return w
	}
	for _, h := range []string{r.Host, r.EmbeddedHost} {
		switch {
		case h == "":
		case !isASCIIString(h):
			w = append(w, fmt.Sprintf("host %q is not ASCII: Chromium cannot read it; write it in punycode%s", h, normalizedHint(h)))
		case strings.ToLower(h) != h:
			w = append(w, fmt.Sprintf("host %q has uppercase letters: Chromium lowercases it, the spec keeps it; write it in lowercase", h))
		}
	}
	if strings.Contains(r.Code, "#") {
		w = append(w, fmt.Sprintf("the code %q contains '#': Chromium cuts it at the '#'", r.Code))
	}
	if !AndroidConsentCode(r.Code) {
		w = append(w, fmt.Sprintf("the code %q is not 4-10 letters and digits with at least one digit: Android's SMS User Consent API (Chrome's default backend) will not offer it", r.Code))
	}
	if _, err := Format(Message{Host: r.Host, Code: r.Code, EmbeddedHost: r.EmbeddedHost}); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			w = append(w, fmt.Sprintf("webotp would not send this OTP line: %s %q %s", strings.ReplaceAll(fe.Field, "_", " "), fieldValue(fe.Field, r), fe.Reason))
		}
	}
	return w
}

// fieldValue is the reading's value of an FormatError field.
func fieldValue(field string, r Reading) string {
	switch field {
	case "host":
		return r.Host
	case "embedded_host":
		return r.EmbeddedHost
	}
	return r.Code
}

// normalizedHint suggests the punycode form of host, when it has one.
func normalizedHint(host string) string {
	if h, err := NormalizeHost(host); err == nil {
		return " (" + h + ")"
	}
	return ""
}

// AndroidConsentCode reports whether Android's SMS User Consent API
// (Chrome's default WebOTP backend) offers code: 4-10 ASCII letters and
// digits, at least one digit.
func AndroidConsentCode(code string) bool {
	if len(code) < 4 || len(code) > 10 {
		return false
	}
	digit := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		default:
			return false
		}
	}
	return digit
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeNewlines turns CRLF and CR into LF, as the spec does.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// splitLines splits msg into the spec's lines.
func splitLines(msg string) []string {
	return strings.Split(normalizeNewlines(msg), "\n")
}

// firstNonGSM quotes the first character of msg outside GSM-7.
func firstNonGSM(msg string) string {
	for _, r := range msg {
		if Count(string(r)).Encoding != GSM7 {
			return fmt.Sprintf("%q (U+%04X)", r, r)
		}
	}
	return "a character"
}
