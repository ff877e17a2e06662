package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// deliver waits until the page listens for an SMS, then has the verifier
// send one bound to the page server's host, and returns its code.
func deliver(t *testing.T, tb *tab) string {
	t.Helper()
	tb.waitPending()
	_, code := need(t).sendSMS(t, need(t).pages)
	return code
}

// waitValue waits until the input with the given id holds want.
func (tb *tab) waitValue(id, want string) {
	tb.t.Helper()
	tb.waitFor(`document.getElementById(`+quote(id)+`).value === `+quote(want), "#"+id+" to hold "+want)
}

// waitReady waits for window.webotp.ready to resolve.
func (tb *tab) waitReady() {
	tb.t.Helper()
	tb.waitFor(`window.webotp && typeof window.webotp.ready === 'object'`, "window.webotp.ready to exist")
	got := eval[string](tb, `Promise.race([
		window.webotp.ready.then(() => 'resolved', (e) => 'rejected: ' + e),
		new Promise((r) => setTimeout(() => r('still pending after 5 s'), 5000)),
	])`)
	if got != "resolved" {
		tb.t.Fatalf("window.webotp.ready: %s\n%s", got, tb.report())
	}
}

// settle lets the page run for a moment, for assertions that something
// did NOT happen.
func (tb *tab) settle() {
	tb.t.Helper()
	eval[bool](tb, `new Promise((r) => setTimeout(() => r(true), 300))`)
}

// eventsOf returns the recorded events of one type on one target.
func eventsOf(evs []pageEvent, typ, target string) []pageEvent {
	var out []pageEvent
	for _, e := range evs {
		if e.Type == typ && (target == "" || e.Target == target) {
			out = append(out, e)
		}
	}
	return out
}

type fillDetail struct {
	Code   string `json:"code"`
	Source string `json:"source"`
}

// checkFilled checks what a fill must do (the README's events): one bubbling
// input, change and autocomplete event each, autocomplete's detail
// {code, source}, a polite live-region announcement, no webotp:error.
func checkFilled(t *testing.T, tb *tab, id, code, source string) {
	t.Helper()
	tb.waitFor(`[...document.querySelectorAll('[aria-live="polite"], [role="status"]')].some((el) => el.textContent.trim() !== '')`,
		"a polite live-region announcement")
	evs := tb.events()
	for _, typ := range []string{"input", "change", "autocomplete"} {
		got := eventsOf(evs, typ, id)
		if len(got) != 1 {
			t.Errorf("%d %q events on #%s, want 1", len(got), typ, id)
			continue
		}
		if !got[0].Bubbles {
			t.Errorf("the %q event does not bubble", typ)
		}
		if got[0].Value == nil || *got[0].Value != code {
			t.Errorf("during the %q event the input's value was %v, want %q", typ, got[0].Value, code)
		}
	}
	if ac := eventsOf(evs, "autocomplete", id); len(ac) == 1 {
		var d fillDetail
		if err := json.Unmarshal(ac[0].Detail, &d); err != nil || d.Code != code || d.Source != source {
			t.Errorf("autocomplete detail = %s, want {code: %q, source: %q}", ac[0].Detail, code, source)
		}
	}
	if errs := eventsOf(evs, "webotp:error", ""); len(errs) > 0 {
		t.Errorf("webotp:error events: %+v", errs)
	}
}

func TestCustomizedBuiltInInputIsFilledFromTheSMS(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`is="one-time-code" required`)}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")

	f := tb.fake()
	if f.Calls != 1 || f.MaxPending != 1 || f.Pending != 0 {
		t.Errorf("get() calls %d, at most pending %d, still pending %d; want 1, 1, 0", f.Calls, f.MaxPending, f.Pending)
	}
	if len(f.Options) > 0 && (strings.Join(f.Options[0].Transport, ",") != "sms" || !f.Options[0].Signal) {
		t.Errorf("get() was called with %+v, want otp.transport ['sms'] and a signal", f.Options[0])
	}
	if got := eval[string](tb, `(() => {
		const C = customElements.get('one-time-code');
		if (!C) return 'not defined';
		return document.getElementById('otp') instanceof C ? 'upgraded' : 'defined, input not upgraded';
	})()`); got != "upgraded" {
		t.Errorf("customized built-in one-time-code: %s", got)
	}
	if got := eval[string](tb, `document.getElementById('otp').getAttribute('autocomplete')`); got != "one-time-code" {
		t.Errorf(`is="one-time-code" input has autocomplete=%q, want "one-time-code" (for Safari's own autofill)`, got)
	}
}

