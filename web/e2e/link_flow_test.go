package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// linkRE finds a verification link in a dev outbox message.
var linkRE = regexp.MustCompile(`https?://[^\s"'<>\\]+#otp=[0-9]+`)

// devOutbox returns the messages of the dev outbox, and its JSON.
func devOutbox(t *testing.T, h *harness) ([]map[string]any, []byte) {
	t.Helper()
	res, err := http.Get(h.verifier + "/dev/outbox")
	if err != nil {
		t.Fatalf("GET /dev/outbox: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("GET /dev/outbox: %v in %s", err, raw)
	}
	return list, raw
}

// outboxLink returns the verification link the dev outbox holds for the
// verification id (any channel: the message's every field is searched).
func outboxLink(t *testing.T, h *harness, id string) string {
	t.Helper()
	list, raw := devOutbox(t, h)
	for _, m := range list {
		if m["verification_id"] != id {
			continue
		}
		b, _ := json.Marshal(m)
		if l := linkRE.FindString(strings.ReplaceAll(string(b), `\u0026`, "&")); l != "" {
			return l
		}
	}
	t.Fatalf("no verification link in the dev outbox for %s: %s", id, raw)
	return ""
}

// The whole path of a link, as a new user tries it: the demo sends the
// code by SMS or email, the message in the dev outbox carries the link,
// opening it (with and without WebOTP) fills the code, removes it from
// the address bar and the demo's autosubmit approves the verification.
func TestALinkFromTheOutboxApprovesTheVerification(t *testing.T) {
	h := need(t)
	for _, b := range browsers {
		for _, channel := range []string{"sms", "email"} {
			t.Run(b.name+" by "+channel, func(t *testing.T) {
				tb := openTab(t, b.opts)
				tb.navigate(h.verifierLH + "/")
				tb.waitFor(`document.getElementById('phone-form') && !document.getElementById('phone-form').hidden`, "the demo's first step")
				if channel == "email" {
					tb.run("enter an email address",
						chromedp.Click(chromedp.CSS(`input[name="channel"][value="email"]`)),
						chromedp.SendKeys(chromedp.CSS("#email"), fmt.Sprintf("user%d@example.com", h.phones.Add(1))),
						chromedp.Click(chromedp.CSS("#send")))
				} else {
					tb.run("enter a phone number",
						chromedp.SendKeys(chromedp.CSS("#phone"), "+1 415 555 "+fmt.Sprintf("%04d", 500+h.phones.Add(1))),
						chromedp.Click(chromedp.CSS("#send")))
				}
				tb.waitFor(`!document.getElementById('code-step').hidden`, `the "we sent a code" step`)
				id := eval[string](tb, `JSON.parse(localStorage.getItem('webotp-demo-verification')).id`)
				link := outboxLink(t, h, id)
				// As from another tab: a new document, not a jump to a fragment.
				tb.navigate("about:blank")
				tb.navigate(link)
				tb.waitFor(`document.getElementById('status').textContent.includes('Verified ✓')`, `"Verified ✓"`)
				checkNoCodeInURL(t, tb)
				if got := eval[string](tb, `document.getElementById('done-how').textContent`); !strings.Contains(got, "link") {
					t.Errorf("the demo says %q, want the code to have come from the link", got)
				}
			})
		}
	}
}

// "Continue on your phone": the demo shows the QR code of the link, fetched
// with the dev API key.
func TestDemoShowsTheQRCodeOfTheLink(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{noOTPCredential: true, noOutbox: true})
	tb.navigate(h.verifierLH + "/")
	tb.waitFor(`document.getElementById('phone-form') && !document.getElementById('phone-form').hidden`, "the demo's first step")
	tb.run("enter a phone number",
		chromedp.SendKeys(chromedp.CSS("#phone"), "+1 415 555 "+fmt.Sprintf("%04d", 500+h.phones.Add(1))),
		chromedp.Click(chromedp.CSS("#send")))
	tb.waitFor(`!document.getElementById('code-step').hidden`, `the "we sent a code" step`)
	tb.run("continue on the phone", chromedp.Click(chromedp.CSS("#show-qr")))
	tb.waitFor(`!document.getElementById('qr-panel').hidden && document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0`, "the QR code")
	if got := tb.requested("/qr"); len(got) != 1 {
		t.Errorf("QR requests %q, want one", got)
	}
}
