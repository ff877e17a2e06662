package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/webotp/webotp/otpmsg"
)

// Verification links: the loader reads #otp= (or ?otp=) itself, in every
// browser, takes it out of the address bar at once and fills the first
// target (source "link").

// browsers are the two kinds of browser a link must work in.
var browsers = []struct {
	name string
	opts tabOptions
}{
	{"in a browser with WebOTP", tabOptions{noOutbox: true}},
	{"in a browser without WebOTP", tabOptions{noOTPCredential: true}},
}

// history returns the URLs of the tab's session history.
func (tb *tab) history() []string {
	tb.t.Helper()
	h, err := chromedp.Call(tb.ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		tb.t.Fatalf("Page.getNavigationHistory: %v", err)
	}
	var out []string
	for _, e := range h.Entries {
		out = append(out, e.URL)
	}
	return out
}

// checkNoCodeInURL fails the test when the address bar or any history
// entry still holds an otp parameter.
func checkNoCodeInURL(t *testing.T, tb *tab) {
	t.Helper()
	if u := eval[string](tb, `location.href`); strings.Contains(u, "otp=") {
		t.Errorf("the address bar still holds the code: %s", u)
	}
	for _, u := range tb.history() {
		if strings.Contains(u, "otp=") {
			t.Errorf("a history entry holds the code: %s", u)
		}
	}
}

func TestALinkFillsTheInputAndLeavesTheAddressBar(t *testing.T) {
	for _, b := range browsers {
		t.Run(b.name, func(t *testing.T) {
			tb := openTab(t, b.opts)
			tb.navigate(testPage{body: codeForm(`autocomplete="one-time-code" data-autosubmit required`)}.url(t) + "#otp=123456")
			tb.waitValue("otp", "123456")
			checkFilled(t, tb, "otp", "123456", "link")
			checkNoCodeInURL(t, tb)
			tb.waitFor(`window.__submits.length > 0`, "the form's submit handler to run")
			tb.settle()
			if n := tb.submits(); n != 1 {
				t.Errorf("the form was submitted %d times, want exactly 1", n)
			}
			if got := eval[string](tb, `document.getElementById('webotp-live').textContent`); got == "" {
				t.Error("#webotp-live announced nothing")
			}
			if b.opts.noOTPCredential {
				if got := tb.requested(".wasm"); len(got) > 0 {
					t.Errorf("a browser without WebOTP fetched %q to fill a link", got)
				}
			}
		})
	}
}

func TestALinkCodeIsGoneBeforeThePagesNextScriptRuns(t *testing.T) {
	for _, b := range browsers {
		t.Run(b.name, func(t *testing.T) {
			tb := openTab(t, b.opts)
			// A blocking loader in the body, before the form: the page's own
			// inline script right after it, and its DOMContentLoaded handler,
			// see the URL without the code; the form is filled once parsed.
			tb.navigate(testPage{noClient: true, body: `<script>
  window.__urls = [];
  document.addEventListener('DOMContentLoaded', () => __urls.push('dcl ' + location.href));
</script>
<script src="/webotp.js"></script>
<script>__urls.push('next ' + location.href);</script>
` + codeForm(`autocomplete="one-time-code"`)}.url(t) + "?lang=fr#otp=123456")
			tb.waitValue("otp", "123456")
			urls := eval[[]string](tb, `window.__urls`)
			if len(urls) != 2 {
				t.Fatalf("the page recorded %q, want its next script and DOMContentLoaded", urls)
			}
			for _, u := range urls {
				if strings.Contains(u, "otp=") || !strings.Contains(u, "?lang=fr") {
					t.Errorf("the page saw %s: want the code gone and the query kept", u)
				}
			}
			checkNoCodeInURL(t, tb)
		})
	}
}

func TestALinkIsReadFromTheQueryAndTheRestOfTheURLStays(t *testing.T) {
	for _, tc := range []struct {
		name, suffix, code, after string
	}{
		{"a query code is read and the other parameters stay", "?lang=fr&otp=654321&step=2#top", "654321", "?lang=fr&step=2#top"},
		{"other fragment parameters stay", "#a=1&otp=123456&b=2", "123456", "#a=1&b=2"},
		{"a fragment code wins and both codes go", "?otp=111111#otp=222222", "222222", ""},
		{"letters are no code but still leave the URL", "#otp=12ab", "", ""},
		{"markup is no code but still leaves the URL", "#otp=<script>", "", ""},
		{"an encoded script tag is no code but still leaves the URL", "?x=1#otp=%3Cscript%3Ealert(1)%3C/script%3E", "", "?x=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{noOTPCredential: true})
			base := testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t)
			tb.navigate(base + tc.suffix)
			if tc.code != "" {
				tb.waitValue("otp", tc.code)
				checkFilled(t, tb, "otp", tc.code, "link")
			} else {
				tb.waitScriptRan()
				if v := eval[string](tb, `document.getElementById('otp').value`); v != "" {
					t.Errorf("the input holds %q, want it empty", v)
				}
				if evs := eventsOf(tb.events(), "autocomplete", ""); len(evs) > 0 {
					t.Errorf("autocomplete events for a value that is no code: %+v", evs)
				}
			}
			if got := eval[string](tb, `location.href`); got != base+tc.after {
				t.Errorf("the URL is %s, want %s", got, base+tc.after)
			}
			checkNoCodeInURL(t, tb)
		})
	}
}

