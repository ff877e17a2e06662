package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// rectsOverlap is a JavaScript expression: whether the dev consent bar
// covers any part of the focused element (WCAG 2.2 2.4.11, focus not
// obscured).
const barCoversFocus = `(() => {
	const bar = document.getElementById('webotp-consent');
	const el = document.activeElement;
	if (!bar || !el || el === document.body) return false;
	const a = bar.getBoundingClientRect(), b = el.getBoundingClientRect();
	return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
})()`

// afterFrames waits until the page has rendered twice: what it does when
// the bar appears has taken effect.
const afterFrames = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))`

// On a small phone (375×667) the demo's code input sits where the dev
// consent bar appears; the bar must never hide the focused input, and
// declining must leave the user a status that says what to do and the focus
// in the code form.
func TestDemoConsentBarOnASmallPhone(t *testing.T) {
	h := need(t)
	for _, tc := range []struct {
		name    string
		decline func(tb *tab)
	}{
		{"Deny clicked on the bar", func(tb *tab) {
			tb.click(`document.querySelector('#webotp-consent [data-action=deny]')`, "Deny on the dev consent bar")
		}},
		{"Escape pressed in the bar", func(tb *tab) {
			tb.exec(`document.querySelector('#webotp-consent [data-action=deny]').focus()`)
			tb.run("press Escape", chromedp.KeyEvent(kb.Escape))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{noFake: true})
			tb.run("set a 375×667 viewport", chromedp.EmulateViewport(375, 667))
			tb.navigate(h.verifierLH + "/")
			tb.waitFor(`document.getElementById('phone') && document.getElementById('phone').placeholder !== ''`, "the demo's phone input")
			tb.run("enter a phone number and send a code",
				chromedp.SendKeys(chromedp.CSS("#phone"), fmt.Sprintf("+1415555%04d", 900+h.phones.Add(1))),
				chromedp.Click(chromedp.CSS("#send")))
			tb.waitFor(`!document.getElementById('code-step').hidden && document.activeElement && document.activeElement.id === 'code'`, "the code step with the focus on the code input")
			tb.waitFor(findAllow+` !== null`, "the dev consent bar")
			eval[bool](tb, afterFrames)
			if eval[bool](tb, barCoversFocus) {
				t.Errorf("the consent bar covers the focused input: bar %s, input %s",
					eval[string](tb, `JSON.stringify(document.getElementById('webotp-consent').getBoundingClientRect())`),
					eval[string](tb, `JSON.stringify(document.activeElement.getBoundingClientRect())`))
			}
			if got := eval[string](tb, `document.activeElement.id`); got != "code" {
				t.Errorf("the bar took the focus: %q is focused, want the code input", got)
			}
			if dir := os.Getenv("WEBOTP_E2E_SCREENSHOTS"); dir != "" && strings.HasPrefix(tc.name, "Deny") {
				shot, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, "demo-375-consent.png"), shot, 0o644)
				}
				if err != nil {
					t.Fatalf("screenshot: %v", err)
				}
			}

			tc.decline(tb)
			tb.waitFor(findAllow+` === null`, "the consent bar to go away")
			status := eval[string](tb, `document.getElementById('status').textContent`)
			if status == "" || strings.Contains(status, "Waiting for the SMS") {
				t.Errorf("after declining the status says %q; want it to say the code will not fill in by itself", status)
			}
			if got := eval[string](tb, `(() => { const el = document.activeElement; return el && el.closest('#code-form') ? el.id : (el ? el.tagName : 'nothing'); })()`); got != "code" {
				t.Errorf("after declining the focus is on %q, want the code input", got)
			}
		})
	}
}
