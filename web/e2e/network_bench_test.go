package e2e

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

//go:embed testdata/phone.js
var benchPhoneSource string

// networkProfile is a throttling profile of Chromium's network emulation
// (DevTools' Fast 3G, Lighthouse's Slow 4G): a minimum latency per request
// and the aggregated throughput down and up, in bytes a second. The zero
// profile does not throttle.
type networkProfile struct {
	name      string // in the benchmark's name
	latencyMS float64
	down, up  float64
}

var (
	unthrottled = networkProfile{name: "none"}
	// Fast 3G: 562.5 ms, 1.44 Mbit/s down, 675 kbit/s up.
	fast3G = networkProfile{name: "fast3g", latencyMS: 562.5, down: 180_000, up: 84_375}
	// Slow 4G: 150 ms, 1.6 Mbit/s down, 750 kbit/s up.
	slow4G = networkProfile{name: "slow4g", latencyMS: 150, down: 200_000, up: 93_750}
)

// phoneDwell is how long the phone page stays open: the time a person takes
// to type a phone number.
const phoneDwell = 8 * time.Second

// benchCode is the code in the benchmark's SMS.
const benchCode = "271828"

// flowCase is one configuration of BenchmarkConsentToFill.
type flowCase struct {
	phoneFirst bool // the phone page (tel input, same script) comes first
	net        networkProfile
	sms        time.Duration // when the SMS arrives, after the code page's navigation started
}

func (c flowCase) name() string {
	flow := "cold"
	if c.phoneFirst {
		flow = "phone-first"
	}
	return fmt.Sprintf("%s/%s/sms%s", flow, c.net.name, c.sms)
}

// BenchmarkConsentToFill measures how long after the user consents (the
// moment navigator.credentials.get() resolves with the code) the code is in
// the input, on emulated networks, with webotp.js and with MDN's inline
// snippet (testdata/mdn.html). The phone (testdata/phone.js) receives the SMS
// outside the page's network at a set time after the code page's navigation
// started and consents at once. Two flows:
//
//   - cold: the code page in a fresh browser context (empty HTTP cache);
//   - phone-first: the page where the number is typed (a tel input and the
//     same script tag) stays open for phoneDwell, then the code page opens
//     in the same tab, as on a real site. MDN's phone page carries no
//     script, so nothing happens while it is open: it is only loaded.
//
// Each run is a fresh browser context; webotp's runs go one after the
// other, MDN's wait for their SMS together. Reported medians: ms/consent-to-fill,
// ms/consent (after the code page's navigation started), ms/wasm-in (when the
// code page had webotp.wasm, from the network or the cache), and the bytes
// Chromium received for the first and the second page load
// (B/first-load, B/second-load): in the phone-first flow the phone page and
// the code page, in the cold flow the code page and a visit to it again
// (measured on the first run only). Without throttling only the cold flow
// runs (nothing arrives any sooner for having loaded before). Run with
// -benchtime=5x.
func BenchmarkConsentToFill(b *testing.B) {
	h := need(b)
	cases := []flowCase{
		{net: unthrottled, sms: 500 * time.Millisecond},
		{net: fast3G, sms: 500 * time.Millisecond},
		{net: fast3G, sms: 3 * time.Second},
		{net: slow4G, sms: 500 * time.Millisecond},
		{net: slow4G, sms: 3 * time.Second},
		{phoneFirst: true, net: fast3G, sms: 3 * time.Second},
		{phoneFirst: true, net: slow4G, sms: 3 * time.Second},
	}
	// The script straight from the verifier, as from a CDN: no test proxy
	// in the measured path.
	script := h.verifier + "/webotp.js"
	phoneForm := `<form id="pf" action="/send" method="post">
  <label for="phone">Phone number</label>
  <input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel">
  <button id="send">Send code</button>
</form>`
	pages := map[string][2]string{ // client: phone page, code page
		"webotp": {
			testPage{noHelpers: true, scriptSrc: script, body: phoneForm}.url(b),
			testPage{noHelpers: true, scriptSrc: script, body: codeForm(`autocomplete="one-time-code"`)}.url(b),
		},
		"mdn": {
			testPage{noHelpers: true, noClient: true, body: phoneForm}.url(b),
			h.pages + "/t/mdn.html",
		},
	}
	for _, c := range cases {
		b.Run(c.name(), func(b *testing.B) {
			for _, client := range []string{"webotp", "mdn"} {
				b.Run(client, func(b *testing.B) {
					webotp := client == "webotp"
					var fill, consent, wasmIn, first, second []float64
					record := func(r flowRun) {
						fill = append(fill, r.filled-r.consent)
						consent = append(consent, r.consent)
						if r.wasmIn >= 0 {
							wasmIn = append(wasmIn, r.wasmIn)
						}
						first = append(first, float64(r.bytes[0]))
						if r.second {
							second = append(second, float64(r.bytes[1]))
						}
					}
					// webotp's runs go one after the other, so that nothing
					// else runs while the wasm compiles and fills. MDN's
					// snippet does nothing but wait for the SMS: its runs wait
					// together, each in its own browser context.
					var waiting []*flowRunning
					for i := 0; b.Loop(); i++ {
						f := startFlow(b, c, pages[client][0], pages[client][1], webotp, i == 0)
						if webotp {
							record(f.finish())
						} else {
							waiting = append(waiting, f)
						}
					}
					for _, f := range waiting {
						record(f.finish())
					}
					b.ReportMetric(median(fill), "ms/consent-to-fill")
					b.ReportMetric(median(consent), "ms/consent")
					if len(wasmIn) > 0 {
						b.ReportMetric(median(wasmIn), "ms/wasm-in")
					}
					b.ReportMetric(median(first), "B/first-load")
					if len(second) > 0 {
						b.ReportMetric(median(second), "B/second-load")
					}
				})
			}
		})
	}
}

