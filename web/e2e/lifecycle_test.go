package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The request's life around the wasm: what the loader does before it runs,
// what happens after a fill, in frames and with other components on the
// input.

// abortSeen is a JavaScript statement recording, on window.__docAborts,
// every webotp:abort a document listener sees (bubbling phase), with whether
// detail.input is the code input.
const abortSeen = `
	window.__docAborts = [];
	const otp = document.getElementById('otp');
	document.addEventListener('webotp:abort', (e) => window.__docAborts.push({
		reason: e.detail && e.detail.reason,
		input: !!e.detail && e.detail.input === otp,
	}));`

type docAbort struct {
	Reason string `json:"reason"`
	Input  bool   `json:"input"`
}

// The loader ends its early request itself on a submit, a removal or
// pagehide while the wasm is still on its way (slowWasm late): a code that
// arrives then is not taken from a user who already left the step.
func TestEarlyRequestEndsBeforeTheWasmRuns(t *testing.T) {
	for _, tc := range []struct {
		name, reason, do string
		onDocument       bool // the event reaches a document listener with detail.input
	}{
		{"a submit of its form", "submit", `document.getElementById('f').requestSubmit()`, false},
		{"the removal of its input", "removed", `document.getElementById('f').remove()`, true},
		{"pagehide", "hidden", `window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{})
			tb.navigate(testPage{scriptSrc: "/slow/webotp.js", body: codeForm(`autocomplete="one-time-code"`)}.url(t))
			tb.waitPending()
			tb.exec(abortSeen + "\n" + tc.do)
			tb.waitFor(`__fakeOtp.pending === 0`, "the early request to end")
			if got := tb.readyState(); got != "pending" {
				t.Fatalf("webotp.ready is %s: the test cannot tell the loader from the wasm", got)
			}
			f := tb.fake()
			if len(f.Aborts) != 1 || !strings.Contains(f.Aborts[0], "request aborted: "+tc.reason) {
				t.Errorf("the get() signal's reasons %q, want one AbortError naming %q", f.Aborts, tc.reason)
			}
			if tc.onDocument {
				got := eval[[]docAbort](tb, `window.__docAborts`)
				if len(got) != 1 || got[0] != (docAbort{tc.reason, true}) {
					t.Errorf("document listener saw %+v, want one webotp:abort {reason: %q, input: the input}", got, tc.reason)
				}
			} else if got := abortReasons(tb.events()); len(got) != 1 || got[0] != tc.reason {
				t.Errorf("webotp:abort reasons %q, want [%s]", got, tc.reason)
			}
			// Once the wasm runs, nothing fires twice and nothing is armed
			// for the input that left.
			// (a promise is truthy at once: wait for a flag its fulfilment sets)
			tb.exec(`window.webotp.ready.then(() => { window.__wasmRan = true; })`)
			tb.waitForWithin(`window.__wasmRan === true`, "the wasm to run", waitLimit+slowWasm)
			tb.settle()
			if f := tb.fake(); f.Calls != 1 || f.Pending != 0 {
				t.Errorf("after the wasm ran: %d get() calls, %d pending; want 1 and 0", f.Calls, f.Pending)
			}
			if n := len(eval[[]docAbort](tb, `window.__docAborts`)); n != 1 {
				t.Errorf("%d webotp:abort events reached the document, want 1", n)
			}
		})
	}
}

func TestRemovalAbortReachesTheDocument(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
	tb.waitReady()
	tb.waitPending()
	tb.exec(abortSeen + `
		otp.addEventListener('webotp:abort', (e) => { window.__onInput = e.detail.reason; });
		document.getElementById('f').remove();`)
	tb.waitFor(`window.__docAborts.length > 0`, "a webotp:abort on the document")
	tb.settle()
	if got := eval[[]docAbort](tb, `window.__docAborts`); len(got) != 1 || got[0] != (docAbort{"removed", true}) {
		t.Errorf("document listener saw %+v, want one {reason: removed, input: the input}", got)
	}
	if got := eval[string](tb, `window.__onInput || ''`); got != "removed" {
		t.Errorf("a listener on the removed input saw %q, want removed", got)
	}
}

// A resend after the app cleared the code: the input listens again.
func TestResendAfterAClearFillsAgain(t *testing.T) {
	for _, tc := range []struct{ name, clear string }{
		{"cleared with an input event", `const el = document.getElementById('otp'); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));`},
		{"cleared silently, then focused", `const el = document.getElementById('otp'); el.value = ''; document.getElementById('go').focus(); el.focus();`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{})
			tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
			first := deliver(t, tb)
			tb.waitValue("otp", first)
			tb.exec(tc.clear)
			second := deliver(t, tb)
			tb.waitValue("otp", second)
			if f := tb.fake(); f.Calls != 2 || f.MaxPending != 1 {
				t.Errorf("%d get() calls, at most %d pending; want 2 and 1", f.Calls, f.MaxPending)
			}
		})
	}
}

// With two code inputs, the request belongs to the input that receives the
// code: none starts for the other one after a fill, until it is focused.
func TestTwoInputsNoRequestForTheOtherAfterAFill(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<form id="f1"><label for="a">Code A</label><input id="a" autocomplete="one-time-code"></form>
<form id="f2"><label for="b">Code B</label><input id="b" autocomplete="one-time-code"></form>`}.url(t))
	tb.waitReady()
	tb.waitPending()
	tb.exec(`document.getElementById('b').focus()`)
	code := deliver(t, tb)
	tb.waitValue("b", code)
	tb.settle()
	if f := tb.fake(); f.Calls != 1 || f.Pending != 0 {
		t.Errorf("after b was filled: %d get() calls, %d pending; want 1 and 0 (no request for a)", f.Calls, f.Pending)
	}
	tb.exec(`document.getElementById('a').focus()`)
	code = deliver(t, tb)
	tb.waitValue("a", code)
}

