package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

//go:embed testdata/fakeotp.js
var fakeOTPSource string

// waitLimit bounds every wait for a condition in a page. Conditions are met in
// milliseconds; the limit only decides how long a broken client takes to fail.
const waitLimit = 5 * time.Second

// tabOptions says how a tab's documents are prepared before their scripts run.
type tabOptions struct {
	noFake          bool   // leave navigator.credentials.get alone (dev emulation, benchmarks)
	noOutbox        bool   // the fake's phone never receives an SMS
	noOTPCredential bool   // delete window.OTPCredential: a browser without WebOTP
	rejectWith      string // the fake rejects every request with this DOMException name
	cacheOK         bool   // keep the HTTP cache (default: disabled, cold loads)
}

// tab is one browser tab in a fresh browser context (its own cache and
// storage), with everything the page writes to the console and every request
// it makes recorded. When the test ends, console errors and warnings,
// uncaught exceptions and unhandled rejections fail it.
type tab struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	problems []string // console errors/warnings, exceptions, browser log errors
	logs     []string // every console message, for failure reports
	requests []string // URLs of every request, in order
	expected []string // substrings of console problems the test expects
}

func openTab(t testing.TB, o tabOptions) *tab {
	t.Helper()
	tb, closeTab := newTab(t, o)
	t.Cleanup(closeTab)
	return tb
}

// newTab opens a tab; closeTab checks that the page stayed quiet and closes it.
func newTab(t testing.TB, o tabOptions) (tb *tab, closeTab func()) {
	t.Helper()
	h := need(t)
	tb = &tab{t: t}
	ctx, cancel := chromedp.NewContext(h.browser,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(tb.listen))
	if err := chromedp.Do(ctx); err != nil { // opens the tab, bound to ctx
		cancel()
		t.Fatalf("open tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	tb.ctx = tctx
	closeTab = func() {
		tb.checkQuiet()
		tcancel()
		cancel()
	}

	config := map[string]any{
		"fake":            !o.noFake,
		"outbox":          "/dev/outbox",
		"interval":        40,
		"noOTPCredential": o.noOTPCredential,
		"rejectWith":      o.rejectWith,
	}
	if o.noOutbox {
		config["outbox"] = ""
	}
	cfg, _ := json.Marshal(config)
	src := "(" + strings.TrimSpace(fakeOTPSource) + ")(" + string(cfg) + ");"
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		closeTab()
		t.Fatalf("add init script: %v", err)
	}
	if !o.cacheOK {
		if _, err := chromedp.Call(tctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			closeTab()
			t.Fatalf("disable cache: %v", err)
		}
	}
	return tb, closeTab
}

// listen runs in the tab's event loop: record, return fast, run no command.
func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line := fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		tb.logs = append(tb.logs, line)
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			tb.problems = append(tb.problems, line)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		line := fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1)
		tb.logs = append(tb.logs, line)
		tb.problems = append(tb.problems, line)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		line := fmt.Sprintf("log.%s [%s]: %s %s", e.Level, e.Source, e.Text, e.URL)
		tb.logs = append(tb.logs, line)
		if e.Level == cdplog.EntryLevelError {
			tb.problems = append(tb.problems, line)
		}
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			tb.requests = append(tb.requests, ev.Request.URL)
		}
	}
}

// expect marks console problems containing s as expected by the test (a
// failed request that the browser itself logs, for example).
func (tb *tab) expect(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.expected = append(tb.expected, s)
}

// checkQuiet fails the test on console noise: errors and warnings, uncaught
// exceptions, unhandled promise rejections (also counted by the init script).
func (tb *tab) checkQuiet() {
	t := tb.t
	if tb.ctx.Err() != nil {
		return
	}
	// One round trip, so every event sent before it was handled by listen.
	rec, err := chromedp.Run(tb.ctx, chromedp.Evaluate[struct {
		Unhandled  []string `json:"unhandled"`
		Errors     []string `json:"errors"`
		Violations []string `json:"violations"`
	}](`window.__fakeOtp ? {unhandled: __fakeOtp.unhandled, errors: __fakeOtp.errors, violations: __fakeOtp.violations} : {unhandled: [], errors: [], violations: []}`))
	if err != nil {
		t.Logf("reading the page's error record: %v", err)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var bad []string
	all := append(append(append(append([]string{}, tb.problems...), prefix("unhandled rejection: ", rec.Unhandled)...), prefix("error event: ", rec.Errors)...), prefix("CSP violation: ", rec.Violations)...)
next:
	for _, p := range all {
		for _, e := range tb.expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		bad = append(bad, p)
	}
	if len(bad) > 0 {
		t.Errorf("the page was not quiet (want no console errors/warnings, exceptions or unhandled rejections):\n  %s", strings.Join(bad, "\n  "))
	}
}

func prefix(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// requested returns the URLs requested so far that contain s.
func (tb *tab) requested(s string) []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, u := range tb.requests {
		if strings.Contains(u, s) {
			out = append(out, u)
		}
	}
	return out
}

// navigate loads u and waits for its load event.
func (tb *tab) navigate(u string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(u)); err != nil {
		tb.t.Fatalf("navigate to %s: %v", u, err)
	}
}

// run runs actions, failing the test on error.
func (tb *tab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// exec evaluates a JavaScript statement for its effect.
func (tb *tab) exec(js string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, "(() => {"+js+"\n})()")
}

