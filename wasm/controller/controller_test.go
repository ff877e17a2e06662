package controller_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/webotp/webotp/wasm/controller"
)

func TestController(t *testing.T) {
	fillOf := func(el, code, source string) []string {
		return []string{
			"set " + el + " " + code,
			"event " + el + " input",
			"event " + el + " change",
			"event " + el + " autocomplete code=" + code + " source=" + source,
			"announce " + controller.Announcement,
		}
	}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	tests := []struct {
		name   string
		script attrs
		inputs []*input
		run    func(p *page, c *controller.Controller)
		want   []string
	}{
		{
			name:   "a page with one empty target starts one request",
			inputs: []*input{newInput("otp")},
			want:   []string{"get 1"},
		},
		{
			name:   "a page without a usable target starts nothing",
			inputs: []*input{{name: "gone", attrs: map[string]string{}}, newInput("off", "data-webotp", "off")},
			want:   nil,
		},
		{
			name:   "the request goes to the focused target rather than the first",
			inputs: []*input{newInput("first"), newInput("second")},
			run: func(p *page, c *controller.Controller) {
				c.Hidden()
				p.take()
				p.focused = p.inputs[1]
				c.Shown()
				c.Resolved(2, "111111")
			},
			want: cat([]string{"get 2"}, fillOf("second", "111111", "webotp")),
		},
		{
			name: "disabled, filled and switched-off inputs are skipped in document order",
			inputs: []*input{
				{name: "disabled", attrs: map[string]string{}, connected: true, disabled: true},
				{name: "filled", attrs: map[string]string{}, connected: true, value: "12"},
				newInput("off", "data-webotp", "OFF"),
				newInput("empty"),
			},
			run:  func(p *page, c *controller.Controller) { c.Resolved(1, "222222") },
			want: cat([]string{"get 1"}, fillOf("empty", "222222", "webotp")),
		},
		{
			name:   "a code fills the input with events and an announcement, without submitting by default",
			inputs: []*input{newInput("otp")},
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   cat([]string{"get 1"}, fillOf("otp", "123456", "webotp")),
		},
		{
			name:   "autosubmit on the script tag submits the form once after the fill",
			script: attrs{"data-autosubmit": ""},
			inputs: []*input{newInput("otp")},
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   cat([]string{"get 1"}, fillOf("otp", "123456", "webotp"), []string{"request-submit otp"}),
		},
		{
			name:   "autosubmit off on the input overrides the script tag",
			script: attrs{"data-autosubmit": "true"},
			inputs: []*input{newInput("otp", "data-autosubmit", "false")},
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   cat([]string{"get 1"}, fillOf("otp", "123456", "webotp")),
		},
		{
			name:   "autosubmit does not submit again when a listener submitted during the fill",
			inputs: []*input{newInput("otp", "data-autosubmit", "on")},
			run: func(p *page, c *controller.Controller) {
				p.onEvent = func(el *input, typ string) bool {
					if typ == "input" {
						c.Submit(func(controller.Element) bool { return true })
					}
					return false
				}
				c.Resolved(1, "123456")
			},
			want: cat([]string{"get 1"}, fillOf("otp", "123456", "webotp")),
		},
		{
			name:   "autosubmit does not submit when the autocomplete event is cancelled",
			inputs: []*input{newInput("otp", "data-autosubmit", "")},
			run: func(p *page, c *controller.Controller) {
				p.onEvent = func(el *input, typ string) bool { return typ == "autocomplete" }
				c.Resolved(1, "123456")
			},
			want: cat([]string{"get 1"}, fillOf("otp", "123456", "webotp")),
		},
		{
			name:   "a request ends with reason timeout after the default 240 seconds",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				p.advance(239 * time.Second)
				p.logf("239s")
				p.advance(time.Second)
				c.Resolved(1, "123456")
			},
			want: []string{"get 1", "239s", "cancel 1 timeout", "event otp webotp:abort reason=timeout"},
		},
		{
			name:   "data-timeout on the input overrides the script tag's",
			script: attrs{"data-timeout": "30"},
			inputs: []*input{newInput("otp", "data-timeout", "1.5")},
			run:    func(p *page, c *controller.Controller) { p.advance(1500 * time.Millisecond) },
			want:   []string{"get 1", "cancel 1 timeout", "event otp webotp:abort reason=timeout"},
		},
		{
			name:   "submitting the input's form ends the request with reason submit and arms nothing",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Submit(func(el controller.Element) bool { return el == p.inputs[0] })
				c.Mutated()
			},
			want: []string{"get 1", "cancel 1 submit", "event otp webotp:abort reason=submit"},
		},
		{
			name:   "submitting another form leaves the request alone",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Submit(func(controller.Element) bool { return false })
			},
			want: []string{"get 1"},
		},
		{
			name:   "removing the target ends the request with reason removed, told to the document too, and arms the next target",
			inputs: []*input{newInput("old"), newInput("new")},
			run: func(p *page, c *controller.Controller) {
				p.inputs[0].connected = false
				c.Mutated()
			},
			want: []string{"get 1", "cancel 1 removed", "event document webotp:abort input=old reason=removed",
				"event old webotp:abort input=old reason=removed", "get 2"},
		},
		{
			name:   "a target added later is armed by the mutation that adds it",
			inputs: []*input{{name: "later", attrs: map[string]string{}}},
			run: func(p *page, c *controller.Controller) {
				p.inputs[0].connected = true
				c.Mutated()
				c.Mutated()
			},
			want: []string{"get 1"},
		},
		{
			name:   "pagehide ends the request with reason hidden and pageshow arms it again",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Hidden()
				c.Mutated()
				c.Shown()
				c.Shown()
			},
			want: []string{"get 1", "cancel 1 hidden", "event otp webotp:abort reason=hidden", "get 2"},
		},
		{
			name:   "a rejection is reported as webotp:error and the input is not armed again",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Rejected(1, "NotAllowedError", "denied")
				c.Mutated()
			},
			want: []string{"get 1", "event otp webotp:error message=denied name=NotAllowedError"},
		},
		{
			name:   "a late answer to an aborted request is ignored",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Abort(nil)
				c.Rejected(1, "AbortError", "aborted")
				c.Resolved(1, "123456")
			},
			want: []string{"get 1", "cancel 1 api", "event otp webotp:abort reason=api"},
		},
		{
			name:   "webotp.abort of another input leaves the request alone",
			inputs: []*input{newInput("otp"), newInput("other")},
			run:    func(p *page, c *controller.Controller) { c.Abort(p.inputs[1]) },
			want:   []string{"get 1"},
		},
		{
			name:   "focus moves an automatic request to another eligible target without a new get",
			inputs: []*input{newInput("a"), newInput("b", "data-autosubmit", "")},
			run: func(p *page, c *controller.Controller) {
				c.Focused(p.inputs[1])
				c.Resolved(1, "123456")
			},
			want: cat([]string{"get 1"}, fillOf("b", "123456", "webotp"), []string{"request-submit b"}),
		},
		{
			name:   "the fill's own input event does not clear anything or re-arm",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				p.onEvent = func(el *input, typ string) bool {
					c.Input(el)
					c.Mutated()
					return false
				}
				c.Resolved(1, "123456")
			},
			want: cat([]string{"get 1"}, fillOf("otp", "123456", "webotp")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(tt.inputs...)
			c := newController(p, tt.script)
			c.Start(controller.Record{})
			if tt.run != nil {
				tt.run(p, c)
			}
			if got := p.take(); !slices.Equal(got, tt.want) {
				t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestReceive(t *testing.T) {
	tests := []struct {
		name    string
		run     func(p *page, c *controller.Controller, w *waiter)
		timeout time.Duration
		want    string
	}{
		{
			name: "receive resolves with the code it filled in",
			run:  func(p *page, c *controller.Controller, w *waiter) { c.Resolved(2, "654321") },
			want: "resolve 654321",
		},
		{
			name:    "receive rejects with TimeoutError after its own timeout",
			timeout: 5 * time.Second,
			run:     func(p *page, c *controller.Controller, w *waiter) { p.advance(5 * time.Second) },
			want:    "reject TimeoutError: webotp: request aborted: timeout",
		},
		{
			name: "receive rejects with AbortError when webotp.abort is called",
			run:  func(p *page, c *controller.Controller, w *waiter) { c.Abort(p.inputs[1]) },
			want: "reject AbortError: webotp: request aborted: api",
		},
		{
			name: "receive rejects with the browser's error name",
			run: func(p *page, c *controller.Controller, w *waiter) {
				c.Rejected(2, "InvalidStateError", "OTP retrieval timed out.")
			},
			want: "reject InvalidStateError: OTP retrieval timed out.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(newInput("auto"), newInput("explicit", "data-webotp", "off"))
			c := newController(p, nil)
			c.Start(controller.Record{})
			w := &waiter{}
			c.Receive(p.inputs[1], tt.timeout, w)
			tt.run(p, c, w)
			if w.got != tt.want {
				t.Errorf("got %q, want %q", w.got, tt.want)
			}
			if got := p.log[:3]; !slices.Equal(got, []string{"get 1", "cancel 1 api", "event auto webotp:abort reason=api"}) {
				t.Errorf("receive did not end the automatic request first: %q", got)
			}
		})
	}
}

func TestPaste(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		wantResult controller.PasteResult
		wantInsert string
		wantLog    []string
	}{
		{
			name:       "a whole SMS for this host fills its code and completes the request",
			text:       "Your code is 123456.\n\n@example.com #123456",
			wantResult: controller.PasteHandled,
			wantLog: []string{"cancel 1 paste", "set otp 123456", "event otp input", "event otp change",
				"event otp autocomplete code=123456 source=paste", "announce " + controller.Announcement},
		},
		{
			name:       "a whole SMS for another host is refused with a validity message",
			text:       "Your code is 123456.\n\n@evil.example #123456",
			wantResult: controller.PasteHandled,
			wantLog:    []string{"validity otp This code is for evil.example, not this site."},
		},
		{
			name:       "a subdomain is another host, as in Chromium",
			text:       "@www.example.com #123456",
			wantResult: controller.PasteHandled,
			wantLog:    []string{"validity otp This code is for www.example.com, not this site."},
		},
		{
			name:       "a message for this host framed in another is refused in a top-level document",
			text:       "@shop.example #777777 @example.com",
			wantResult: controller.PasteHandled,
			wantLog:    []string{"validity otp This code is for example.com in shop.example, not this site."},
		},
		{
			name:       "a code with a space goes in without it",
			text:       "123 456",
			wantResult: controller.PasteInsert,
			wantInsert: "123456",
		},
		{
			name:       "a code with dashes and full-width digits goes in normalised",
			text:       "１２３–４５６",
			wantResult: controller.PasteInsert,
			wantInsert: "123456",
		},
		{
			name:       "a plain code pastes as usual",
			text:       "123456",
			wantResult: controller.PasteDefault,
		},
		{
			name:       "ordinary text pastes as usual",
			text:       "call me maybe",
			wantResult: controller.PasteDefault,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(newInput("otp"))
			c := newController(p, nil)
			c.Start(controller.Record{})
			p.take()
			res, ins := c.Paste(p.inputs[0], tt.text)
			if res != tt.wantResult || ins != tt.wantInsert {
				t.Errorf("Paste = %v %q, want %v %q", res, ins, tt.wantResult, tt.wantInsert)
			}
			if got := p.take(); !slices.Equal(got, tt.wantLog) {
				t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.wantLog, "\n  "))
			}
		})
	}
}