func TestAutocompleteInputIsFilledFromTheSMS(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" required`)}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")
}

func TestInputAddedLaterIsFilled(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<main id="slot"></main>`}.url(t))
	tb.waitScriptRan()
	if f := tb.fake(); f.Calls != 0 {
		t.Fatalf("get() called %d times before any target input exists", f.Calls)
	}
	tb.exec(`document.getElementById('slot').innerHTML = ` + quote(codeForm(`autocomplete="one-time-code"`)))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")
}

// React keeps an own "value" property on each input it controls and compares
// it with the DOM value on the input event; a value set through that own
// property is invisible to onChange. Only the native setter works.
func TestFrameworkValueTrackerSeesTheFill(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.exec(`
		const node = document.getElementById('otp');
		const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
		let tracked = node.value;
		Object.defineProperty(node, 'value', {
			configurable: true,
			enumerable: desc.enumerable,
			get() { return desc.get.call(this); },
			set(v) { tracked = '' + v; desc.set.call(this, v); },
		});
		window.__onChange = [];
		document.addEventListener('input', (e) => {
			if (e.target !== node) return;
			const actual = desc.get.call(node);
			if (actual !== tracked) { tracked = actual; window.__onChange.push(actual); }
		});`)
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	if got := eval[[]string](tb, `window.__onChange`); len(got) != 1 || got[0] != code {
		t.Errorf("the value tracker saw changes %q, want [%q]: the value was not set through the native setter", got, code)
	}
}

func TestAutosubmitSubmitsTheFormOnceThroughRequestSubmit(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" data-autosubmit required`)}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	tb.waitFor(`window.__submits.length > 0`, "the form's submit handler to run")

	// Pasting the same message right away must not submit a second time.
	res := tb.paste("otp", "@localhost #"+code)
	if res.Value != code {
		t.Errorf("after pasting the SMS again the value is %q, want %q", res.Value, code)
	}
	tb.settle()
	if n := tb.submits(); n != 1 {
		t.Errorf("the form was submitted %d times, want exactly 1", n)
	}
	if u := eval[string](tb, `location.pathname`); strings.HasPrefix(u, "/verify") {
		t.Errorf("the page navigated to %s: form.submit() was used instead of requestSubmit()", u)
	}
}

func TestAutosubmitDoesNotSubmitAnInvalidForm(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<form id="f">
  <label for="otp">Code</label>
  <input id="otp" name="code" autocomplete="one-time-code" inputmode="numeric" data-autosubmit required>
  <label><input id="terms" type="checkbox" required> I agree</label>
  <button id="go">Verify</button>
</form>`}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	tb.waitFor(`window.__events.some((e) => e.type === 'invalid' && e.target === 'terms')`,
		"constraint validation (an invalid event on the unchecked required checkbox)")
	tb.settle()
	if n := tb.submits(); n != 0 {
		t.Errorf("an invalid form was submitted %d times, want 0", n)
	}
}

// abortEvents returns the reasons of the webotp:abort events seen.
func abortReasons(evs []pageEvent) []string {
	var out []string
	for _, e := range eventsOf(evs, "webotp:abort", "") {
		var d struct {
			Reason string `json:"reason"`
		}
		json.Unmarshal(e.Detail, &d)
		out = append(out, d.Reason)
	}
	return out
}

// checkAborted checks that the fake phone saw exactly one request, ended by
// its signal, and that nothing is pending.
func checkAborted(t *testing.T, tb *tab) {
	t.Helper()
	f := tb.fake()
	if f.Pending != 0 || len(f.Aborts) != 1 {
		t.Errorf("fake phone: %d pending, aborts %q; want 0 pending and one abort through the signal", f.Pending, f.Aborts)
	}
	if f.Cancelled != 0 {
		t.Errorf("%d requests were cancelled by a second get()", f.Cancelled)
	}
}

func TestSubmittingTheFormAbortsTheRequest(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	tb.exec(`document.getElementById('f').requestSubmit()`)
	tb.waitFor(`window.__events.some((e) => e.type === 'webotp:abort')`, "a webotp:abort event")
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "submit" {
		t.Errorf("webotp:abort reasons %q, want [submit]", got)
	}
	tb.waitFor(`__fakeOtp.pending === 0`, "the request to end")
	checkAborted(t, tb)
}

func TestTimeoutAbortsTheRequest(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" data-timeout="1"`)}.url(t))
	tb.waitPending()
	start := time.Now()
	tb.waitFor(`window.__events.some((e) => e.type === 'webotp:abort')`, "a webotp:abort event after data-timeout=1")
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "timeout" {
		t.Errorf("webotp:abort reasons %q, want [timeout]", got)
	}
	tb.waitFor(`__fakeOtp.pending === 0`, "the request to end")
	checkAborted(t, tb)
	t.Logf("timeout abort after %v; signal reason %q", time.Since(start).Round(10*time.Millisecond), tb.fake().Aborts)
}