// waitFor waits until the JavaScript expression is truthy; on timeout it
// fails the test with what it waited for and the page's records.
func (tb *tab) waitFor(expr, what string) {
	tb.t.Helper()
	tb.waitForWithin(expr, what, waitLimit)
}

func (tb *tab) waitForWithin(expr, what string, limit time.Duration) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void]("!!("+expr+")",
		chromedp.WithPollingInterval(15*time.Millisecond),
		chromedp.WithPollingTimeout(limit)))
	if err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v\n%s", what, expr, err, tb.report())
	}
}

// report describes the page's state for a failure message.
func (tb *tab) report() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		let outbox = null;
		try {
			const res = await fetch('/dev/outbox', {cache: 'no-store', signal: AbortSignal.timeout(1000)});
			outbox = (await res.json()).slice(0, 3);
		} catch (e) {
			outbox = String(e);
		}
		return JSON.stringify({
			url: location.href,
			now: new Date().toISOString(),
			fake: window.__fakeOtp || null,
			events: window.__events || null,
			submits: window.__submits || null,
			webotp: typeof window.webotp,
			inputs: [...document.querySelectorAll('input')].map((i) => ({id: i.id, value: i.value, is: i.getAttribute('is'), validation: i.validationMessage})),
			outbox,
		});
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		raw = "(page state unavailable: " + err.Error() + ")"
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return fmt.Sprintf("page: %s\nconsole:\n  %s\nrequests:\n  %s", raw, strings.Join(tb.logs, "\n  "), strings.Join(tb.requests, "\n  "))
}

// ---- the fake phone's record ----------------------------------------------------

// fakeRecord mirrors window.__fakeOtp.
type fakeRecord struct {
	Calls      int       `json:"calls"`
	Pending    int       `json:"pending"`
	MaxPending int       `json:"maxPending"`
	Cancelled  int       `json:"cancelled"`
	CallTimes  []float64 `json:"callTimes"`
	Options    []struct {
		Transport []string `json:"transport"`
		Signal    bool     `json:"signal"`
	} `json:"options"`
	Aborts   []string `json:"aborts"`
	Resolved []string `json:"resolved"`
	Rejected []string `json:"rejected"`
	Messages []struct {
		Host    string `json:"host"`
		Code    string `json:"code"`
		Matched bool   `json:"matched"`
	} `json:"messages"`
	DCL float64 `json:"dcl"`
}

func (tb *tab) fake() fakeRecord {
	tb.t.Helper()
	return eval[fakeRecord](tb, `window.__fakeOtp`)
}

// pageEvent mirrors one entry of window.__events (testdata/helpers.js).
type pageEvent struct {
	Type    string          `json:"type"`
	Target  string          `json:"target"`
	Detail  json.RawMessage `json:"detail"`
	Value   *string         `json:"value"`
	Bubbles bool            `json:"bubbles"`
}

func (tb *tab) events() []pageEvent {
	tb.t.Helper()
	return eval[[]pageEvent](tb, `window.__events`)
}

func (tb *tab) submits() int {
	tb.t.Helper()
	return eval[int](tb, `window.__submits.length`)
}

// waitPending waits until the client has a get() pending on the fake phone
// and the phone knows which outbox messages are old.
func (tb *tab) waitPending() {
	tb.t.Helper()
	tb.waitFor(`window.__fakeOtp && __fakeOtp.pending === 1 && __fakeOtp.baselineDone`, "one pending navigator.credentials.get() call")
}

// ---- test pages ---------------------------------------------------------------

// testPage describes a page served by the page server on http://localhost.
type testPage struct {
	scriptSrc   string // default "/webotp.js" (same origin, proxied)
	scriptAttrs string // extra attributes on the script tag
	body        string
	csp         string // a Content-Security-Policy header
	noHelpers   bool   // leave out testdata/helpers.js
	noClient    bool   // leave out webotp.js
}

// url registers the page and returns its address.
func (p testPage) url(t testing.TB) string {
	h := need(t)
	src := p.scriptSrc
	if src == "" {
		src = "/webotp.js"
	}
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(html.EscapeString(t.Name()))
	b.WriteString("</title>\n")
	if !p.noHelpers {
		b.WriteString("<script src=\"/t/helpers.js\"></script>\n")
	}
	if !p.noClient {
		fmt.Fprintf(&b, "<script src=\"%s\" async %s></script>\n", src, p.scriptAttrs)
	}
	fmt.Fprintf(&b, "</head>\n<body>\n%s\n</body>\n</html>\n", p.body)
	hdr := http.Header{}
	if p.csp != "" {
		hdr.Set("Content-Security-Policy", p.csp)
	}
	return h.pages + h.pageServer.add(servedPage{html: b.String(), header: hdr})
}

// codeForm is the smallest form a developer writes, with extra attributes on
// the input.
func codeForm(inputAttrs string) string {
	return `<form id="f" action="/verify" method="post">
  <label for="otp">Code</label>
  <input id="otp" name="code" ` + inputAttrs + ` inputmode="numeric">
  <button id="go">Verify</button>
</form>`
}

// quote makes s a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// nodeCenter is where a real mouse click on the first element matching a
// JavaScript expression lands.
func (tb *tab) click(elementExpr, what string) {
	tb.t.Helper()
	pt := eval[struct{ X, Y float64 }](tb, `(() => { const el = `+elementExpr+`; el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`)
	tb.run("click "+what, chromedp.MouseClickXY(pt.X, pt.Y))
}
