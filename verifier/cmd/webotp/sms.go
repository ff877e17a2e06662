package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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
	r := otpmsg.Check(string(raw))
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

// writeCheckReport prints the report for people.
func writeCheckReport(w io.Writer, r otpmsg.Report) error {
	var b strings.Builder
	for _, x := range []struct {
		name string
		r    otpmsg.Reading
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
