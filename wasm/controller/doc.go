// Package controller is the browser-independent half of the webotp
// client: which input the document's one WebOTP request is for, when it
// starts and ends, what a code, a paste or a page event does. It knows
// no JavaScript: the binding in package main (built for js/wasm only)
// implements the DOM interface on safejs and calls the Controller's
// methods from its event listeners, so everything here builds and is
// tested natively against a fake page.
//
// Decisions, where the contract (the README) leaves room:
//
//   - Routing. Chromium cancels a document's pending get() when another
//     starts, so there is one request per document. An automatic request
//     goes to the focused target when it is eligible (connected, enabled,
//     not read-only, empty, not data-webotp="off", not already served),
//     else to the first eligible target in document order. When another
//     eligible target gets focus the request follows it without a new
//     get(): the element only matters when the code arrives.
//   - Arming. A request is armed at start, after document mutations and
//     when a hidden page shows again.
//   - Before the wasm runs. The loader (web/src/webotp.js) calls get()
//     itself for the first target input it sees, without waiting for the
//     wasm, ends it on a submit of its form ("submit"), its removal
//     ("removed", then it starts one for the next target) or pagehide
//     ("hidden"), and records what happened (Record); it decides nothing
//     else. Start reads the record as the binding's own events: a pending
//     get() is adopted, not doubled (Chromium would cancel the first), and
//     goes where arming now would send a new one, its input first if
//     still eligible; with no eligible target it is cancelled silently
//     (reason "unused"), so a code that arrived for an input disabled or
//     typed into meanwhile is dropped, as a request never started would
//     have been.
//   - Re-arming. A filled, timed-out, submitted or aborted input is not
//     armed again by mutations, and neither are the other targets present
//     when a code filled one: the next code belongs to the input the user
//     or the app points at. Focusing an empty one, emptying it (an input
//     event), or a filled input found empty after a mutation (the app
//     cleared it for a resend) arms it again. A failed request (refused
//     by the browser, denied, a code longer than the maxlength) is armed
//     again only by window.webotp.receive. A removed input ends its
//     request with reason "removed", fired on the input and, since a
//     removed node's events no longer reach the document, on the
//     document with the input in detail.input; the next eligible target
//     is armed.
//   - Hidden. Only pagehide ends the request ("hidden"); a page merely
//     in the background keeps it (on Android the user switches to the
//     Messages app). pageshow, or becoming visible, arms again.
//   - Fill. The native value setter, then bubbling input, change and
//     autocomplete events (detail {code, source}), then the live region.
//     requestSubmit() only when autosubmit is on, the autocomplete event
//     was not cancelled, no form was submitted while the events ran (the
//     page's own handler may submit on input) and this input was not
//     auto-submitted in the last 2 seconds.
//   - Paste. A whole SMS (Chromium's rules) for this document fills its
//     code (source "paste") and completes the pending request of that
//     input silently (no webotp:abort). For this document means what
//     Chromium means: "@host #code" naming this host in a top-level
//     document; in a document framed by another host only
//     "@top #code @host" naming the real top-level host (from
//     location.ancestorOrigins; where the browser does not give it, no
//     message is accepted rather than one guessed) and this host. A
//     message for another document is refused with a validity message,
//     which stays until the input's value changes (components such as
//     input-otp fire input events of their own that change nothing). A
//     handled paste goes no further (no other paste listener inserts
//     text). Codes otpmsg.NormalizeCode accepts go in normalised.
//   - Length and autosubmit. A code longer than the input's maxlength is not put in (it
//     would be cut to a wrong code): webotp:error ConstraintError.
//     Autosubmit only submits a valid form (checkValidity): an invalid
//     one is left for the user's own submit, focus stays where it is.
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
