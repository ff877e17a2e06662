// Package otpmsg reads and writes origin-bound one-time-code SMS messages:
// a human text, then a last line "@host #code" or "@host #code @iframe-host"
// that binds the code to a web origin.
//
// Two grammars read such messages, and they disagree on many inputs:
//
//   - Spec, the WICG "origin-bound one-time codes delivered via SMS" text as
//     written: only the last line counts (CRLF and CR first become LF, so a
//     trailing newline leaves an empty, invalid last line); it must start
//     with '@'; a token runs to the next ASCII whitespace (TAB, LF, FF, CR,
//     SPACE); exactly one U+0020 separates the tokens; trailing text is
//     ignored; hosts are not validated; an invalid third token only means
//     "no iframe host".
//
//   - Chromium, content/browser/sms/sms_parser.cc: the FIRST match anywhere
//     in the message of the RE2 pattern
//     (?:^|\s)@([a-zA-Z0-9.-]+) #([^#\s]+)(?: @([a-zA-Z0-9.-]+))?
//     then each host is canonicalised as a URL host would be: lowercased, and
//     an IPv4-looking host (the WHATWG URL standard's "ends in a number")
//     must be a valid IPv4 address, which is rewritten to dotted decimal. An
//     invalid iframe host rejects the whole message.
//
// In RE2, as in Go's regexp, \s is ASCII only: [\t\n\f\r ]. So Unicode
// spaces (U+00A0, U+2003, ...) and VT are ordinary code characters in both
// grammars: "@a.com #12\u00a034" has the code "12\u00a034" under both rules.
// The Chromium scanner here is hand-written rather than built on regexp: the
// browser client compiles this package to WebAssembly, where every kilobyte
// counts. It treats bytes that are not valid UTF-8 as ending the code (RE2
// matches only valid UTF-8 with [^#\s]); Chromium itself only ever sees
// valid UTF-8.
//
// Format writes only the subset of messages that both grammars (and Safari,
// and Android's SMS User Consent API) read identically: for every message it
// returns, Parse under either rule yields exactly its Host, Code and
// EmbeddedHost. Count reports the SMS encoding and segment count.
//
// NormalizeHost and HostFromOrigin map international host names to punycode
// with UTS #46 as the WHATWG URL standard does: through golang.org/x/net/idna
// natively, and through the JavaScript URL parser under js/wasm, so that the
// client's WebAssembly carries no IDNA tables.
package otpmsg
