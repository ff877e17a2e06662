package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/webotp/webotp/otpmsg"
)

// smsUsage is the help of `webotp sms`.
const smsUsage = `usage:
  webotp sms parse [--rules spec|chromium] < message
      read one whole SMS message from standard input, byte for byte, and print
      {"valid":true,"host":"...","code":"...","embedded_host":""} or
      {"valid":false,"reason":"..."}; exit 0 when valid, 1 when not.
  webotp sms format --host H --code C [--embedded-host E] [--text T] [--app-hash X]
      print the message the verifier would send, exactly, without a trailing
      newline (pipe it into "webotp sms parse" as is); exit 1 with the reason
      on standard error when it refuses. An IDN or uppercase host is written
      as lowercase punycode.
  webotp sms check [--json] < message-or-template
      report how the spec, Chromium and Safari read a message (or a template:
      {code} and {app} are replaced by sample values), with warnings, the
      encoding and the segment count; exit 0 when all three read it
      identically and validly, 1 otherwise.
Usage errors exit 2.
`

// Sample values `sms check` puts in a template's placeholders.
const (
	sampleCode = "123456"
	sampleApp  = "Example"
)

// runSMS runs `webotp sms ...` and returns the exit code: 0 on success (a
// valid message), 1 on an invalid or refused message, 2 on a usage error.
func runSMS(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, smsUsage)
		return 2
	}
	switch args[0] {
	case "parse":
		return runSMSParse(args[1:], stdin, stdout, stderr)
	case "format":
		return runSMSFormat(args[1:], stdout, stderr)
	case "check":
		return runSMSCheck(args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, smsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "webotp sms: unknown command %q\n%s", args[0], smsUsage)
	return 2
}

// smsFlags parses a subcommand's flags. done is true when the caller must
// return code: after -h (0) or a usage error (2).
func smsFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, smsUsage)
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "webotp %s: %v\n%s", fs.Name(), err, smsUsage)
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "webotp %s: unexpected argument %q\n%s", fs.Name(), fs.Arg(0), smsUsage)
		return 2, true
	}
	return 0, false
}

// parseResult is the one line `webotp sms parse` prints.
type parseResult struct {
	Valid        bool   `json:"valid"`
	Host         string `json:"host"`
	Code         string `json:"code"`
	EmbeddedHost string `json:"embedded_host"`
}

// parseFailure is the line `webotp sms parse` prints for an invalid message.
type parseFailure struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason"`
}

func runSMSParse(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sms parse", flag.ContinueOnError)
	rulesName := fs.String("rules", "spec", "grammar: spec (the WICG text) or chromium")
	if code, done := smsFlags(fs, args, stdout, stderr); done {
		return code
	}
	rules, err := otpmsg.ParseRules(*rulesName)
	if err != nil {
		fmt.Fprintf(stderr, "webotp sms parse: --rules %q: want spec or chromium\n", *rulesName)
		return 2
	}
	msg, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "webotp sms parse: read standard input: %v\n", err)
		return 1
	}
	otp, err := otpmsg.Parse(string(msg), rules)
	if err != nil {
		reason := err.Error()
		var pe *otpmsg.ParseError
		if errors.As(err, &pe) {
			reason = pe.Reason
		}
		return smsJSON(stdout, stderr, parseFailure{Valid: false, Reason: reason}, 1)
	}
	return smsJSON(stdout, stderr, parseResult{Valid: true, Host: otp.Host, Code: otp.Code, EmbeddedHost: otp.EmbeddedHost}, 0)
}

// smsJSON writes v as one JSON line, HTML characters unescaped, and returns
// code (1 if writing fails).
func smsJSON(stdout, stderr io.Writer, v any, code int) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "webotp sms: write: %v\n", err)
		return 1
	}
	return code
}

// formatFlag names the flag that sets an otpmsg.FormatError field.
func formatFlag(field string) string {
	return "--" + strings.ReplaceAll(field, "_", "-")
}