func TestAutosubmitOnAnInvalidFormLeavesFocusAlone(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: `<form id="f">
  <label for="otp">Code</label>
  <input id="otp" name="code" autocomplete="one-time-code" inputmode="numeric" data-autosubmit>
  <label for="name">Name</label><input id="name" name="name" required>
  <label for="notes">Notes</label><textarea id="notes" name="notes"></textarea>
  <button id="go">Verify</button>
</form>`}.url(t))
	tb.waitReady()
	tb.exec(`document.getElementById('notes').focus()`)
	code := deliver(t, tb)
	tb.waitValue("otp", code)
	tb.settle()
	if got := eval[string](tb, `document.activeElement.id`); got != "notes" {
		t.Errorf("after the fill %q has the focus, want notes (where the user was typing)", got)
	}
	if n := tb.submits(); n != 0 {
		t.Errorf("an invalid form was submitted %d times", n)
	}
}

// A component on the input (input-otp) must not add to a handled paste, nor
// clear a refusal with input events of its own, and never gets a code cut to
// its maxlength.
func TestComponentsOnTheInput(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" maxlength="6"`)}.url(t))
	tb.waitReady()
	tb.exec(`document.getElementById('otp').addEventListener('paste', (e) => {
		const el = e.target; el.value = (el.value + e.clipboardData.getData('text')).slice(0, 8);
	})`)
	if res := tb.paste("otp", "Your code is 123456.\n\n@localhost #123456"); res.Value != "123456" {
		t.Errorf("a later paste listener changed the handled paste: value %q, want 123456", res.Value)
	}
	tb.exec(`document.getElementById('otp').value = ''`)
	res := tb.paste("otp", "@bank.example #654321")
	if res.Value != "" || res.Validation == "" {
		t.Fatalf("pasting an SMS for another host: %+v, want it refused", res)
	}
	tb.exec(`const el = document.getElementById('otp');
		el.dispatchEvent(new Event('input'));
		el.dispatchEvent(new Event('input', {bubbles: true}));`)
	if v := eval[string](tb, `document.getElementById('otp').validationMessage`); v == "" {
		t.Error("input events that change nothing cleared the refusal")
	}

	tb = openTab(t, tabOptions{})
	tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" maxlength="4"`)}.url(t))
	deliver(t, tb)
	tb.waitFor(`window.__events.some((e) => e.type === 'webotp:error')`, "a webotp:error for a code longer than the maxlength")
	var d struct{ Name string }
	json.Unmarshal(eventsOf(tb.events(), "webotp:error", "otp")[0].Detail, &d)
	if v := eval[string](tb, `document.getElementById('otp').value`); v != "" || d.Name != "ConstraintError" {
		t.Errorf("a 6-digit code for maxlength=4: value %q, error %q; want it reported (ConstraintError), not cut", v, d.Name)
	}
}

