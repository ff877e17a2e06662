//go:build js && wasm

// Command wasm is the webotp client compiled to WebAssembly: the thin
// binding between the page and package controller, which holds the logic.
//
// The loader (web/src/webotp.js) defines window.webotp, fetches this wasm
// and runs it. It hands over what the wasm needs through a non-enumerable
// property, window.webotp.__handoff, which main reads and deletes:
//
//	script   the loader's <script> element (data-* defaults), or null
//	sel      the selector of target inputs: the loader's, the only copy
//	t0       Date.now() when the loader first ran: dev emulation offers only
//	         outbox messages sent after it (less a 2 s clock-skew allowance)
//	early    the get() the loader started itself for the first target
//	         input it saw, or undefined: {input, ctl (its AbortController),
//	         promise (rejection handled), t (Date.now() at the call), ended
//	         ("" while it is pending; "submit", "removed" or "hidden" once
//	         the loader ended it on that page event before the wasm ran,
//	         webotp:abort fired)}; the controller decides what it means
//	         (controller.Record, Controller.Start)
//	hidden   true between a pagehide and a pageshow seen by the loader
//	top()    the top-level document's hostname (location.ancestorOrigins'
//	         last; this document's own at top level), or null for a frame
//	         that cannot tell (no ancestorOrigins) or whose chain of frames
//	         holds a third host
//	get()    calls navigator.credentials.get({otp: {transport: ["sms"]},
//	         signal}): {ctl (its AbortController), promise}; throws where
//	         there is no navigator.credentials
//	build(spec) makes the element a JSON spec describes (ui.go)
//	outbox(url) reads the dev outbox at url (relative to src): a promise
//	         of [body, sent (Unix ms), ...], newest first
//	announce(msg) says msg through the polite, visually hidden live
//	         region #webotp-live (made once, by the loader, which announces
//	         a verification link's fill through it too)
//	define() registers the customized built-in <input is="one-time-code">
//	         (class syntax in the loader: no eval); false where unsupported
//	ready(impl) called once the binding runs, with impl = {version,
//	         receive(input, timeoutSeconds, resolve, reject), abort(input),
//	         parse(message) -> [host, code, embeddedHost] | null,
//	         mutated()}: the loader's window.webotp methods call these,
//	         its MutationObserver (the only one, watching the attributes
//	         that change what sel matches) calls mutated from then on, and
//	         window.webotp.ready resolves
//	fail(name, message) called instead when the binding cannot start:
//	         window.webotp.ready rejects and webotp:error fires on the document
//
// Without the handoff (not started by the loader) main returns at once.
//
// Only the files of this package touch JavaScript, always through
// github.com/hack-pad/safejs (every call returns an error), and every one
// of them carries the js && wasm build constraint (a native test checks).
// Every Go function JavaScript can call recovers from a panic and reports
// it as a webotp:error event (name "UnknownError") on the pending input or
// the document. DOM identifiers the page and tests may rely on: the live
// region #webotp-live (role=status, aria-live=polite) and the dev consent
// bar #webotp-consent with buttons [data-action=allow] and
// [data-action=deny].
//
// Size: the helpers in js.go funnel every safejs call through a few
// out-of-line functions, build/client.sh compiles this module without
// inlining, and the code avoids errors.As, strconv.ParseFloat,
// strings.ToLower, strings.Index (Cut), the Spec grammar of otpmsg
// (ParseChromium only) and time.Time or time.Duration in types reachable
// from interfaces (Duration.String), each of which links KBs into the wasm
// (build/client.sh reports the sizes).
package main