func TestRefusalStaysUntilTheValueChanges(t *testing.T) {
	p := newPage(newInput("otp"))
	c := newController(p, nil)
	c.Start(controller.Record{})
	p.inputs[0].value = "12"
	c.Paste(p.inputs[0], "@evil.example #1")
	p.logf("input events that change nothing")
	c.Input(p.inputs[0])
	c.Input(p.inputs[0])
	p.inputs[0].value = "123"
	c.Input(p.inputs[0])
	c.Input(p.inputs[0])
	want := []string{"get 1", "validity otp This code is for evil.example, not this site.",
		"input events that change nothing", "validity otp "}
	if got := p.take(); !slices.Equal(got, want) {
		t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPasteInFrames(t *testing.T) {
	const fills, refused = "fills", "refused"
	tests := []struct {
		name    string
		host    string
		top     string
		unknown bool
		text    string
		want    string
	}{
		{"a frame takes @top #code @frame naming the real top-level host", "pay.example", "shop.example", false,
			"@shop.example #111111 @pay.example", fills},
		{"a frame refuses @other #code @frame: the top-level host is not the real one", "pay.example", "shop.example", false,
			"@evil.example #111111 @pay.example", refused},
		{"a frame refuses the top-level form naming its own host", "pay.example", "shop.example", false,
			"@pay.example #222222", refused},
		{"a frame refuses the top-level form naming the top-level host", "pay.example", "shop.example", false,
			"@shop.example #222222", refused},
		{"a frame whose top-level host is unknown refuses the frame form rather than guess", "pay.example", "", true,
			"@shop.example #111111 @pay.example", refused},
		{"a frame whose top-level host is unknown refuses the top-level form too", "pay.example", "", true,
			"@pay.example #111111", refused},
		{"a frame of the top-level host takes the top-level form", "shop.example", "shop.example", false,
			"@shop.example #333333", fills},
		{"a frame of the top-level host refuses the frame form", "shop.example", "shop.example", false,
			"@shop.example #333333 @shop.example", refused},
		{"a top-level document takes its own host", "shop.example", "", false, "@shop.example #444444", fills},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(newInput("otp"))
			p.host, p.top, p.topUnknown = tt.host, tt.top, tt.unknown
			c := newController(p, nil)
			res, _ := c.Paste(p.inputs[0], tt.text)
			got := refused
			if p.inputs[0].value != "" {
				got = fills
			}
			if res != controller.PasteHandled || got != tt.want {
				t.Errorf("pasting %q in %s under %q: %v, %s; want handled, %s\n%s", tt.text, tt.host, tt.top, res, got, tt.want, strings.Join(p.log, "\n"))
			}
		})
	}
}

