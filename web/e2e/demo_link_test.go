package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The demo's link path: a code sent by SMS, the link opened in the same
// browser (as from the dev inbox) in a browser without WebOTP: the code
// fills itself in, leaves the address bar, and the verification is
// approved by the demo's autosubmit.
func TestDemoVerifiesThroughTheLinkWithoutWebOTP(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{noOTPCredential: true, noOutbox: true})
	tb.navigate(h.verifierLH + "/")
	tb.waitFor(`document.getElementById('phone') && !document.getElementById('phone-field').hidden`, "the demo's phone input")
	tb.run("enter a phone number",
		chromedp.SendKeys(chromedp.CSS("#phone"), "+1 415 555 "+fmt.Sprintf("%04d", 500+h.phones.Add(1))),
		chromedp.Click(chromedp.CSS("#send")))
	tb.waitFor(`!document.getElementById('code-step').hidden`, `the "we sent a code" step`)
	id := eval[string](tb, `JSON.parse(localStorage.getItem('webotp-demo-verification')).id`)
	code, err := h.server.Code(id)
	if err != nil {
		t.Fatal(err)
	}

	tb.navigate(h.verifierLH + "/?from=inbox#otp=" + code)
	tb.waitFor(`document.getElementById('status').textContent.includes('Verified ✓') && !document.getElementById('done-step').hidden`, `"Verified ✓"`)
	if got := eval[string](tb, `document.getElementById('done-how').textContent`); !strings.Contains(got, "link") {
		t.Errorf("the demo says %q, want the code to have come from the link", got)
	}
	if got := eval[string](tb, `location.href`); got != h.verifierLH+"/?from=inbox" {
		t.Errorf("the address bar holds %s, want the link without its code", got)
	}
	checkNoCodeInURL(t, tb)
	if got := eval[string](tb, `String(localStorage.getItem('webotp-demo-verification'))`); got != "null" {
		t.Errorf("the approved verification is still remembered: %s", got)
	}
}

// outboxCode returns the code of the dev outbox message of the
// verification id, read from its subject or body (any channel).
func outboxCode(t *testing.T, h *harness, id string) string {
	t.Helper()
	list, raw := devOutbox(t, h)
	for _, m := range list {
		if m["verification_id"] == id {
			subject, _ := m["subject"].(string)
			body, _ := m["body"].(string)
			if c := regexp.MustCompile(`[0-9]{4,10}`).FindString(subject + " " + body); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no message with a code for %s in the dev outbox: %s", id, raw)
	return ""
}

// The demo sends a code by email too; the page a link opens checks it.
func TestDemoVerifiesAnEmailAddressThroughTheLink(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{noOTPCredential: true, noOutbox: true})
	tb.navigate(h.verifierLH + "/")
	tb.waitFor(`document.getElementById('phone') && !document.getElementById('phone-field').hidden`, "the demo's first step")
	email := fmt.Sprintf("user%d@example.com", h.phones.Add(1))
	tb.run("enter an email address",
		chromedp.Click(chromedp.CSS(`input[name="channel"][value="email"]`)),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.Click(chromedp.CSS("#send")))
	tb.waitFor(`!document.getElementById('code-step').hidden`, `the "we sent a code" step`)
	if got := eval[string](tb, `document.getElementById('sent-to').textContent`); got == "" || strings.Contains(got, "+") {
		t.Errorf("the code step says the code went to %q, want the (masked) email address", got)
	}
	id := eval[string](tb, `JSON.parse(localStorage.getItem('webotp-demo-verification')).id`)
	code := outboxCode(t, h, id)

	tb.navigate("about:blank") // a new document, as a link opened from the mail
	tb.navigate(h.verifierLH + "/#otp=" + code)
	tb.waitFor(`document.getElementById('status').textContent.includes('Verified ✓') && !document.getElementById('done-step').hidden`, `"Verified ✓"`)
	checkNoCodeInURL(t, tb)
}
