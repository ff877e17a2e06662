package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// findAllow is a JavaScript expression for the dev consent bar's Allow
// button, searched through open shadow roots too; null when not shown.
const findAllow = `(() => {
	const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
	const walk = (root) => {
		for (const el of root.querySelectorAll('*')) {
			if ((el.tagName === 'BUTTON' || el.getAttribute('role') === 'button') && /^\s*allow\s*$/i.test(el.textContent) && visible(el)) return el;
			if (el.shadowRoot) { const found = walk(el.shadowRoot); if (found) return found; }
		}
		return null;
	};
	return walk(document);
})()`

func TestDemoVerifiesAPhoneNumber(t *testing.T) {
	h := need(t)
	for _, base := range []string{h.verifierLH, h.verifier} {
		t.Run(strings.TrimPrefix(base, "http://"), func(t *testing.T) {
			tb := openTab(t, tabOptions{})
			tb.navigate(base + "/")
			tb.waitFor(`document.getElementById('phone') && document.getElementById('phone').placeholder === '+1 415 555 0123'`, "the demo's phone input")
			tb.run("enter a phone number",
				chromedp.SendKeys(chromedp.CSS("#phone"), "+1 415 555 "+fmt.Sprintf("%04d", 500+h.phones.Add(1))),
				chromedp.Click(chromedp.CSS("#send")))
			tb.waitFor(`!document.getElementById('code-step').hidden`, `the "we sent a code" step`)
			if got := eval[string](tb, `document.querySelector('#code-step a[href="/dev/inbox"]') ? 'ok' : 'missing'`); got != "ok" {
				t.Error("no link to the dev inbox on the code step")
			}
			if got := eval[string](tb, `(() => { const i = document.getElementById('code'); return [i.getAttribute('is'), i.autocomplete, i.inputMode, i.name, i.labels.length].join(' '); })()`); got != "one-time-code one-time-code numeric code 1" {
				t.Errorf("the code input is %q, want is=one-time-code autocomplete=one-time-code inputmode=numeric name=code with a label", got)
			}
			// The code arrives through the fake phone (get()) or the client's
			// dev emulation (consent bar); accept either, as a developer would.
			tb.waitFor(`document.getElementById('status').textContent.includes('Verified') || `+findAllow+` !== null`, "the code to arrive (a fill, or the dev consent bar)")
			if eval[bool](tb, findAllow+` !== null`) {
				tb.click(findAllow, "Allow on the dev consent bar")
			}
			tb.waitFor(`document.getElementById('status').textContent.includes('Verified ✓') && !document.getElementById('done-step').hidden`, `"Verified ✓"`)
			t.Logf("filled by: %s", eval[string](tb, `document.getElementById('done-how').textContent`))
		})
	}
}

func TestDevEmulationFillsAfterConsent(t *testing.T) {
	// As a page does: send the SMS, then show the input (the client accepts
	// messages sent since the page loaded, before its request started).
	tb := openTab(t, tabOptions{noFake: true})
	tb.navigate(testPage{
		scriptAttrs: `data-dev-outbox="/dev/outbox"`,
		body:        `<main id="slot"></main>`,
	}.url(t))
	tb.waitScriptRan()
	_, code := need(t).sendSMS(t, need(t).pages)
	tb.exec(`document.getElementById('slot').innerHTML = ` + quote(codeForm(`autocomplete="one-time-code"`)))
	tb.waitFor(findAllow+` !== null`, "the dev consent bar")
	tb.click(findAllow, "Allow on the dev consent bar")
	tb.waitValue("otp", code)
	checkFilled(t, tb, "otp", code, "dev")
	tb.waitFor(findAllow+` === null`, "the consent bar to go away")
}

// A message in the outbox from before the page loaded is another tab's or an
// earlier visit's: dev emulation must not offer it, however recent.
func TestDevEmulationIgnoresMessagesSentBeforeThePageLoaded(t *testing.T) {
	h := need(t)
	_, stale := h.sendSMS(t, h.pages)
	time.Sleep(2500 * time.Millisecond) // past the client's 2 s clock-skew allowance
	tb := openTab(t, tabOptions{noFake: true})
	tb.navigate(testPage{
		scriptAttrs: `data-dev-outbox="/dev/outbox"`,
		body:        codeForm(`autocomplete="one-time-code"`),
	}.url(t))
	tb.waitReady()
	// Three reads of the outbox (one a second): each saw the stale message.
	tb.waitForWithin(`performance.getEntriesByType('resource').filter((e) => e.name.includes('/dev/outbox')).length >= 3`,
		"the client to read the dev outbox three times", 10*time.Second)
	if eval[bool](tb, findAllow+` !== null`) {
		t.Fatalf("the consent bar offers a message sent before the page loaded (code %s): %s", stale,
			eval[string](tb, `document.getElementById('webotp-consent').textContent`))
	}
	// A message sent now is offered.
	_, code := h.sendSMS(t, h.pages)
	tb.waitFor(findAllow+` !== null`, "the dev consent bar for the new message")
	if got := eval[string](tb, `document.getElementById('webotp-consent').textContent`); !strings.Contains(got, code) || strings.Contains(got, stale) {
		t.Errorf("the consent bar says %q, want the new code %s (not the stale %s)", got, code, stale)
	}
	tb.click(findAllow, "Allow on the dev consent bar")
	tb.waitValue("otp", code)
}