func TestTimeoutOnTheScriptTagIsTheDefault(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{scriptAttrs: `data-timeout="1"`, body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	tb.waitFor(`window.__events.some((e) => e.type === 'webotp:abort')`, "a webotp:abort event after the script tag's data-timeout=1")
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "timeout" {
		t.Errorf("webotp:abort reasons %q, want [timeout]", got)
	}
}

func TestRemovingTheInputAbortsTheRequest(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	// A removed input's events no longer reach the document: listen on it.
	tb.exec(`
		const el = document.getElementById('otp');
		window.__removedAbort = [];
		el.addEventListener('webotp:abort', (e) => window.__removedAbort.push(e.detail && e.detail.reason));
		document.getElementById('f').remove();`)
	tb.waitFor(`__fakeOtp.pending === 0`, "the request to end after the input was removed")
	checkAborted(t, tb)
	if got := eval[[]string](tb, `window.__removedAbort`); len(got) != 1 || got[0] != "removed" {
		t.Errorf("webotp:abort reasons on the removed input %q, want [removed]", got)
	}
}

func TestPagehideAbortsAndPageshowRearms(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	tb.exec(`window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))`)
	tb.waitFor(`__fakeOtp.pending === 0`, "the request to end on pagehide")
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "hidden" {
		t.Errorf("webotp:abort reasons %q, want [hidden]", got)
	}
	tb.exec(`window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))`)
	tb.waitPending()
	if f := tb.fake(); f.Calls != 2 || f.MaxPending != 1 {
		t.Errorf("after pageshow: %d get() calls, at most %d pending; want 2 and 1", f.Calls, f.MaxPending)
	}
	code := deliver(t, tb)
	tb.waitValue("otp", code)
}

func TestTwoInputsShareOneRequest(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<form id="f1"><label for="a">Code A</label><input id="a" autocomplete="one-time-code"></form>
<form id="f2"><label for="b">Code B</label><input id="b" is="one-time-code"></form>`}.url(t))
	tb.waitPending()
	tb.exec(`document.getElementById('b').focus()`)
	code := deliver(t, tb)
	tb.waitFor(`[document.getElementById('a').value, document.getElementById('b').value].includes(`+quote(code)+`)`, "one input to hold the code")
	tb.settle()
	f := tb.fake()
	if f.MaxPending != 1 || f.Cancelled != 0 {
		t.Errorf("at most %d get() pending at once, %d cancelled by another get(); want 1 and 0", f.MaxPending, f.Cancelled)
	}
	a, b := eval[string](tb, `document.getElementById('a').value`), eval[string](tb, `document.getElementById('b').value`)
	if b != code || a != "" {
		t.Errorf("values a=%q b=%q; want the code in the focused input b only", a, b)
	}
}

func TestInputWithWebotpOffIsLeftAlone(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<form id="f">
  <label for="off">Not this one</label><input id="off" autocomplete="one-time-code" data-webotp="off">
  <label for="off2">Nor this one</label><input id="off2" is="one-time-code" data-webotp="off">
  <label for="otp">Code</label><input id="otp" autocomplete="one-time-code">
</form>`}.url(t))
	tb.waitReady()
	tb.waitPending()
	if got := eval[string](tb, `document.getElementById('off2').outerHTML`); got != `<input id="off2" is="one-time-code" data-webotp="off">` {
		t.Errorf(`the is="one-time-code" data-webotp="off" input was modified: %s`, got)
	}
	tb.exec(`document.getElementById('off').focus()`)
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	if v := eval[string](tb, `document.getElementById('off').value + document.getElementById('off2').value`); v != "" {
		t.Errorf(`a data-webotp="off" input was filled with %q`, v)
	}
	if evs := tb.events(); len(eventsOf(evs, "autocomplete", "off")) > 0 {
		t.Error(`an autocomplete event fired on the data-webotp="off" input`)
	}
}

