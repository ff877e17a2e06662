// Package controller is the browser-independent half of the webotp
// client: which input the document's one WebOTP request is for, when it
// starts and ends, what a code, a paste or a page event does. It knows
// no JavaScript: the binding in package main (built for js/wasm only)
// implements the DOM interface on safejs and calls the Controller's
// methods from its event listeners, so everything here builds and is
// tested natively against a fake page.
//
// Decisions, where the contract (API.md §5) leaves room:
//
//   - Routing. Chromium cancels a document's pending get() when another
//     starts, so there is one request per document. An automatic request
//     goes to the focused target when it is eligible (connected, enabled,
//     not read-only, empty, not data-webotp="off", not already served),
//     else to the first eligible target in document order. When another
//     eligible target gets focus the request follows it without a new
//     get(): the element only matters when the code arrives.
//   - Arming. A request is armed at start, after document mutations and
//     when a hidden page shows again. The loader arms the first one
//     itself, as soon as it sees a target input, without waiting for the
//     wasm; the binding adopts that get() (Adopt) instead of starting
//     another, and replays what happened to it meanwhile. A filled, timed-out, submitted,
//     denied or failed input is not armed again automatically
//     (window.webotp.receive can); a removed input ends its request with
//     reason "removed" and the next eligible target is armed.
//   - Hidden. Only pagehide ends the request ("hidden"); a page merely
//     in the background keeps it (on Android the user switches to the
//     Messages app). pageshow, or becoming visible, arms again.
//   - Fill. The native value setter, then bubbling input, change and
//     autocomplete events (detail {code, source}), then the live region.
//     requestSubmit() only when autosubmit is on, the autocomplete event
//     was not cancelled, no form was submitted while the events ran (the
//     page's own handler may submit on input) and this input was not
//     auto-submitted in the last 2 seconds.
//   - Paste. A whole SMS (Chromium's rules) for this host fills its code
//     (source "paste") and completes the pending request of that input
//     silently (no webotp:abort); the embedded host also counts as this
//     host, since an iframe cannot see its parent's host. A message for
//     another host is refused with a validity message, cleared on the
//     next input. Spaces, dashes and full-width or Arabic-Indic digits
//     are normalised when what remains looks like a code (ASCII letters
//     and digits, at least one digit, at most 16).
//   - receive(). It ends any other request ("api"), fills the input as
//     an automatic request would, and resolves with the code; aborts
//     reject with an AbortError (TimeoutError for "timeout"), failures
//     with the failure's name.
//   - Dev emulation. Only on localhost, 127.0.0.1 or [::1] with a
//     data-dev-outbox URL: no get(); the outbox is read every second
//     while the request is pending, and the newest message for this host
//     sent after the page loaded (less DevSkew, for clock skew), not
//     offered before, is shown in a consent bar: a message sent before
//     this page load is another tab's or an earlier visit's. Allow fills (source
//     "dev"); Deny ends the request with webotp:error NotAllowedError,
//     as a declined browser prompt would. A failing outbox read is
//     reported once per request as webotp:error NetworkError and polling
//     goes on.
package controller
