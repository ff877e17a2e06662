package controller

import (
	"slices"
	"time"

	"github.com/webotp/webotp/otpmsg"
)

// Announcement is what the live region says after a fill.
const Announcement = "Verification code filled in"

// PollInterval is how often dev emulation reads the outbox while a
// request is pending.
const PollInterval = time.Second

// DevSkew is how much earlier than the page's load a dev outbox message
// may be stamped and still be offered: the verifier's clock and the
// page's may differ a little. Older messages belong to another page
// load (another tab, an earlier test) and are never offered.
const DevSkew = 2 * time.Second

// Element is one input as the binding sees it. Implementations must be
// comparable and stable (the binding hands out one pointer per DOM
// node), since the controller keys its state by them.
type Element interface {
	Attrs
	// Connected reports whether the element is in the document.
	Connected() bool
	// Usable reports whether the element is neither disabled nor read-only.
	Usable() bool
	// Value returns the element's current value.
	Value() string
	// MaxLength returns the element's maxlength; 0 or less means none.
	MaxLength() int
}

// Detail is the detail of a CustomEvent; nil means a plain Event.
type Detail map[string]any

// DOM is everything the controller needs from the page. The binding
// implements it on safejs; tests implement it on a fake page.
// Asynchronous operations report back through the Controller's methods
// with the request id they were given; late answers are ignored.
type DOM interface {
	// Targets returns every target input in document order.
	Targets() []Element
	// Focused returns the focused element, or nil.
	Focused() Element
	// Hostname returns location.hostname.
	Hostname() string
	// TopHost returns the hostname of the top-level document (this
	// document's own at top level). ok is false for a framed document that
	// cannot learn it (no location.ancestorOrigins) or whose chain of
	// frames holds a third host, where Chromium refuses WebOTP.
	TopHost() (host string, ok bool)
	// Now returns the current time in Unix milliseconds (Date.now()). Not
	// a time.Time: a time.Time in this interface links time's formatting
	// code into the wasm (tens of KB).
	Now() int64
	// After calls f once after ms milliseconds unless stop is called
	// first. (Milliseconds, not a time.Duration: a Duration in this
	// interface links Duration.String into the wasm.)
	After(ms int64, f func()) (stop func())
	// Get starts navigator.credentials.get({otp}); the outcome arrives
	// through Resolved or Rejected.
	Get(id int)
	// Adopt makes the get() the loader started before the binding ran
	// request id's; the outcome arrives through Resolved or Rejected.
	Adopt(id int)
	// Cancel aborts what Get or Adopt started (its AbortController).
	Cancel(id int, reason string)
	// Fetch reads the dev outbox at url; the outcome arrives through Outbox.
	Fetch(id int, url string)
	// ShowConsent shows the dev consent bar; the answer arrives through Consent.
	ShowConsent(id int, code, host string)
	// HideConsent removes the consent bar.
	HideConsent()
	// SetValue sets the value through HTMLInputElement's native setter.
	SetValue(el Element, value string)
	// Dispatch fires a bubbling event of type typ on el (the document
	// when el is nil): a CustomEvent when detail is not nil. It reports
	// false when a listener cancelled it.
	Dispatch(el Element, typ string, detail Detail) bool
	// Announce says msg through the polite live region.
	Announce(msg string)
	// RequestSubmit calls el.form.requestSubmit() when el has a form and
	// form.checkValidity() passes: an invalid form is left alone, without
	// the focus move and message requestSubmit() would show.
	RequestSubmit(el Element)
	// SetValidity calls setCustomValidity(msg) and, when msg is not
	// empty, reportValidity().
	SetValidity(el Element, msg string)
}

// Waiter receives the outcome of a window.webotp.receive() call.
type Waiter interface {
	Resolve(code string)
	Reject(name, message string)
}

// ParseFunc reads a whole SMS message by Chromium's rules (otpmsg).
type ParseFunc func(msg string) (host, code, embeddedHost string, ok bool)