func TestDevEmulationInAFrameOffersOnlyTheFrameForm(t *testing.T) {
	const outbox = "/dev/outbox"
	p := newPage(newInput("otp"))
	p.host, p.top = "127.0.0.1", "localhost"
	c := newController(p, attrs{"data-dev-outbox": outbox})
	c.Start(controller.Record{})
	c.Outbox(1, []controller.OutboxMessage{
		{Body: "@127.0.0.1 #1", SentAt: p.Now()},
		{Body: "@evil.example #2 @127.0.0.1", SentAt: p.Now()},
		{Body: "@localhost #3 @127.0.0.1", SentAt: p.Now()},
	}, nil)
	want := []string{"fetch 1 " + outbox, "consent 1 3 localhost"}
	if got := p.take(); !slices.Equal(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestRearming(t *testing.T) {
	fill := func(el, code string) []string {
		return []string{"set " + el + " " + code, "event " + el + " input", "event " + el + " change",
			"event " + el + " autocomplete code=" + code + " source=webotp", "announce " + controller.Announcement}
	}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	tests := []struct {
		name   string
		inputs []*input
		run    func(p *page, c *controller.Controller)
		want   []string
	}{
		{
			name:   "emptying a filled input (an input event) arms it again, so a resend fills it",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "111111")
				c.Mutated()
				p.logf("cleared")
				p.inputs[0].value = ""
				c.Input(p.inputs[0])
				c.Resolved(2, "222222")
			},
			want: cat([]string{"get 1"}, fill("otp", "111111"), []string{"cleared", "get 2"}, fill("otp", "222222")),
		},
		{
			name:   "a filled input the app emptied without an event is armed again by the next mutation",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "111111")
				p.logf("cleared")
				p.inputs[0].value = ""
				c.Mutated()
				c.Mutated()
			},
			want: cat([]string{"get 1"}, fill("otp", "111111"), []string{"cleared", "get 2"}),
		},
		{
			name:   "focusing an empty input whose request timed out arms it again",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				p.advance(controller.DefaultTimeout)
				c.Mutated()
				p.logf("focus")
				c.Focused(p.inputs[0])
			},
			want: []string{"get 1", "cancel 1 timeout", "event otp webotp:abort reason=timeout", "focus", "get 2"},
		},
		{
			name:   "a filled input that is not empty is not armed again by focus or input",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "111111")
				c.Focused(p.inputs[0])
				c.Input(p.inputs[0])
			},
			want: cat([]string{"get 1"}, fill("otp", "111111")),
		},
		{
			name:   "with two inputs, filling the focused one arms nothing for the other until it is focused",
			inputs: []*input{newInput("a"), newInput("b")},
			run: func(p *page, c *controller.Controller) {
				c.Focused(p.inputs[1])
				c.Resolved(1, "111111")
				c.Mutated()
				p.logf("focus a")
				c.Focused(p.inputs[0])
				c.Resolved(2, "222222")
			},
			want: cat([]string{"get 1"}, fill("b", "111111"), []string{"focus a", "get 2"}, fill("a", "222222")),
		},
		{
			name:   "a target added after a fill is armed",
			inputs: []*input{newInput("step1"), {name: "step2", attrs: map[string]string{}}},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "111111")
				p.inputs[1].connected = true
				c.Mutated()
			},
			want: cat([]string{"get 1"}, fill("step1", "111111"), []string{"get 2"}),
		},
		{
			name:   "a refused request is not armed again by focus or emptying",
			inputs: []*input{newInput("otp")},
			run: func(p *page, c *controller.Controller) {
				c.Rejected(1, "NotAllowedError", "no")
				c.Focused(p.inputs[0])
				c.Input(p.inputs[0])
				c.Mutated()
			},
			want: []string{"get 1", "event otp webotp:error message=no name=NotAllowedError"},
		},
		{
			name:   "a code longer than the maxlength is reported, not cut, and not armed again",
			inputs: []*input{{name: "otp", attrs: map[string]string{}, connected: true, maxLength: 6}},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "12345678")
				c.Focused(p.inputs[0])
			},
			want: []string{"get 1", "event otp webotp:error message=webotp: the code is longer than the input's maxlength name=ConstraintError"},
		},
		{
			name:   "a code as long as the maxlength fills",
			inputs: []*input{{name: "otp", attrs: map[string]string{}, connected: true, maxLength: 6}},
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   cat([]string{"get 1"}, fill("otp", "123456")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(tt.inputs...)
			c := newController(p, nil)
			c.Start(controller.Record{})
			tt.run(p, c)
			if got := p.take(); !slices.Equal(got, tt.want) {
				t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestDevEmulation(t *testing.T) {
	const outbox = "http://127.0.0.1:8080/dev/outbox"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := func(body string, at time.Duration) controller.OutboxMessage {
		return controller.OutboxMessage{Body: body, SentAt: t0.Add(at).UnixMilli()}
	}
	tests := []struct {
		name string
		host string
		run  func(p *page, c *controller.Controller)
		want []string
	}{
		{
			name: "on a non-loopback host the real get is used",
			host: "example.com",
			want: []string{"get 1"},
		},
		{
			name: "a message for this host shows the consent bar and Allow fills with source dev",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				c.Outbox(1, []controller.OutboxMessage{msg("@localhost #424242", time.Second)}, nil)
				c.Consent(1, true)
			},
			want: []string{"fetch 1 " + outbox, "consent 1 424242 localhost", "hide-consent",
				"set otp 424242", "event otp input", "event otp change",
				"event otp autocomplete code=424242 source=dev", "announce " + controller.Announcement},
		},
		{
			name: "Deny ends the request with NotAllowedError",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				c.Outbox(1, []controller.OutboxMessage{msg("@localhost #424242", 0)}, nil)
				c.Consent(1, false)
				c.Consent(1, true)
			},
			want: []string{"fetch 1 " + outbox, "consent 1 424242 localhost", "hide-consent",
				"event otp webotp:error message=The user denied the one-time code. name=NotAllowedError"},
		},
		{
			name: "messages for other hosts or sent before the page loaded are skipped and polling goes on every second",
			host: "127.0.0.1",
			run: func(p *page, c *controller.Controller) {
				c.Outbox(1, []controller.OutboxMessage{
					msg("@localhost #1", time.Second),
					msg("@127.0.0.1 #2", -3*time.Second),
					msg("no code here", time.Second),
				}, nil)
				p.advance(999 * time.Millisecond)
				p.logf("999ms")
				p.advance(time.Millisecond)
				c.Outbox(1, []controller.OutboxMessage{msg("@127.0.0.1 #3", -controller.DevSkew)}, nil)
			},
			want: []string{"fetch 1 " + outbox, "999ms", "fetch 1 " + outbox, "consent 1 3 127.0.0.1"},
		},
		{
			name: "a message sent before the page loaded is never offered, even to a request started much later",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				old := msg("@localhost #7", -controller.DevSkew-time.Millisecond)
				c.Abort(nil)
				p.advance(time.Minute)
				c.Receive(p.inputs[0], 0, &waiter{})
				c.Outbox(2, []controller.OutboxMessage{old}, nil)
				p.advance(time.Second)
				c.Outbox(2, []controller.OutboxMessage{msg("@localhost #8", 30*time.Second), old}, nil)
			},
			want: []string{"fetch 1 " + outbox, "cancel 1 api", "event otp webotp:abort reason=api",
				"fetch 2 " + outbox, "fetch 2 " + outbox, "consent 2 8 localhost"},
		},
		{
			name: "a failing outbox read is reported once and polling goes on",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				c.Outbox(1, nil, errors.New("offline"))
				p.advance(time.Second)
				c.Outbox(1, nil, errors.New("offline"))
			},
			want: []string{"fetch 1 " + outbox,
				"event otp webotp:error message=webotp: dev outbox: offline name=NetworkError",
				"fetch 1 " + outbox},
		},
		{
			name: "a message already offered is not offered to the next request",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				m := []controller.OutboxMessage{msg("@localhost #5", 0)}
				c.Outbox(1, m, nil)
				c.Abort(nil)
				c.Receive(p.inputs[0], 0, &waiter{})
				c.Outbox(2, m, nil)
			},
			want: []string{"fetch 1 " + outbox, "consent 1 5 localhost", "hide-consent", "cancel 1 api", "event otp webotp:abort reason=api", "fetch 2 " + outbox},
		},
		{
			name: "the timeout stops polling and hides the consent bar",
			host: "localhost",
			run: func(p *page, c *controller.Controller) {
				c.Outbox(1, []controller.OutboxMessage{msg("@localhost #5", 0)}, nil)
				p.advance(controller.DefaultTimeout)
				p.advance(time.Minute)
			},
			want: []string{"fetch 1 " + outbox, "consent 1 5 localhost", "hide-consent", "cancel 1 timeout", "event otp webotp:abort reason=timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(newInput("otp"))
			p.host = tt.host
			c := newController(p, attrs{"data-dev-outbox": outbox})
			c.Start(controller.Record{})
			if tt.run != nil {
				tt.run(p, c)
			}
			if got := p.take(); !slices.Equal(got, tt.want) {
				t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestStartTakesOverTheLoadersRecord runs Start with what the loader did
// before the binding ran (its get() for inputs[0], pending or ended) and
// what happens next.
func TestStartTakesOverTheLoadersRecord(t *testing.T) {
	fill := func(el, code string) []string {
		return []string{"set " + el + " " + code, "event " + el + " input", "event " + el + " change",
			"event " + el + " autocomplete code=" + code + " source=webotp", "announce " + controller.Announcement}
	}
	tests := []struct {
		name    string
		script  attrs
		inputs  []*input
		focused int  // index into inputs of the focused one; 0 for none
		noGet   bool // the loader made no get()
		started time.Duration
		ended   string
		hidden  bool
		run     func(p *page, c *controller.Controller)
		want    []string
	}{
		{
			name:   "a pending get becomes the request without a second get, and its code fills",
			inputs: []*input{newInput("otp")},
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   append([]string{"adopt 1"}, fill("otp", "123456")...),
		},
		{
			name:    "its timeout counts from when the loader called get",
			inputs:  []*input{newInput("otp", "data-timeout", "10")},
			started: -4 * time.Second,
			run: func(p *page, c *controller.Controller) {
				p.advance(5999 * time.Millisecond)
				p.logf("5999ms")
				p.advance(time.Millisecond)
			},
			want: []string{"adopt 1", "5999ms", "cancel 1 timeout", "event otp webotp:abort reason=timeout"},
		},
		{
			name:    "it follows the target focused while the wasm loaded",
			inputs:  []*input{newInput("first"), newInput("second")},
			focused: 1,
			run:     func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:    append([]string{"adopt 1"}, fill("second", "123456")...),
		},
		{
			name: "an input disabled or filled by now hands it to the first eligible target",
			inputs: []*input{
				{name: "disabled", attrs: map[string]string{}, connected: true, disabled: true},
				{name: "typed", attrs: map[string]string{}, connected: true, value: "12"},
				newInput("empty"),
			},
			run:  func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want: append([]string{"adopt 1"}, fill("empty", "123456")...),
		},
		{
			name:   "with no eligible target it is cancelled without webotp:abort, and a later target gets a new one",
			inputs: []*input{{name: "disabled", attrs: map[string]string{}, connected: true, disabled: true}},
			run: func(p *page, c *controller.Controller) {
				c.Resolved(1, "123456")
				p.logf("enabled")
				p.inputs[0].disabled = false
				c.Mutated()
			},
			want: []string{"adopt 1", "cancel 1 unused", "enabled", "get 2"},
		},
		{
			name:   "an input removed before the loader saw it ends it with reason removed, and the next target is armed",
			inputs: []*input{{name: "gone", attrs: map[string]string{}}, newInput("next")},
			want: []string{"adopt 1", "cancel 1 removed", "event document webotp:abort input=gone reason=removed",
				"event gone webotp:abort input=gone reason=removed", "get 2"},
		},
		{
			name:   "under dev emulation it is cancelled and the outbox is polled instead",
			script: attrs{"data-dev-outbox": "/dev/outbox"},
			inputs: []*input{newInput("otp")},
			want:   []string{"adopt 1", "cancel 1 unused", "fetch 2 /dev/outbox"},
		},
		{
			name:   "a submit before the binding ran leaves the input unarmed until it is focused empty",
			inputs: []*input{newInput("otp")},
			ended:  "submit",
			run: func(p *page, c *controller.Controller) {
				c.Mutated()
				p.logf("focus")
				c.Focused(p.inputs[0])
			},
			want: []string{"focus", "get 1"},
		},
		{
			name:   "pagehide with no pageshow since arms nothing until the page shows again",
			inputs: []*input{newInput("otp")},
			ended:  "hidden",
			hidden: true,
			run: func(p *page, c *controller.Controller) {
				c.Mutated()
				c.Focused(p.inputs[0])
				p.logf("shown")
				c.Shown()
			},
			want: []string{"shown", "get 1"},
		},
		{
			name:   "pagehide followed by pageshow arms at once",
			inputs: []*input{newInput("otp")},
			ended:  "hidden",
			want:   []string{"get 1"},
		},
		{
			name:   "a removal arms the next target at once, with no second webotp:abort",
			inputs: []*input{{name: "gone", attrs: map[string]string{}}, newInput("next")},
			ended:  "removed",
			run:    func(p *page, c *controller.Controller) { c.Resolved(1, "123456") },
			want:   append([]string{"get 1"}, fill("next", "123456")...),
		},
		{
			name:   "a page hidden before any target appeared arms nothing until it shows again",
			inputs: []*input{newInput("otp")},
			noGet:  true,
			hidden: true,
			run: func(p *page, c *controller.Controller) {
				p.logf("shown")
				c.Shown()
			},
			want: []string{"shown", "get 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(tt.inputs...)
			p.host = "localhost"
			if tt.focused > 0 {
				p.focused = tt.inputs[tt.focused]
			}
			c := newController(p, tt.script)
			rec := controller.Record{Input: p.inputs[0], Started: p.Now() + tt.started.Milliseconds(), Ended: tt.ended, Hidden: tt.hidden}
			if tt.noGet {
				rec = controller.Record{Hidden: tt.hidden}
			}
			c.Start(rec)
			if tt.run != nil {
				tt.run(p, c)
			}
			if got := p.take(); !slices.Equal(got, tt.want) {
				t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