func TestDemoLooksRightOnPhoneAndDesktop(t *testing.T) {
	h := need(t)
	dir := os.Getenv("WEBOTP_E2E_SCREENSHOTS") // e.g. /tmp: writes demo-390.png, demo-1280.png
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tb := openTab(t, tabOptions{})
			tb.run("set the viewport", chromedp.EmulateViewport(width, 844))
			tb.navigate(h.verifierLH + "/")
			tb.waitFor(`document.fonts.status === 'loaded'`, "the page to render")
			if got := eval[int64](tb, `document.documentElement.scrollWidth`); got > width {
				t.Errorf("the demo is %dpx wide in a %dpx viewport: it scrolls sideways", got, width)
			}
			unlabelled := eval[[]string](tb, `[...document.querySelectorAll('input, button')].filter((el) => !(el.labels && el.labels.length) && !el.textContent.trim() && !el.getAttribute('aria-label')).map((el) => el.id || el.outerHTML)`)
			if len(unlabelled) > 0 {
				t.Errorf("controls without a label: %q", unlabelled)
			}
			if dir == "" {
				return
			}
			shot, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			name := filepath.Join(dir, fmt.Sprintf("demo-%d.png", width))
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			// The code step too.
			tb.run("send a code",
				chromedp.SendKeys(chromedp.CSS("#phone"), fmt.Sprintf("+1415555%04d", 700+h.phones.Add(1))),
				chromedp.Click(chromedp.CSS("#send")))
			tb.waitFor(`!document.getElementById('code-step').hidden && document.getElementById('sms-note').textContent.includes('just sent')`, "the code step")
			// Best effort: show the dev consent bar in the picture too.
			chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](findAllow+` !== null`,
				chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(3*time.Second)))
			shot, err = chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("demo-%d-code.png", width)), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			// And the end.
			if eval[bool](tb, findAllow+` !== null`) {
				tb.click(findAllow, "Allow on the dev consent bar")
				tb.waitFor(`!document.getElementById('done-step').hidden`, `"Verified ✓"`)
				if shot, err = chromedp.Run(tb.ctx, chromedp.FullScreenshot(100)); err == nil {
					err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("demo-%d-done.png", width)), shot, 0o644)
				}
				if err != nil {
					t.Fatalf("screenshot: %v", err)
				}
			}
			raw, _ := json.Marshal(name)
			t.Logf("screenshots: %s, -code.png, -done.png", raw)
		})
	}
}

func TestDemoShowsErrorsFromTheAPI(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{})
	tb.expect("the server responded with a status of 400") // Chromium logs every failed fetch
	tb.navigate(h.verifierLH + "/")

	// A number the browser-side check lets through but the API refuses.
	tb.run("enter an impossible number", chromedp.SendKeys(chromedp.CSS("#phone"), "+1 000 000 0000"), chromedp.Click(chromedp.CSS("#send")))
	tb.waitFor(`!document.getElementById('phone-error').hidden`, "the API's invalid_phone message under the phone input")
	if got := eval[string](tb, `document.getElementById('phone').getAttribute('aria-invalid')`); got != "true" {
		t.Errorf("the refused phone input has aria-invalid=%q, want true", got)
	}

	// A wrong code typed by hand: the API's answer, attempts left.
	tb.exec(`document.getElementById('phone').value = ''`)
	tb.run("enter a real number",
		chromedp.SendKeys(chromedp.CSS("#phone"), fmt.Sprintf("+1415555%04d", 800+h.phones.Add(1))),
		chromedp.Click(chromedp.CSS("#send")))
	tb.waitFor(`!document.getElementById('code-step').hidden`, "the code step")
	if got := eval[string](tb, `document.getElementById('resend').disabled + ' ' + document.getElementById('resend').textContent`); !strings.HasPrefix(got, "true Resend code in ") {
		t.Errorf("resend button right after sending: %q, want disabled with a countdown", got)
	}
	tb.run("type a wrong code", chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Click(chromedp.CSS("#verify")))
	tb.waitFor(`!document.getElementById('code-error').hidden`, "the wrong-code message")
	if got := eval[string](tb, `document.getElementById('code-error').textContent`); !strings.Contains(got, "4 attempts left") {
		t.Errorf("wrong-code message %q, want it to say 4 attempts left", got)
	}
	if got := eval[bool](tb, `document.getElementById('done-step').hidden`); !got {
		t.Error("a wrong code showed the verified step")
	}
}

// Escape in the consent bar denies, as Deny does: the request ends with
// webotp:error NotAllowedError and the input stays empty.
func TestDevConsentBarEscapeDenies(t *testing.T) {
	tb := openTab(t, tabOptions{noFake: true})
	tb.navigate(testPage{
		scriptAttrs: `data-dev-outbox="/dev/outbox"`,
		body:        codeForm(`autocomplete="one-time-code"`),
	}.url(t))
	tb.waitReady()
	need(t).sendSMS(t, need(t).pages)
	tb.waitFor(findAllow+` !== null`, "the dev consent bar")
	tb.exec(`document.querySelector('#webotp-consent [data-action=deny]').focus()`)
	tb.run("press Escape", chromedp.KeyEvent(kb.Escape))
	tb.waitFor(findAllow+` === null`, "the consent bar to go away")
	e := eventsOf(tb.events(), "webotp:error", "otp")
	if len(e) != 1 || !strings.Contains(string(e[0].Detail), "NotAllowedError") {
		t.Errorf("webotp:error events on #otp %+v, want one NotAllowedError", e)
	}
	if v := eval[string](tb, `document.getElementById('otp').value`); v != "" {
		t.Errorf("the input holds %q after Escape, want it empty", v)
	}
}
