package e2e

import (
	"testing"
)

// The hand-over from the loader to the wasm: the loader starts get() for
// the first target input and records what happened; once the wasm runs,
// the controller decides what that means, by the rules it applies to its
// own requests. Pages load the client through /slow/webotp.js, whose wasm
// arrives late, so that the test acts while only the loader runs.

// A code input disabled until the user asks for the SMS: enabled while the
// wasm is on its way, it receives the code the loader's request got.
func TestInputEnabledWhileTheWasmLoadsGetsTheEarlyCode(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{scriptSrc: "/slow/webotp.js", body: codeForm(`autocomplete="one-time-code" disabled`)}.url(t))
	tb.waitPending()
	tb.exec(`document.getElementById('otp').disabled = false`)
	code := deliver(t, tb)
	tb.waitFor(`__fakeOtp.resolved.length === 1`, "the early get() to resolve")
	if got := tb.readyState(); got != "pending" {
		t.Fatalf("webotp.ready is %s when the code arrived; the test cannot see the hand-over", got)
	}
	tb.waitForWithin(`document.getElementById('otp').value === `+quote(code), "#otp to hold the code once the wasm runs", waitLimit+slowWasm)
	checkFilled(t, tb, "otp", code, "webotp")
	if f := tb.fake(); f.Calls != 1 || f.Cancelled != 0 {
		t.Errorf("get() calls %d, cancelled %d; want 1 and 0", f.Calls, f.Cancelled)
	}
}

// What the user typed while the wasm loaded is theirs: a code that arrived
// meanwhile is not written over it, as no request would have been armed
// for a filled input. The loader's request ends without webotp:abort.
func TestInputTypedIntoWhileTheWasmLoadsIsNotOverwritten(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{scriptSrc: "/slow/webotp.js", body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	tb.exec(`const el = document.getElementById('otp'); el.value = '12'; el.dispatchEvent(new Event('input', {bubbles: true}));`)
	deliver(t, tb)
	tb.waitFor(`__fakeOtp.resolved.length === 1`, "the early get() to resolve")
	if got := tb.readyState(); got != "pending" {
		t.Fatalf("webotp.ready is %s when the code arrived; the test cannot see the hand-over", got)
	}
	tb.waitReady()
	tb.settle()
	if got := eval[string](tb, `document.getElementById('otp').value`); got != "12" {
		t.Errorf("#otp holds %q, want the 12 the user typed", got)
	}
	evs := tb.events()
	if n := len(eventsOf(evs, "autocomplete", "")); n != 0 {
		t.Errorf("%d autocomplete events, want none", n)
	}
	if got := abortReasons(evs); len(got) != 0 {
		t.Errorf("webotp:abort reasons %q, want none", got)
	}
	if f := tb.fake(); f.Calls != 1 || f.Pending != 0 {
		t.Errorf("get() calls %d, pending %d; want 1 and 0", f.Calls, f.Pending)
	}
}

// The loader's MutationObserver, the only one, watches the attributes the
// controller's rules read: an input enabled after the wasm runs is armed.
func TestInputEnabledAfterTheWasmRunsIsArmed(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" disabled`)}.url(t))
	tb.waitReady()
	tb.settle()
	if f := tb.fake(); f.Pending != 0 {
		t.Fatalf("%d get() pending for a disabled input, want none", f.Pending)
	}
	tb.exec(`document.getElementById('otp').removeAttribute('disabled')`)
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")
}