// OutboxMessage is one message of the verifier's /dev/outbox.
type OutboxMessage struct {
	Body string
	// SentAt is when the verifier sent it, in Unix milliseconds.
	SentAt int64
}

// Config holds what the controller cannot read from the DOM interface.
type Config struct {
	// Script is the loader's script tag (defaults for every input); may be nil.
	Script Attrs
	// Parse reads pasted and dev-outbox messages.
	Parse ParseFunc
	// Loaded is when the page loaded (the loader first ran), in Unix
	// milliseconds: dev emulation offers only messages sent after it
	// (less DevSkew).
	Loaded int64
}

// PasteResult tells the binding what to do with a paste event.
type PasteResult int

const (
	// PasteDefault lets the browser paste as usual.
	PasteDefault PasteResult = iota
	// PasteHandled means the controller filled or refused: prevent the default.
	PasteHandled
	// PasteInsert means: prevent the default and insert the normalised text
	// at the selection, then fire an input event.
	PasteInsert
)

// Controller decides which input receives the one pending request of
// the document, when requests start and end, and what a code, a paste
// or a page event does. It is not safe for concurrent use; the binding
// calls it from JavaScript callbacks only, which may nest (an event the
// controller dispatches can call back into it).
type Controller struct {
	dom  DOM
	cfg  Config
	last int
	req  *request
	// done holds inputs whose request ended, and the inputs present when
	// another was filled: they are not armed again by mutations, only as
	// wake says.
	done map[Element]endState
	// invalid holds inputs showing a refusal message, with the value they
	// had then: the message stays until the value changes.
	invalid map[Element]string
	// hidden is set between pagehide and pageshow.
	hidden  bool
	filling bool
	submits int
	// offered holds dev messages already shown in a consent bar.
	offered map[offer]bool
	// lastSubmitEl and lastSubmitAt guard against submitting twice.
	lastSubmitEl Element
	lastSubmitAt int64 // Unix milliseconds
}

// endState is how an input's request ended (Controller.done).
type endState uint8

const (
	// ended: timed out, submitted, aborted, or another input was filled.
	ended endState = iota
	// filled: a code was put in; found empty again, it wants a new one.
	filled
	// failed: refused by the browser, denied, or a code that did not
	// fit: only receive() arms the input again.
	failed
)

type offer struct {
	body string
	at   int64
}

// request is the document's one pending request.
type request struct {
	id int
	el Element
	// autosubmit and outbox are the Options that matter once a request
	// runs. (Not the Options: its time.Duration, reachable from the DOM
	// interface, would link Duration.String into the wasm.)
	autosubmit bool
	outbox     string
	dev        bool
	stop       func()
	poll       func()
	consent    bool
	code       string
	netErr     bool
	waiter     Waiter
}

// New returns a controller driving dom. Call Start once the binding's
// listeners are in place.
func New(dom DOM, cfg Config) *Controller {
	return &Controller{
		dom:     dom,
		cfg:     cfg,
		done:    map[Element]endState{},
		invalid: map[Element]string{},
		offered: map[offer]bool{},
	}
}

// Options returns el's options: the script tag's defaults with el's
// attributes applied.
func (c *Controller) Options(el Element) Options {
	var in Attrs
	if el != nil {
		in = el
	}
	return ResolveOptions(c.cfg.Script, in)
}

// Pending returns the input the pending request is for, or nil.
func (c *Controller) Pending() Element {
	if c.req == nil {
		return nil
	}
	return c.req.el
}

// Record is what the loader did before the binding ran. The loader runs
// before the wasm: it calls navigator.credentials.get itself for the first
// target input it sees, ends that request on a submit of its form, its
// removal or pagehide (firing webotp:abort), and records what happened. It
// decides nothing else; Start decides what the record means.
type Record struct {
	// Input is the input the loader's get() is for; nil when it made none.
	Input Element
	// Started is when the loader called get(), in Unix milliseconds.
	Started int64
	// Ended says why the loader ended its get(): "submit", "removed" or
	// "hidden"; "" while the get() is pending.
	Ended string
	// Hidden reports a pagehide the loader saw without a pageshow since.
	Hidden bool
}