// pasteResult is what a synthetic paste did.
type pasteResult struct {
	Prevented  bool   `json:"prevented"`
	Value      string `json:"value"`
	Validation string `json:"validation"`
}

// paste focuses the input and dispatches a paste event carrying text.
func (tb *tab) paste(id, text string) pasteResult {
	tb.t.Helper()
	return eval[pasteResult](tb, `(() => {
		const el = document.getElementById(`+quote(id)+`);
		el.focus();
		const data = new DataTransfer();
		data.setData('text/plain', `+quote(text)+`);
		const ev = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
		const notCancelled = el.dispatchEvent(ev);
		return {prevented: !notCancelled, value: el.value, validation: el.validationMessage};
	})()`)
}

func TestPastedSMSForThisHostFillsTheInput(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitReady()
	tb.waitPending()
	res := tb.paste("otp", "Your webotp code is 482913.\n\n@localhost #482913")
	if !res.Prevented || res.Value != "482913" {
		t.Fatalf("pasting an SMS for this host: %+v, want the default prevented and the value 482913", res)
	}
	checkFilled(t, tb, "otp", "482913", "paste")
	tb.waitFor(`__fakeOtp.pending === 0`, "the pending request to end after the paste")
	if got := abortReasons(tb.events()); len(got) != 0 {
		t.Errorf("webotp:abort after a paste filled the input: %q, want none", got)
	}
}

func TestPastedSMSForAnotherHostIsRefused(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitReady()
	res := tb.paste("otp", "Your code is 654321.\n\n@bank.example #654321")
	if !res.Prevented || res.Value != "" || res.Validation == "" {
		t.Fatalf("pasting an SMS for another host: %+v, want it refused (default prevented, empty value, a validity message)", res)
	}
	if !strings.Contains(res.Validation, "bank.example") {
		t.Logf("validity message does not name the other host: %q", res.Validation)
	}
	if evs := tb.events(); len(eventsOf(evs, "autocomplete", "otp")) > 0 {
		t.Error("an autocomplete event fired for a refused paste")
	}
	// Typing clears the message.
	tb.run("type a digit", chromedp.SendKeys(chromedp.CSS("#otp"), "1"))
	if v := eval[string](tb, `document.getElementById('otp').validationMessage`); v != "" {
		t.Errorf("the validity message %q stayed after typing", v)
	}
}

func TestPastedCodesAreNormalised(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitReady()
	for _, tc := range []struct{ name, pasted, want string }{
		{"full-width digits and an ideographic space", "１２３　４５６", "123456"},
		{"full-width digits and a space", "１２３ ４５６", "123456"},
		{"a dash", "123-456", "123456"},
		{"spaces around and inside", " 123 456 ", "123456"},
	} {
		tb.exec(`document.getElementById('otp').value = ''`)
		res := tb.paste("otp", tc.pasted)
		if res.Value != tc.want {
			t.Errorf("pasting %s (%q) gives %q, want %q", tc.name, tc.pasted, res.Value, tc.want)
		}
	}
}

