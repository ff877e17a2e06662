//go:build js && wasm

package main

import (
	"errors"

	"github.com/hack-pad/safejs"
	"github.com/webotp/webotp/wasm/controller"
)

// Targets returns every target input in document order.
func (b *binding) Targets() []controller.Element {
	var out []controller.Element
	b.each(selector, func(v safejs.Value) { out = append(out, b.elem(v, true)) })
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

// Now returns Date.now() (time.Now would link time's time-zone code).
func (b *binding) Now() int64 {
	return int64(num(call(get(b.win, "Date"), "now")))
}

// After calls f after ms milliseconds through setTimeout.
func (b *binding) After(ms int64, f func()) func() { return b.after(ms, f) }

// credentialOptions builds {otp: {transport: ["sms"]}, signal}. The
// object comes from JSON.parse of a constant: building it from Go maps
// and slices costs ~1 KB of wasm.
func (b *binding) credentialOptions(signal safejs.Value) safejs.Value {
	o := b.json(`{"otp":{"transport":["sms"]}}`)
	set(o, "signal", signal)
	return o
}

// Get starts navigator.credentials.get({otp}) for request id.
func (b *binding) Get(id int) {
	reject := func(name, msg string) { b.c.Rejected(id, name, msg) }
	creds := get(get(b.win, "navigator"), "credentials")
	if !isObject(creds) {
		reject("NotSupportedError", "WebOTP is not available: navigator.credentials is missing")
		return
	}
	ctl, err := newObj(get(b.win, "AbortController"))
	if err != nil {
		reject(jsErr(err))
		return
	}
	p, err := callErr(creds, "get", b.credentialOptions(get(ctl, "signal")))
	if err != nil {
		reject(jsErr(err))
		return
	}
	b.watch(id, ctl, p)
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

// Fetch reads the dev outbox at url (relative to the loader's URL).
func (b *binding) Fetch(id int, url string) {
	done := func(msgs []controller.OutboxMessage, err error) { b.c.Outbox(id, msgs, err) }
	failed := func(v safejs.Value) {
		name, msg := errorName(v)
		done(nil, errors.New(name+": "+msg))
	}
	abs := b.resolve(url)
	p, err := callErr(b.win, "fetch", abs, map[string]any{"cache": "no-store", "credentials": "omit"})
	if err == nil {
		err = b.then(p, func(resp safejs.Value) {
			if !truthy(get(resp, "ok")) {
				done(nil, errors.New("GET "+abs+": HTTP "+str(call(get(resp, "status"), "toString"))))
				return
			}
			body, err := callErr(resp, "json")
			if err == nil {
				err = b.then(body, func(list safejs.Value) { done(outboxMessages(b.win, list)) }, failed)
			}
			if err != nil {
				done(nil, err)
			}
		}, failed)
	}
	if err != nil {
		done(nil, err)
	}
}

// resolve makes url absolute against the loader's own URL.
func (b *binding) resolve(url string) string {
	base := any(b.src)
	if b.src == "" {
		base = get(get(b.doc, "location"), "href")
	}
	u, err := newObj(get(b.win, "URL"), url, base)
	if s := str(get(u, "href")); err == nil && s != "" {
		return s
	}
	return url
}

// outboxMessages reads GET /dev/outbox's JSON array:
// [{"to", "body", "verification_id", "sent_at" (RFC 3339)}].
func outboxMessages(win, list safejs.Value) ([]controller.OutboxMessage, error) {
	if !truthy(call(get(win, "Array"), "isArray", list)) {
		return nil, errors.New("dev outbox: not a JSON array")
	}
	date := get(win, "Date")
	n := int(num(get(list, "length")))
	out := make([]controller.OutboxMessage, 0, n)
	for i := 0; i < n; i++ {
		m := call(list, "at", i)
		ms := num(call(date, "parse", str(get(m, "sent_at"))))
		if !isObject(m) || ms == 0 {
			continue
		}
		out = append(out, controller.OutboxMessage{Body: str(get(m, "body")), SentAt: int64(ms)})
	}
	return out, nil
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
	return b.fire(target, typ, detail, typ == "autocomplete")
}

// RequestSubmit submits el's form the way a submit button would (never
// form.submit(), which skips validation and submit handlers).
func (b *binding) RequestSubmit(el controller.Element) {
	form := get(el.(*element).v, "form")
	if isObject(form) && get(form, "requestSubmit").Type() == safejs.TypeFunction {
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
