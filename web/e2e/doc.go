// Package e2e holds the end-to-end tests of the client: real headless
// Chromium (/usr/bin/chromium) against the real verifier (`webotp serve
// --dev`), the real webotp.js and webotp.wasm. Only the phone is faked: an
// init script stands in for navigator.credentials.get and reads the SMS from
// the verifier's dev outbox.
//
// Run them with `go test ./web/e2e/` after `make build` (the verifier embeds
// web/dist). BenchmarkTimeToGet measures how soon a page calls get().
package e2e