// flowRun is what one run of a flow measured.
type flowRun struct {
	consent, filled float64 // ms after the code page's navigation started
	wasmIn          float64 // responseEnd of the code page's webotp.wasm, or -1
	bytes           [2]int64
	second          bool // bytes[1] was measured
}

// flowRunning is a flow started in its own tab, until finish reads it.
type flowRunning struct {
	b        *testing.B
	c        flowCase
	tb       *tab
	closeTab func()
	counter  *byteCounter
	codeURL  string
	webotp   bool
	second   bool
}

// startFlow opens a fresh browser context and runs a flow up to the start
// of the code page's navigation. webotp says to wait for webotp.ready before
// a load counts as done (the wasm's bytes belong to it); revisit asks the
// cold flow for a second load of the code page once the first is done.
func startFlow(b *testing.B, c flowCase, phoneURL, codeURL string, webotp, revisit bool) *flowRunning {
	b.Helper()
	tb, closeTab := newTab(b, tabOptions{noOutbox: true, cacheOK: true})
	f := &flowRunning{b: b, c: c, tb: tb, closeTab: closeTab, counter: &byteCounter{}, codeURL: codeURL, webotp: webotp,
		second: c.phoneFirst || revisit}

	cfg, _ := json.Marshal(map[string]any{"path": pathOf(codeURL), "code": benchCode, "delay": c.sms.Milliseconds()})
	src := "(" + strings.TrimSpace(benchPhoneSource) + ")(" + string(cfg) + ");"
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		closeTab()
		b.Fatalf("add the phone's init script: %v", err)
	}
	if err := chromedp.Listen(tb.ctx, f.counter.listen); err != nil {
		closeTab()
		b.Fatalf("listen to network events: %v", err)
	}
	if c.net.latencyMS > 0 {
		if _, err := chromedp.Call(tb.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{
				Latency:            c.net.latencyMS,
				DownloadThroughput: c.net.down,
				UploadThroughput:   c.net.up,
			}},
		}); err != nil {
			closeTab()
			b.Fatalf("emulate %s: %v", c.net.name, err)
		}
	}
	if c.phoneFirst {
		start := time.Now()
		tb.navigate(phoneURL)
		if webotp {
			time.Sleep(phoneDwell - time.Since(start))
		}
		eval[bool](tb, `true`) // one round trip: every event before it was counted
		f.counter.next()
	}
	// Page.navigate returns once the navigation started; finish waits for
	// the rest. Until the code page's document exists, an evaluation may go
	// to the previous document or fail with its context gone: wait for it.
	if _, err := chromedp.Call(tb.ctx, page.Navigate, page.NavigateParams{URL: codeURL}); err != nil {
		closeTab()
		b.Fatalf("navigate to %s: %v", codeURL, err)
	}
	want := pathOf(codeURL)
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		at, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.pathname`))
		if err == nil && at == want {
			return f
		}
		if time.Now().After(deadline) {
			closeTab()
			b.Fatalf("the code page %s did not open (at %q, %v)", codeURL, at, err)
		}
	}
}

// finish waits for the code in the input, reads the figures and closes the
// tab.
func (f *flowRunning) finish() flowRun {
	b, tb := f.b, f.tb
	b.Helper()
	defer f.closeTab()
	// loaded waits until the page's own loading is over, so that its bytes
	// are counted: the load event, the code in the input when asked, and
	// with webotp the wasm running.
	loaded := func(filled bool) {
		cond, what := `document.readyState === 'complete'`, "the page to load"
		if filled {
			cond, what = cond+` && window.__bench && __bench.filled > 0`, "the code in the input"
		}
		tb.waitForWithin(cond, what, 40*time.Second)
		if f.webotp {
			eval[bool](tb, `window.webotp.ready.then(() => true)`)
		}
		eval[bool](tb, `true`) // one round trip: every event before it was counted
	}
	loaded(true)
	got := eval[struct {
		Consent, Filled, WasmIn float64
		Value                   string
	}](tb, `({
		consent: __bench.consent,
		filled: __bench.filled,
		wasmIn: Math.max(-1, ...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).map((e) => e.responseEnd)),
		value: document.getElementById('otp').value,
	})`)
	if got.Value != benchCode {
		b.Fatalf("the input holds %q, want %q\n%s", got.Value, benchCode, tb.report())
	}
	r := flowRun{consent: got.Consent, filled: got.Filled, wasmIn: got.WasmIn, second: f.second}
	if !f.c.phoneFirst && f.second {
		f.counter.next()
		tb.navigate(f.codeURL)
		loaded(false)
	}
	r.bytes = f.counter.totals()
	return r
}

// byteCounter adds up the bytes Chromium received (encoded, headers
// included) for each request, by the page load during which it started.
type byteCounter struct {
	mu     sync.Mutex
	load   int            // 0 for the first page load, 1 for the second
	loadOf map[string]int // request id -> load
	bytes  [2]int64       // per load
}

func (c *byteCounter) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if c.loadOf == nil {
			c.loadOf = map[string]int{}
		}
		c.loadOf[string(ev.RequestID)] = c.load
	case *network.EventLoadingFinished:
		if l, ok := c.loadOf[string(ev.RequestID)]; ok {
			c.bytes[l] += int64(ev.EncodedDataLength)
		}
	}
}

// next makes the requests from now on count for the second load.
func (c *byteCounter) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load = 1
}

func (c *byteCounter) totals() [2]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// pathOf is the path of an absolute URL.
func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Path == "" {
		return "/"
	}
	return p.Path
}