func runSMSFormat(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sms format", flag.ContinueOnError)
	host := fs.String("host", "", "top-level host the code is bound to (required)")
	code := fs.String("code", "", "the one-time code (required)")
	embedded := fs.String("embedded-host", "", "cross-origin iframe host")
	text := fs.String("text", "", "human text before the OTP line")
	appHash := fs.String("app-hash", "", "11-character Android SMS Retriever app hash")
	if code, done := smsFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *host == "" || *code == "" {
		fmt.Fprintf(stderr, "webotp sms format: --host and --code are required\n%s", smsUsage)
		return 2
	}
	m := otpmsg.Message{Text: *text, Code: *code, AppHash: *appHash}
	var err error
	if m.Host, err = otpmsg.NormalizeHost(*host); err != nil {
		fmt.Fprintf(stderr, "webotp sms format: --host: %s\n", strings.TrimPrefix(err.Error(), "otpmsg: "))
		return 1
	}
	if *embedded != "" {
		if m.EmbeddedHost, err = otpmsg.NormalizeHost(*embedded); err != nil {
			fmt.Fprintf(stderr, "webotp sms format: --embedded-host: %s\n", strings.TrimPrefix(err.Error(), "otpmsg: "))
			return 1
		}
	}
	body, err := otpmsg.Format(m)
	if err != nil {
		var fe *otpmsg.FormatError
		if errors.As(err, &fe) {
			fmt.Fprintf(stderr, "webotp sms format: %s %s\n", formatFlag(fe.Field), fe.Reason)
		} else {
			fmt.Fprintf(stderr, "webotp sms format: %v\n", err)
		}
		return 1
	}
	if _, err := io.WriteString(stdout, body); err != nil {
		fmt.Fprintf(stderr, "webotp sms format: write: %v\n", err)
		return 1
	}
	return 0
}