// A phone page with the script fetches and compiles the wasm without asking
// for a code, so that the code page finds it in the HTTP cache.
func TestPhonePagePreparesTheWasmForTheCodePage(t *testing.T) {
	for _, tc := range []struct{ name, scriptAttrs, body string }{
		{"a tel input", "", `<label for="phone">Phone</label><input id="phone" type="tel" autocomplete="tel">`},
		{"data-webotp-preload", "data-webotp-preload", `<p>Welcome</p>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{cacheOK: true})
			tb.navigate(testPage{scriptAttrs: tc.scriptAttrs, body: tc.body}.url(t))
			tb.waitFor(`performance.getEntriesByType('resource').some((e) => /\/webotp\.wasm$/.test(e.name) && e.responseEnd > 0)`, "webotp.wasm to be fetched")
			if f := tb.fake(); f.Calls != 0 {
				t.Errorf("get() called %d times on a page without a code input", f.Calls)
			}
			tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t))
			code := deliver(t, tb)
			tb.waitValue("otp", code)
			if got := eval[float64](tb, `performance.getEntriesByType('resource').find((e) => /\/webotp\.wasm$/.test(e.name)).transferSize`); got != 0 {
				t.Errorf("the code page transferred %v bytes for webotp.wasm, want 0 (from the HTTP cache)", got)
			}
		})
	}
}

// ---- frames ---------------------------------------------------------------

// frameServer serves a top page on http://localhost:port and a frame page
// on http://127.0.0.1:port (another site), with the client proxied to the
// verifier, and counts the requests for webotp.wasm.
type frameServer struct {
	port  int
	proxy http.Handler
	wasm  atomic.Int64
	allow string // the iframe's allow attribute
}

func newFrameServer(t *testing.T, allow string) *frameServer {
	t.Helper()
	h := need(t)
	target, _ := url.Parse(h.verifier)
	s := &frameServer{proxy: httputil.NewSingleHostReverseProxy(target), allow: allow}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// frameScript answers the top page's messages: {op: 'ready'} with how
// webotp.ready settled, {op: 'paste', text} with what a paste did,
// {op: 'errors'} with the webotp:error names seen.
const frameScript = `
const errors = [];
document.addEventListener('webotp:error', (e) => errors.push(e.detail.name));
const ready = () => window.webotp ? webotp.ready.then(() => 'ready', (e) => e.name) : new Promise((r) => setTimeout(r, 20)).then(ready);
addEventListener('message', async (e) => {
	const m = e.data, r = {id: m.id};
	if (m.op === 'ready') r.ready = await ready();
	if (m.op === 'errors') r.errors = errors;
	if (m.op === 'paste') {
		const el = document.getElementById('otp');
		el.value = '';
		el.setCustomValidity('');
		const data = new DataTransfer();
		data.setData('text/plain', m.text);
		el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
		r.value = el.value;
		r.validation = el.validationMessage;
	}
	parent.postMessage(r, '*');
});`

func (s *frameServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/top":
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>top</title>
<iframe id="frame" src="http://127.0.0.1:%d/frame" %s></iframe>
<script>
let n = 0;
window.ask = (m) => new Promise((resolve) => {
	m.id = ++n;
	addEventListener('message', function on(e) {
		if (e.data && e.data.id === m.id) { removeEventListener('message', on); resolve(e.data); }
	});
	document.getElementById('frame').contentWindow.postMessage(m, '*');
});
</script>`, s.port, s.allow)
	case "/frame":
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>frame</title>
<label for="otp">Code</label><input id="otp" autocomplete="one-time-code" inputmode="numeric">
<script src="/webotp.js" async></script>
<script>%s</script>`, frameScript)
	case "/webotp.wasm":
		s.wasm.Add(1)
		s.proxy.ServeHTTP(w, r)
	case "/webotp.js":
		s.proxy.ServeHTTP(w, r)
	case "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	case "/dev/outbox": // the fake phone on the top page reads it
		s.proxy.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// open loads the top page and waits until the frame answers.
func (s *frameServer) open(t *testing.T) *tab {
	t.Helper()
	tb := openTab(t, tabOptions{})
	tb.navigate(fmt.Sprintf("http://localhost:%d/top", s.port))
	tb.waitFor(`document.getElementById('frame').contentWindow && window.ask`, "the frame")
	return tb
}

type frameAnswer struct {
	Ready      string   `json:"ready"`
	Errors     []string `json:"errors"`
	Value      string   `json:"value"`
	Validation string   `json:"validation"`
}

func (tb *tab) ask(msg string) frameAnswer {
	tb.t.Helper()
	return eval[frameAnswer](tb, `Promise.race([ask(`+msg+`), new Promise((r, x) => setTimeout(() => x(new Error('the frame did not answer')), 5000))])`)
}

// In a frame on 127.0.0.1 under a page on localhost, only the frame form
// naming the real top-level host fills.
func TestPasteGuardInACrossOriginFrame(t *testing.T) {
	s := newFrameServer(t, `allow="otp-credentials"`)
	tb := s.open(t)
	if got := tb.ask(`{op: 'ready'}`).Ready; got != "ready" {
		t.Fatalf("webotp.ready in the frame: %s", got)
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"the frame form naming the real top-level host fills", "@localhost #123456 @127.0.0.1", "123456"},
		{"the frame form naming another top-level host is refused", "@evil.example #111111 @127.0.0.1", ""},
		{"the top-level form naming the frame's host is refused", "@127.0.0.1 #222222", ""},
		{"the top-level form naming the top-level host is refused", "@localhost #333333", ""},
	} {
		got := tb.ask(`{op: 'paste', text: ` + quote(tc.text) + `}`)
		if got.Value != tc.want || (tc.want == "") != (got.Validation != "") {
			t.Errorf("%s: pasting %q gives value %q, validity message %q; want value %q", tc.name, tc.text, got.Value, got.Validation, tc.want)
		}
	}
}

// A frame without allow="otp-credentials" reports the policy at once and
// never downloads the wasm.
func TestDisallowedFrameFetchesNoWasm(t *testing.T) {
	s := newFrameServer(t, "")
	tb := s.open(t)
	if got := tb.ask(`{op: 'ready'}`).Ready; got != "NotAllowedError" {
		t.Errorf("webotp.ready in a frame without allow=otp-credentials: %s, want rejected with NotAllowedError", got)
	}
	if got := tb.ask(`{op: 'errors'}`).Errors; len(got) != 1 || got[0] != "NotAllowedError" {
		t.Errorf("webotp:error names in the frame %q, want [NotAllowedError]", got)
	}
	tb.settle()
	if n := s.wasm.Load(); n != 0 {
		t.Errorf("webotp.wasm was requested %d times by a frame that may not use WebOTP", n)
	}
}
