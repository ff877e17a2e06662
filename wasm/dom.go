//go:build js && wasm

package main

import (
	"errors"

	"github.com/hack-pad/safejs"
	"github.com/webotp/webotp/wasm/controller"
)

// Targets returns every input the loader's selector matches, in
// document order.
func (b *binding) Targets() []controller.Element {
	var out []controller.Element
	list := call(b.doc, "querySelectorAll", b.sel)
	for i := 0; i < int(num(get(list, "length"))); i++ {
		out = append(out, b.elem(call(list, "item", i), true))
	}
	return out
}

// Focused returns the focused element when it is a target input.
func (b *binding) Focused() controller.Element {
	if e := b.target(get(b.doc, "activeElement")); e != nil {
		return e
	}
	return nil
}

// Hostname returns location.hostname.
func (b *binding) Hostname() string { return str(get(get(b.win, "location"), "hostname")) }

// TopHost returns the loader's handoff.top(): the top-level document's
// hostname, or null when this framed document cannot tell.
func (b *binding) TopHost() (string, bool) {
	v := call(b.handoff, "top")
	return str(v), v.Type() == safejs.TypeString
}

// Now returns Date.now() (time.Now would link time's time-zone code).
func (b *binding) Now() int64 {
	return int64(num(call(get(b.win, "Date"), "now")))
}

// After calls f after ms milliseconds through setTimeout.
func (b *binding) After(ms int64, f func()) func() { return b.after(ms, f) }

// Get starts navigator.credentials.get({otp: {transport: ["sms"]},
// signal}) for request id through the loader's handoff.get, the same call
// the loader makes for its early request.
func (b *binding) Get(id int) {
	r, err := callErr(b.handoff, "get")
	if err != nil {
		name, msg := jsErr(err)
		b.c.Rejected(id, name, msg)
		return
	}
	b.watch(id, get(r, "ctl"), get(r, "promise"))
}

// Adopt attaches the get() the loader started (handoff.early) to request id.
func (b *binding) Adopt(id int) {
	b.watch(id, get(b.early, "ctl"), get(b.early, "promise"))
}

// watch routes the outcome of request id's get() promise p, which ctl
// aborts, to the controller.
func (b *binding) watch(id int, ctl, p safejs.Value) {
	reject := func(name, msg string) { b.c.Rejected(id, name, msg) }
	b.aborts[id] = ctl
	err := b.then(p, func(cred safejs.Value) {
		delete(b.aborts, id)
		code := get(cred, "code")
		if code.Type() != safejs.TypeString {
			reject("NotSupportedError", "navigator.credentials.get resolved without a code")
			return
		}
		b.c.Resolved(id, str(code))
	}, func(e safejs.Value) {
		delete(b.aborts, id)
		reject(errorName(e))
	})
	if err != nil {
		delete(b.aborts, id)
		reject(jsErr(err))
	}
}

// Cancel aborts request id's get() with an AbortError saying why.
func (b *binding) Cancel(id int, reason string) {
	ctl, ok := b.aborts[id]
	if !ok {
		return
	}
	delete(b.aborts, id)
	why, err := newObj(get(b.win, "DOMException"), "webotp: request aborted: "+reason, "AbortError")
	if err != nil {
		call(ctl, "abort")
		return
	}
	call(ctl, "abort", why)
}

// Fetch reads the dev outbox at url (relative to the loader's URL)
// through the loader's handoff.outbox.
func (b *binding) Fetch(id int, url string) {
	done := func(msgs []controller.OutboxMessage, err error) { b.c.Outbox(id, msgs, err) }
	p, err := callErr(b.handoff, "outbox", url)
	if err == nil {
		err = b.then(p, func(list safejs.Value) { done(outboxMessages(list), nil) }, func(v safejs.Value) {
			name, msg := errorName(v)
			done(nil, errors.New(name+": "+msg))
		})
	}
	if err != nil {
		done(nil, err)
	}
}

// outboxMessages reads what handoff.outbox resolves with: the messages of
// GET /dev/outbox as [body, sent (Unix milliseconds), ...], newest first.
func outboxMessages(list safejs.Value) []controller.OutboxMessage {
	var out []controller.OutboxMessage
	for i := 0; i+1 < int(num(get(list, "length"))); i += 2 {
		out = append(out, controller.OutboxMessage{Body: str(call(list, "at", i)), SentAt: int64(num(call(list, "at", i+1)))})
	}
	return out
}

// SetValue sets the value through the native setter.
func (b *binding) SetValue(el controller.Element, value string) {
	call(b.setter, "call", el.(*element).v, value)
}

// Dispatch fires a bubbling event on el (the document when nil).
func (b *binding) Dispatch(el controller.Element, typ string, detail controller.Detail) bool {
	target := b.doc
	if el != nil {
		target = el.(*element).v
	}
	if e, ok := detail["input"].(*element); ok {
		detail["input"] = e.v
	}
	return b.fire(target, typ, detail, typ == "autocomplete")
}

// RequestSubmit submits el's form the way a submit button would (never
// form.submit(), which skips validation and submit handlers), and only
// when form.checkValidity() passes: requestSubmit() on an invalid form
// would move focus to the first invalid field and show its message while
// the user may be typing elsewhere.
func (b *binding) RequestSubmit(el controller.Element) {
	form := get(el.(*element).v, "form")
	if isObject(form) && get(form, "requestSubmit").Type() == safejs.TypeFunction && truthy(call(form, "checkValidity")) {
		call(form, "requestSubmit")
	}
}

// SetValidity shows or clears a validity message on el.
func (b *binding) SetValidity(el controller.Element, msg string) {
	v := el.(*element).v
	call(v, "setCustomValidity", msg)
	if msg != "" {
		call(v, "reportValidity")
	}
}