// checkReading is how one reader reads the message, in `sms check`.
type checkReading struct {
	Valid        bool   `json:"valid"`
	Host         string `json:"host,omitempty"`
	Code         string `json:"code,omitempty"`
	EmbeddedHost string `json:"embedded_host,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// How says what the reader looks at and where it offers the code.
	How string `json:"how"`
}

// checkReport is what `sms check` prints.
type checkReport struct {
	OK       bool         `json:"ok"`
	Spec     checkReading `json:"spec"`
	Chromium checkReading `json:"chromium"`
	Safari   checkReading `json:"safari"`
	Warnings []string     `json:"warnings"`
	Encoding string       `json:"encoding"`
	Units    int          `json:"units"`
	Segments int          `json:"segments"`
}

func runSMSCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sms check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if code, done := smsFlags(fs, args, stdout, stderr); done {
		return code
	}
	raw, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "webotp sms check: read standard input: %v\n", err)
		return 1
	}
	r := checkMessage(string(raw))
	code := 1
	if r.OK {
		code = 0
	}
	if *asJSON {
		return smsJSON(stdout, stderr, r, code)
	}
	if err := writeCheckReport(stdout, r); err != nil {
		fmt.Fprintf(stderr, "webotp sms check: write: %v\n", err)
		return 1
	}
	return code
}

// checkMessage reads msg (a template's placeholders filled) with the three
// readers and collects what an operator should know.
func checkMessage(msg string) checkReport {
	var warnings []string
	if strings.Contains(msg, "{code}") || strings.Contains(msg, "{app}") {
		msg = strings.NewReplacer("{code}", sampleCode, "{app}", sampleApp).Replace(msg)
		warnings = append(warnings, "template placeholders filled with samples: {code} = "+sampleCode+", {app} = "+sampleApp)
	}
	lines := splitLines(msg)

	spec := readWith(msg, otpmsg.Spec)
	spec.How = "reads the last line only"
	if spec.Valid {
		spec.How += "; binds the code to " + bindingNote("https://"+spec.Host, spec.EmbeddedHost, "https://"+spec.EmbeddedHost)
	}
	chromium := readWith(msg, otpmsg.Chromium)
	chromium.How = "takes the first @host #code match anywhere in the message"
	if at := otpmsg.ChromiumMatchAt(msg); at >= 0 {
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
	seg := otpmsg.Count(msg)
	if seg.Encoding == otpmsg.UCS2 {
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
	return checkReport{
		OK: agree, Spec: spec, Chromium: chromium, Safari: safari, Warnings: warnings,
		Encoding: seg.Encoding, Units: seg.Units, Segments: seg.Segments,
	}
}

// readWith is one grammar's reading of msg.
func readWith(msg string, rules otpmsg.Rules) checkReading {
	otp, err := otpmsg.Parse(msg, rules)
	if err != nil {
		var pe *otpmsg.ParseError
		if errors.As(err, &pe) {
			return checkReading{Reason: pe.Reason}
		}
		return checkReading{Reason: err.Error()}
	}
	return checkReading{Valid: true, Host: otp.Host, Code: otp.Code, EmbeddedHost: otp.EmbeddedHost}
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
	if otpmsg.IsLocalhost(host) {
		return "http://" + host
	}
	return "https://" + host
}

// checkWarnings lists what makes a message fragile, beyond disagreement.
func checkWarnings(msg string, lines []string, spec, chromium checkReading) []string {
	var w []string
	if strings.HasSuffix(msg, "\n") || strings.HasSuffix(msg, "\r") {
		w = append(w, "the message ends with a newline: the spec and Safari read an empty last line and find no code (Chromium still does); remove it")
	}
	var otpLines []string
	for i, line := range lines {
		if _, err := otpmsg.Parse(line, otpmsg.Spec); err == nil || otpmsg.ChromiumMatchAt(line) >= 0 {
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
		r = readWith(strings.TrimRight(msg, "\r\n"), otpmsg.Spec)
	}
	if !r.Valid {
		r = chromium
	}
	if !r.Valid {
		w = append(w, `no reader finds an OTP line: the message must end with "@host #code"`)
		if _, err := otpmsg.Format(otpmsg.Message{Text: msg, Host: "example.com", Code: sampleCode}); err != nil {
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
	if !androidConsentCode(r.Code) {
		w = append(w, fmt.Sprintf("the code %q is not 4-10 letters and digits with at least one digit: Android's SMS User Consent API (Chrome's default backend) will not offer it", r.Code))
	}
	if _, err := otpmsg.Format(otpmsg.Message{Host: r.Host, Code: r.Code, EmbeddedHost: r.EmbeddedHost}); err != nil {
		var fe *otpmsg.FormatError
		if errors.As(err, &fe) {
			w = append(w, fmt.Sprintf("webotp would not send this OTP line: %s %q %s", strings.ReplaceAll(fe.Field, "_", " "), fieldValue(fe.Field, r), fe.Reason))
		}
	}
	return w
}

// fieldValue is the reading's value of an otpmsg.FormatError field.
func fieldValue(field string, r checkReading) string {
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
	if h, err := otpmsg.NormalizeHost(host); err == nil {
		return " (" + h + ")"
	}
	return ""
}

// androidConsentCode reports whether Android's SMS User Consent API
// surfaces code: 4-10 ASCII letters and digits, at least one digit.
func androidConsentCode(code string) bool {
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
		if otpmsg.Count(string(r)).Encoding != otpmsg.GSM7 {
			return fmt.Sprintf("%q (U+%04X)", r, r)
		}
	}
	return "a character"
}

// writeCheckReport prints the report for people.
func writeCheckReport(w io.Writer, r checkReport) error {
	var b strings.Builder
	for _, x := range []struct {
		name string
		r    checkReading
	}{{"spec", r.Spec}, {"chromium", r.Chromium}, {"safari", r.Safari}} {
		if x.r.Valid {
			fmt.Fprintf(&b, "%-9s valid: host %q, code %q", x.name+":", x.r.Host, x.r.Code)
			if x.r.EmbeddedHost != "" {
				fmt.Fprintf(&b, ", iframe host %q", x.r.EmbeddedHost)
			}
			b.WriteString("\n")
		} else {
			fmt.Fprintf(&b, "%-9s invalid: %s\n", x.name+":", x.r.Reason)
		}
		fmt.Fprintf(&b, "          %s\n", x.r.How)
	}
	unit := "septets"
	if r.Encoding == otpmsg.UCS2 {
		unit = "UTF-16 units"
	}
	fmt.Fprintf(&b, "encoding: %s, %d %s, %d segment(s)\n", r.Encoding, r.Units, unit, r.Segments)
	if len(r.Warnings) > 0 {
		b.WriteString("warnings:\n")
		for _, warning := range r.Warnings {
			fmt.Fprintf(&b, "  - %s\n", warning)
		}
	}
	if r.OK {
		b.WriteString("result: the spec, Chromium and Safari read it identically\n")
	} else {
		b.WriteString("result: the readers disagree or cannot read it\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