func TestWindowWebotpAPI(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitReady()

	if v := eval[string](tb, `typeof webotp.version === 'string' ? webotp.version : 'not a string: ' + typeof webotp.version`); v == "" || strings.HasPrefix(v, "not a string") {
		t.Errorf("webotp.version = %q, want a non-empty string", v)
	}

	type parsed struct {
		Host         string `json:"host"`
		Code         string `json:"code"`
		EmbeddedHost string `json:"embeddedHost"`
	}
	for _, tc := range []struct {
		msg  string
		want *parsed
	}{
		{"Your code is 123456.\n\n@localhost #123456", &parsed{"localhost", "123456", ""}},
		{"@Shop.Example #A1B2 @Pay.Example", &parsed{"shop.example", "A1B2", "pay.example"}},
		{"Chromium takes the first match: @first.example #111 and @second.example #222", &parsed{"first.example", "111", ""}},
		{"no origin-bound line here", nil},
		{"@999.1.1.1 #123", nil},
	} {
		got := eval[*parsed](tb, `webotp.parse(`+quote(tc.msg)+`)`)
		switch {
		case tc.want == nil && got != nil:
			t.Errorf("webotp.parse(%q) = %+v, want null", tc.msg, *got)
		case tc.want != nil && (got == nil || *got != *tc.want):
			t.Errorf("webotp.parse(%q) = %+v, want %+v", tc.msg, got, *tc.want)
		}
	}

	// abort(input) ends the pending request with reason "api".
	tb.waitPending()
	tb.exec(`webotp.abort(document.getElementById('otp'))`)
	tb.waitFor(`__fakeOtp.pending === 0`, "webotp.abort to end the request")
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "api" {
		t.Errorf("webotp:abort reasons after webotp.abort() %q, want [api]", got)
	}

	// receive(input, {timeout}) starts a request and resolves with the code.
	tb.exec(`window.__received = webotp.receive(document.getElementById('otp'), {timeout: 30}).then((c) => c, (e) => 'rejected: ' + e.name + ': ' + e.message)`)
	code := deliver(t, tb)
	if got := eval[string](tb, `window.__received`); got != code {
		t.Errorf("webotp.receive() resolved with %q, want %q", got, code)
	}
	tb.waitValue("otp", code)
	if f := tb.fake(); f.MaxPending != 1 || f.Cancelled != 0 {
		t.Errorf("at most %d pending, %d cancelled by another get(); want 1 and 0", f.MaxPending, f.Cancelled)
	}
}

func TestFailuresAreEventsNotConsoleNoise(t *testing.T) {
	tb := openTab(t, tabOptions{rejectWith: "NotAllowedError"})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitFor(`window.__events.some((e) => e.type === 'webotp:error')`, "a webotp:error event for the rejected get()")
	e := eventsOf(tb.events(), "webotp:error", "otp")
	if len(e) != 1 {
		t.Fatalf("%d webotp:error events on #otp, want 1", len(e))
	}
	var d struct{ Name, Message string }
	json.Unmarshal(e[0].Detail, &d)
	if d.Name != "NotAllowedError" || d.Message == "" {
		t.Errorf("webotp:error detail %s, want {name: NotAllowedError, message: ...}", e[0].Detail)
	}
	// The quiet check at the end fails the test on any console output.
}

// waitScriptRan waits until webotp.js was fetched and the page had a moment
// to act on it.
func (tb *tab) waitScriptRan() {
	tb.t.Helper()
	tb.waitFor(`document.readyState === 'complete' && performance.getEntriesByType('resource').some((e) => /\/webotp\.js(\?|$)/.test(e.name))`, "webotp.js to load")
	tb.settle()
}

func TestBrowserWithoutOTPCredentialFetchesNoWasm(t *testing.T) {
	tb := openTab(t, tabOptions{noOTPCredential: true})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitScriptRan()
	tb.exec(`document.getElementById('f').insertAdjacentHTML('beforeend', '<input id="late" is="one-time-code">')`)
	tb.settle()
	if got := tb.requested(".wasm"); len(got) > 0 {
		t.Errorf("a browser without OTPCredential fetched %q", got)
	}
	if f := tb.fake(); f.Calls != 0 {
		t.Errorf("get() called %d times without OTPCredential", f.Calls)
	}
	t.Logf("window.webotp without OTPCredential: %s", eval[string](tb, `typeof window.webotp`))
}