func TestALinkWaitsForTheInputThatComesLater(t *testing.T) {
	for _, b := range browsers {
		t.Run(b.name, func(t *testing.T) {
			tb := openTab(t, b.opts)
			tb.navigate(testPage{body: `<main id="slot"></main>`}.url(t) + "#otp=246810")
			tb.waitScriptRan()
			checkNoCodeInURL(t, tb)
			tb.exec(`document.getElementById('slot').innerHTML = ` + quote(codeForm(`autocomplete="one-time-code"`)))
			tb.waitValue("otp", "246810")
			checkFilled(t, tb, "otp", "246810", "link")
		})
	}
}

func TestALinkRespectsTheInputsSettings(t *testing.T) {
	for _, tc := range []struct {
		name, attrs, scriptAttrs string
		value                    string
		submits                  int
		errorName                string
	}{
		{"data-autosubmit=false on the input overrides the script tag", `autocomplete="one-time-code" data-autosubmit="false"`, "data-autosubmit", "123456", 0, ""},
		{"data-autosubmit on the script tag is the default", `autocomplete="one-time-code"`, "data-autosubmit", "123456", 1, ""},
		{"a code longer than maxlength is reported, not put in", `autocomplete="one-time-code" maxlength="4"`, "", "", 0, "ConstraintError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{noOTPCredential: true})
			tb.navigate(testPage{scriptAttrs: tc.scriptAttrs, body: codeForm(tc.attrs)}.url(t) + "#otp=123456")
			tb.waitScriptRan()
			if v := eval[string](tb, `document.getElementById('otp').value`); v != tc.value {
				t.Errorf("the input holds %q, want %q", v, tc.value)
			}
			if n := tb.submits(); n != tc.submits {
				t.Errorf("the form was submitted %d times, want %d", n, tc.submits)
			}
			errs := eventsOf(tb.events(), "webotp:error", "otp")
			if tc.errorName == "" && len(errs) > 0 {
				t.Errorf("webotp:error events: %s", errs[0].Detail)
			}
			if tc.errorName != "" && (len(errs) != 1 || !strings.Contains(string(errs[0].Detail), `"`+tc.errorName+`"`)) {
				t.Errorf("webotp:error events %+v, want one %s", errs, tc.errorName)
			}
			checkNoCodeInURL(t, tb)
		})
	}
}

// The loader's rule is otpmsg.CodeFromURL's restricted to the codes
// otpmsg.Link writes (ASCII digits, percent-encoded or not): it never
// reads a code CodeFromURL does not, or another one, and it reads every
// code given as the digits themselves.
func TestTheLoaderReadsLinksAsOtpmsgDoes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(need(t).root, "otpmsg", "testdata", "links.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		PageURLs []struct {
			Name     string `json:"name"`
			Fragment string `json:"fragment"`
			Query    string `json:"query"`
		} `json:"page_urls"`
	}
	if err := json.Unmarshal(raw, &data); err != nil || len(data.PageURLs) == 0 {
		t.Fatalf("otpmsg/testdata/links.json: %v, %d page_urls cases", err, len(data.PageURLs))
	}
	tb := openTab(t, tabOptions{noOTPCredential: true})
	parent := tb.t
	defer func() { tb.t = parent }() // before the tab's cleanup, which reports through tb.t
	for _, c := range data.PageURLs {
		t.Run(c.Name, func(t *testing.T) {
			tb.t = t
			u := testPage{body: codeForm(`autocomplete="one-time-code"`)}.url(t)
			if q := strings.TrimPrefix(c.Query, "?"); q != "" {
				u += "?" + q
			}
			if f := strings.TrimPrefix(c.Fragment, "#"); f != "" {
				u += "#" + f
			}
			tb.navigate(u)
			tb.waitScriptRan()
			got := eval[string](tb, `document.getElementById('otp').value`)
			want, ok := otpmsg.CodeFromURL(c.Fragment, c.Query)
			switch {
			case got != "" && (!ok || got != want):
				t.Errorf("the loader read %q; otpmsg.CodeFromURL reads %q, %v", got, want, ok)
			case got == "" && ok && strings.Contains(c.Fragment+"&"+c.Query, otpmsg.LinkParam+"="+want):
				t.Errorf("the loader read nothing; otpmsg.CodeFromURL reads %q, as Link writes it", want)
			}
			if after := eval[string](tb, `location.hash + location.search`); strings.Contains("&"+strings.NewReplacer("#", "&", "?", "&").Replace(after), "&"+otpmsg.LinkParam+"=") {
				t.Errorf("an otp parameter is left in the URL: %s", after)
			}
		})
	}
}