// Start takes over from the loader once the binding's listeners are in
// place, and arms the document's request. What the loader did means the
// same as if the binding had seen it: a get() still pending is adopted as
// the document's one request rather than starting another (which would
// cancel it); an input whose request ended on "submit" is not armed
// again by mutations; a hidden page arms nothing until Shown.
func (c *Controller) Start(rec Record) {
	c.hidden = rec.Hidden
	if el := rec.Input; el != nil {
		switch rec.Ended {
		case "":
			c.adopt(el, rec.Started)
		case "submit":
			c.done[el] = ended
		}
	}
	c.Mutated()
}

// adopt makes the get() the loader started for el at started (Unix
// milliseconds) the pending request: arming now, with that get() instead
// of a new one. It goes where arm would put a new one (the focused
// eligible target, else el when eligible, else the first eligible
// target); its timeout counts from started, and when el has left the
// document already it ends at once ("removed"). With no such target, on a
// hidden page, or where the target is under dev emulation (which has no
// real get()), the get() is cancelled without webotp:abort (reason
// "unused"): nobody asked for it.
func (c *Controller) adopt(el Element, started int64) {
	to := el // removed before the loader saw it: Start's Mutated ends it ("removed")
	if el.Connected() {
		to = c.route(el)
	}
	if to != nil && !c.hidden {
		if o := c.Options(to); !c.devFor(o) {
			c.begin(to, o, nil, started)
			return
		}
	}
	c.last++
	c.dom.Adopt(c.last)
	c.dom.Cancel(c.last, "unused")
}

// Mutated tells the controller the document changed: a removed target
// ends its request with reason "removed", a filled input found empty
// again (the app cleared it for a resend) is armed again, and a new
// target is armed.
func (c *Controller) Mutated() {
	if r := c.req; r != nil && !r.el.Connected() {
		c.abort(r, "removed")
	}
	for el, st := range c.done {
		if !el.Connected() {
			delete(c.done, el)
		} else if st == filled && el.Value() == "" {
			c.wake(el)
		}
	}
	for el := range c.invalid {
		if !el.Connected() {
			delete(c.invalid, el)
		}
	}
	c.arm()
}

// Focused tells the controller el received focus: an automatic request
// follows the focused eligible target, and an empty target whose request
// ended is armed again.
func (c *Controller) Focused(el Element) { c.wake(el) }

// Input tells the controller el's value may have changed (an input
// event, trusted or not): a refusal message shown after a paste is
// cleared once the value really changed, and an input emptied after its
// request ended is armed again.
func (c *Controller) Input(el Element) {
	if c.filling {
		return
	}
	if v, ok := c.invalid[el]; ok && el.Value() != v {
		delete(c.invalid, el)
		c.dom.SetValidity(el, "")
	}
	if el.Value() == "" {
		c.wake(el)
	}
}

// wake makes el, when it is empty and its request did not fail, eligible
// again, and gives it the automatic request: the one pending follows it,
// or a new one starts. A request thus belongs to the input the user or
// the app points at, never to another that was merely present.
func (c *Controller) wake(el Element) {
	if st, ok := c.done[el]; ok && st != failed && el.Value() == "" {
		delete(c.done, el)
	}
	if !c.eligible(el) {
		return
	}
	if r := c.req; r != nil {
		if r.waiter == nil {
			r.el = el
			r.autosubmit = c.Options(el).Autosubmit
		}
		return
	}
	if !c.hidden {
		c.begin(el, c.Options(el), nil, 0)
	}
}

// Submit tells the controller a form was submitted; owns reports
// whether an input belongs to that form. The pending request of an
// input in that form ends with reason "submit".
func (c *Controller) Submit(owns func(Element) bool) {
	c.submits++
	if r := c.req; r != nil && owns(r.el) {
		c.abort(r, "submit")
		c.done[r.el] = ended
	}
}