func TestWasmIsFetchedOnlyOnceATargetInputExists(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<main id="slot"><label for="name">Name</label><input id="name" autocomplete="name"></main>`}.url(t))
	tb.waitScriptRan()
	if got := tb.requested(".wasm"); len(got) > 0 {
		t.Fatalf("webotp.wasm fetched by a page without a target input: %q", got)
	}
	tb.exec(`document.getElementById('slot').insertAdjacentHTML('beforeend', '<label for="otp">Code</label><input id="otp" autocomplete="one-time-code">')`)
	tb.waitPending()
	if got := tb.requested(".wasm"); len(got) != 1 {
		t.Errorf("webotp.wasm requests after adding a target: %q, want exactly one", got)
	}
	code := deliver(t, tb)
	tb.waitValue("otp", code)
}

func TestStrictCSPPageWorks(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{
		csp:  "script-src 'self' 'wasm-unsafe-eval'",
		body: codeForm(`is="one-time-code" data-autosubmit`),
	}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")
	tb.waitFor(`window.__submits.length === 1`, "the autosubmit under the strict CSP")
	// CSP violations are recorded by the init script and fail the quiet check.
}

func TestScriptFromAnotherOriginWorks(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{
		scriptSrc: h.verifier + "/webotp.js", // 127.0.0.1:port, the page is on localhost:otherport
		body:      codeForm(`autocomplete="one-time-code"`),
	}.url(t))
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "webotp")
	wasm := tb.requested(".wasm")
	if len(wasm) != 1 || !strings.HasPrefix(wasm[0], h.verifier+"/") {
		t.Errorf("webotp.wasm requested from %q, want once from the script's origin %s", wasm, h.verifier)
	}
}

// readyState says whether window.webotp.ready has settled yet.
func (tb *tab) readyState() string {
	tb.t.Helper()
	return eval[string](tb, `Promise.race([window.webotp.ready.then(() => 'ready', () => 'failed'), new Promise((r) => setTimeout(() => r('pending'), 0))])`)
}

// The loader asks for the code itself, before the wasm is there (the
// README's budget: get() within 150 ms of DOMContentLoaded); the wasm adopts that
// request: a code that arrives before the wasm runs is filled by it, with
// one get() in all.
func TestCodeArrivingBeforeTheWasmRunsIsFilled(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{scriptSrc: "/slow/webotp.js", body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	if got := tb.readyState(); got != "pending" {
		t.Fatalf("webotp.ready is %s while the wasm is still on its way; the test cannot see the early request", got)
	}
	code := deliver(t, tb)
	tb.waitFor(`__fakeOtp.resolved.length === 1`, "the early get() to resolve")
	if got := tb.readyState(); got != "pending" {
		t.Errorf("webotp.ready is %s when the code arrived, want pending (the wasm was to arrive %v late)", got, slowWasm)
	}
	tb.waitForWithin(`document.getElementById('otp').value === `+quote(code), "#otp to hold the code once the wasm runs", waitLimit+slowWasm)
	checkFilled(t, tb, "otp", code, "webotp")
	if f := tb.fake(); f.Calls != 1 || f.MaxPending != 1 || f.Cancelled != 0 {
		t.Errorf("get() calls %d, at most pending %d, cancelled %d; want 1, 1, 0", f.Calls, f.MaxPending, f.Cancelled)
	}
}

// What happens to the early request before the wasm runs follows the same
// rules once it does: a submit of the input's form ends it ("submit").
func TestSubmitBeforeTheWasmRunsAbortsTheEarlyRequest(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{scriptSrc: "/slow/webotp.js", body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitPending()
	tb.exec(`document.getElementById('f').requestSubmit()`)
	if got := tb.readyState(); got != "pending" {
		t.Fatalf("webotp.ready is %s right after the submit; the test cannot see the early request", got)
	}
	tb.waitForWithin(`window.__events.some((e) => e.type === 'webotp:abort')`, "a webotp:abort event once the wasm runs", waitLimit+slowWasm)
	if got := abortReasons(tb.events()); len(got) != 1 || got[0] != "submit" {
		t.Errorf("webotp:abort reasons %q, want [submit]", got)
	}
	tb.waitFor(`__fakeOtp.pending === 0`, "the request to end")
	tb.settle()
	checkAborted(t, tb)
	if f := tb.fake(); f.Calls != 1 {
		t.Errorf("get() called %d times, want 1 (the submitted input is not armed again)", f.Calls)
	}
}
