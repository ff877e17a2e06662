// Package e2e holds the end-to-end tests of the client: real headless
// Chromium (/usr/bin/chromium) against the real verifier (`webotp serve
// --dev`), the real webotp.js and webotp.wasm. Only the phone is faked: an
// init script (testdata/fakeotp.js) stands in for navigator.credentials.get
// and reads the SMS from the verifier's dev outbox.
//
// Headless Chromium exposes OTPCredential but has no SMS backend, so the
// fake must behave as Chromium's navigator.credentials.get({otp}) does, or
// the client tests prove nothing (TestFakePhoneBehavesLikeChromium checks it
// on a page without webotp.js):
//
//   - a missing or empty transport rejects NotSupportedError; an unknown
//     transport value throws TypeError;
//   - an aborted signal rejects with signal.reason (AbortError, or
//     TimeoutError for AbortSignal.timeout);
//   - a second get() from the same document rejects the first with
//     AbortError "OTP retrieval was cancelled.";
//   - a cross-origin iframe without allow="otp-credentials" is refused
//     with NotAllowedError;
//   - the SMS is read with Chromium's grammar (the first
//     `(?:^|\s)@host #code( @iframe)?` match anywhere in the message, hosts
//     lowercased, the origin matched exactly), and a message that does not
//     parse or names another origin leaves the request pending;
//   - success resolves {type: "otp", id: "", code}.
//
// Run them with `go test ./web/e2e/` after `make build` (the verifier embeds
// web/dist). BenchmarkTimeToGet measures how soon a page calls get();
// BenchmarkConsentToFill the consent → filled time on emulated networks.
package e2e