// Hidden tells the controller the page is being hidden (pagehide): the
// pending request ends with reason "hidden" and nothing is armed until
// Shown.
func (c *Controller) Hidden() {
	c.hidden = true
	if r := c.req; r != nil {
		c.abort(r, "hidden")
	}
}

// Shown tells the controller the page is shown again (pageshow, or
// visible again): a request is armed again.
func (c *Controller) Shown() {
	if !c.hidden {
		return
	}
	c.hidden = false
	c.arm()
}

// Receive starts a request for el on behalf of window.webotp.receive,
// ending any other request with reason "api". timeout 0 means el's
// data-timeout (or the default).
func (c *Controller) Receive(el Element, timeout time.Duration, w Waiter) {
	if r := c.req; r != nil {
		c.abort(r, "api")
	}
	o := c.Options(el)
	if timeout > 0 {
		o.Timeout = timeout
	}
	delete(c.done, el)
	c.begin(el, o, w, 0)
}

// Abort ends the pending request with reason "api" when it is for el,
// or whatever it is for when el is nil.
func (c *Controller) Abort(el Element) {
	r := c.req
	if r == nil || (el != nil && r.el != el) {
		return
	}
	c.abort(r, "api")
	c.done[r.el] = ended
}

// Resolved delivers the code navigator.credentials.get resolved with.
func (c *Controller) Resolved(id int, code string) {
	if r := c.current(id); r != nil {
		c.fill(r, code, "webotp")
	}
}

// Rejected delivers navigator.credentials.get's rejection: the request
// ends and webotp:error reports it. Rejections of requests the
// controller already ended (its own aborts) are ignored.
func (c *Controller) Rejected(id int, name, message string) {
	r := c.current(id)
	if r == nil {
		return
	}
	c.end(r)
	c.fail(r.el, r.waiter, name, message)
}

// Outbox delivers one read of the dev outbox (newest message first) or
// the error reading it. A message for this host, sent after the page
// loaded (less DevSkew) and not offered before, is shown in the consent
// bar; otherwise polling goes on.
func (c *Controller) Outbox(id int, msgs []OutboxMessage, err error) {
	r := c.current(id)
	if r == nil || r.consent {
		return
	}
	if err != nil && !r.netErr {
		r.netErr = true
		c.dom.Dispatch(r.el, "webotp:error", Detail{"name": "NetworkError", "message": "webotp: dev outbox: " + err.Error()})
	}
	since := c.cfg.Loaded - DevSkew.Milliseconds()
	for _, m := range msgs {
		k := offer{m.Body, m.SentAt}
		if k.at < since || c.offered[k] {
			continue
		}
		h, code, embedded, ok := c.parse(m.Body)
		if !ok || !c.accepts(h, embedded) {
			continue
		}
		c.offered[k] = true
		r.consent, r.code = true, code
		c.dom.ShowConsent(r.id, code, h)
		return
	}
	r.poll = c.dom.After(PollInterval.Milliseconds(), func() {
		if c.current(id) == r && !r.consent {
			r.poll = nil
			c.dom.Fetch(id, r.outbox)
		}
	})
}

// Consent delivers the answer to the dev consent bar: Allow fills the
// code (source "dev"); Deny ends the request with a NotAllowedError.
func (c *Controller) Consent(id int, allow bool) {
	r := c.current(id)
	if r == nil || !r.consent {
		return
	}
	if allow {
		c.fill(r, r.code, "dev")
		return
	}
	c.end(r)
	c.fail(r.el, r.waiter, "NotAllowedError", "The user denied the one-time code.")
}

// Paste decides what a paste of text into el does. A whole SMS for this
// host fills its code (source "paste"); one for another host is refused
// with a validity message; a code otpmsg.NormalizeCode accepts goes in
// normalised (the verifier accepts exactly the same inputs); anything else
// pastes as usual.
func (c *Controller) Paste(el Element, text string) (PasteResult, string) {
	if c.Options(el).Off {
		return PasteDefault, ""
	}
	if host, code, embedded, ok := c.parse(text); ok {
		if !c.accepts(host, embedded) {
			c.invalid[el] = el.Value()
			if embedded != "" {
				host = embedded + " in " + host
			}
			c.dom.SetValidity(el, "This code is for "+host+", not this site.")
			return PasteHandled, ""
		}
		autosubmit, w := c.Options(el).Autosubmit, Waiter(nil)
		if r := c.req; r != nil && r.el == el {
			c.end(r)
			c.dom.Cancel(r.id, "paste")
			autosubmit, w = r.autosubmit, r.waiter
		}
		c.deliver(el, code, "paste", autosubmit, w)
		return PasteHandled, ""
	}
	if n, err := otpmsg.NormalizeCode(text); err == nil && n != text {
		return PasteInsert, n
	}
	return PasteDefault, ""
}

// Parse reads a whole SMS message by Chromium's rules.
func (c *Controller) Parse(msg string) (host, code, embeddedHost string, ok bool) {
	return c.parse(msg)
}

func (c *Controller) parse(msg string) (host, code, embeddedHost string, ok bool) {
	if c.cfg.Parse == nil {
		return "", "", "", false
	}
	return c.cfg.Parse(msg)
}

// accepts reports whether a message bound to host, and embedded (its
// iframe host, or ""), is for this document, as Chromium routes
// messages: a document whose top-level document has its host takes
// "@host #code" naming it; a document framed by another host takes only
// "@top #code @host" naming the real top-level host (TopHost) and its
// own. A framed document that cannot learn its top-level host takes
// nothing.
func (c *Controller) accepts(host, embedded string) bool {
	here := lowerASCII(c.dom.Hostname())
	top, ok := c.dom.TopHost()
	if !ok {
		return false
	}
	if top == here {
		return host == here && embedded == ""
	}
	return host == top && embedded == here
}

// current returns the pending request when its id is id.
func (c *Controller) current(id int) *request {
	if c.req == nil || c.req.id != id {
		return nil
	}
	return c.req
}

// eligible reports whether el may receive an automatic request:
// connected, enabled, empty, not off and not done.
func (c *Controller) eligible(el Element) bool {
	_, done := c.done[el]
	return el != nil && !done && el.Connected() && el.Usable() && el.Value() == "" && !c.Options(el).Off
}

// route picks the target for an automatic request: the focused eligible
// target, else prefer when it is eligible, else the first eligible one in
// document order.
func (c *Controller) route(prefer Element) Element {
	targets := c.dom.Targets()
	if f := c.dom.Focused(); f != nil && c.eligible(f) && slices.Contains(targets, f) {
		return f
	}
	if prefer != nil && c.eligible(prefer) {
		return prefer
	}
	for _, el := range targets {
		if c.eligible(el) {
			return el
		}
	}
	return nil
}

// arm starts an automatic request when none is pending.
func (c *Controller) arm() {
	if c.req != nil || c.hidden {
		return
	}
	if el := c.route(nil); el != nil {
		c.begin(el, c.Options(el), nil, 0)
	}
}

// devFor reports whether a request with options o is emulated.
func (c *Controller) devFor(o Options) bool {
	return o.DevOutbox != "" && IsLoopback(c.dom.Hostname())
}

// begin makes a request for el the pending one. adopted is when the
// loader started it (Unix milliseconds), 0 for a new one.
func (c *Controller) begin(el Element, o Options, w Waiter, adopted int64) {
	c.last++
	now := c.dom.Now()
	r := &request{
		id:         c.last,
		el:         el,
		autosubmit: o.Autosubmit,
		outbox:     o.DevOutbox,
		dev:        adopted == 0 && c.devFor(o),
		waiter:     w,
	}
	c.req = r
	timeout := o.Timeout
	if adopted > 0 && adopted < now {
		timeout -= time.Duration(now-adopted) * time.Millisecond
	}
	r.stop = c.dom.After(max(timeout, 0).Milliseconds(), func() {
		if c.current(r.id) == r {
			c.abort(r, "timeout")
			c.done[r.el] = ended
		}
	})
	switch {
	case adopted > 0:
		c.dom.Adopt(r.id)
	case r.dev:
		c.dom.Fetch(r.id, o.DevOutbox)
	default:
		c.dom.Get(r.id)
	}
}

// end forgets r and stops its timers and consent bar.
func (c *Controller) end(r *request) {
	if c.req == r {
		c.req = nil
	}
	if r.stop != nil {
		r.stop()
	}
	if r.poll != nil {
		r.poll()
	}
	if r.consent {
		c.dom.HideConsent()
	}
}

// abort ends r, cancels its get() and fires webotp:abort.
func (c *Controller) abort(r *request, reason string) {
	c.end(r)
	c.dom.Cancel(r.id, reason)
	d := Detail{"reason": reason}
	if reason == "removed" {
		// A removed input's events no longer reach the document: the
		// document gets its own, naming the input. (The loader does the
		// same for its own request before the binding runs.)
		d["input"] = r.el
		c.dom.Dispatch(nil, "webotp:abort", d)
	}
	c.dom.Dispatch(r.el, "webotp:abort", d)
	if r.waiter != nil {
		name := "AbortError"
		if reason == "timeout" {
			name = "TimeoutError"
		}
		r.waiter.Reject(name, "webotp: request aborted: "+reason)
	}
}

// fail reports a failed request for el: webotp:error, w rejected, and
// el not armed again but by receive().
func (c *Controller) fail(el Element, w Waiter, name, message string) {
	c.done[el] = failed
	c.dom.Dispatch(el, "webotp:error", Detail{"name": name, "message": message})
	if w != nil {
		w.Reject(name, message)
	}
}

// fill ends r with the code it received. The other targets present are
// not armed by the mutations that follow: the next code most likely
// belongs to this input again (a resend, once it is emptied), or to the
// one the user focuses.
func (c *Controller) fill(r *request, code, source string) {
	c.end(r)
	for _, el := range c.dom.Targets() {
		if _, ok := c.done[el]; !ok {
			c.done[el] = ended
		}
	}
	c.deliver(r.el, code, source, r.autosubmit, r.waiter)
}

// deliver puts code into el and resolves w. A code longer than el's
// maxlength is reported (webotp:error ConstraintError) rather than put in:
// the page (or a component such as input-otp) would cut it to a wrong
// code.
func (c *Controller) deliver(el Element, code, source string, autosubmit bool, w Waiter) {
	if m := el.MaxLength(); m > 0 && len(code) > m { // bytes: webotp sends ASCII digits
		c.fail(el, w, "ConstraintError", "webotp: the code is longer than the input's maxlength")
		return
	}
	c.done[el] = filled
	c.put(el, code, source, autosubmit)
	if w != nil {
		w.Resolve(code)
	}
}

// put writes code into el the way a person typing it would be seen by
// any framework, announces it, and submits the form when asked to and
// nobody else did (a listener of the fill's events may have submitted
// already, or cancelled the autocomplete event).
func (c *Controller) put(el Element, code, source string, autosubmit bool) {
	before := c.submits
	c.filling = true
	c.dom.SetValue(el, code)
	c.dom.Dispatch(el, "input", nil)
	c.dom.Dispatch(el, "change", nil)
	wanted := c.dom.Dispatch(el, "autocomplete", Detail{"code": code, "source": source})
	c.filling = false
	if _, ok := c.invalid[el]; ok {
		delete(c.invalid, el)
		c.dom.SetValidity(el, "")
	}
	c.dom.Announce(Announcement)
	if !autosubmit || !wanted || c.submits != before || !el.Connected() {
		return
	}
	now := c.dom.Now()
	if c.lastSubmitEl == el && now-c.lastSubmitAt < 2000 {
		return
	}
	c.lastSubmitEl, c.lastSubmitAt = el, now
	c.dom.RequestSubmit(el)
}
