//go:build js && wasm

package main

import (
	"errors"

	"github.com/hack-pad/safejs"
	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/wasm/controller"
)

// binding implements controller.DOM on the page and feeds the
// controller the page's events.
type binding struct {
	win, doc, handoff safejs.Value
	// sel is the loader's selector of target inputs (handoff.sel).
	sel string
	// early is the loader's early request (handoff.early) while Start runs.
	early safejs.Value
	c     *controller.Controller
	// setter is HTMLInputElement.prototype's native value setter.
	setter safejs.Value
	// ids maps DOM elements to element ids (a WeakMap); elems maps them back.
	ids    safejs.Value
	elems  map[int]*element
	nextID int
	// aborts holds the AbortController of each pending get().
	aborts  map[int]safejs.Value
	consent consentBar
	// announce is the loader's handoff.announce.
	announce safejs.Value
	// keep holds the functions that live as long as the page.
	keep []safejs.Func
}

// element is one input; one per DOM node, so pointers compare as nodes do.
type element struct {
	id int
	v  safejs.Value
}

var _ controller.Element = (*element)(nil)
var _ controller.DOM = (*binding)(nil)

// Attr returns the attribute's value and whether it is present.
func (e *element) Attr(name string) (string, bool) { return attr(e.v, name) }

// Connected reports el.isConnected.
func (e *element) Connected() bool { return truthy(get(e.v, "isConnected")) }

// Usable reports that the input is neither disabled nor read-only.
func (e *element) Usable() bool {
	return !truthy(get(e.v, "disabled")) && !truthy(get(e.v, "readOnly"))
}

// Value returns the input's value.
func (e *element) Value() string { return str(get(e.v, "value")) }

// MaxLength returns el.maxLength: -1 when the input has none (0 when
// it is not a number, which the controller reads as none too).
func (e *element) MaxLength() int { return int(num(get(e.v, "maxLength"))) }

// scriptAttrs reads the loader's script tag (which may be missing).
type scriptAttrs struct{ v safejs.Value }

// Attr returns the attribute's value and whether it is present.
func (s scriptAttrs) Attr(name string) (string, bool) { return attr(s.v, name) }

func attr(v safejs.Value, name string) (string, bool) {
	if !isObject(v) {
		return "", false
	}
	a := call(v, "getAttribute", name)
	return str(a), a.Type() == safejs.TypeString
}

func newBinding(win, handoff safejs.Value) (*binding, error) {
	b := &binding{win: win, handoff: handoff, elems: map[int]*element{}, aborts: map[int]safejs.Value{}}
	b.consent.b = b
	b.doc = get(win, "document")
	if !isObject(b.doc) {
		return nil, errors.New("no document")
	}
	if b.sel = str(get(handoff, "sel")); b.sel == "" {
		return nil, errors.New("the loader gave no selector")
	}
	var err error
	if b.ids, err = newObj(get(win, "WeakMap")); err != nil {
		return nil, err
	}
	b.announce = get(handoff, "announce")
	// The native value setter: setting a value through it is seen by
	// frameworks (React) that wrap the instance's own setter.
	proto := get(get(win, "HTMLInputElement"), "prototype")
	b.setter = get(call(get(win, "Object"), "getOwnPropertyDescriptor", proto, "value"), "set")
	if b.setter.Type() != safejs.TypeFunction {
		return nil, errors.New("HTMLInputElement.prototype.value has no setter")
	}
	loaded := int64(num(get(handoff, "t0")))
	if loaded <= 0 {
		loaded = b.Now()
	}
	b.c = controller.New(b, controller.Config{
		Script: scriptAttrs{get(handoff, "script")},
		Loaded: loaded,
		Parse: func(msg string) (string, string, string, bool) {
			o, err := otpmsg.ParseChromium(msg)
			return o.Host, o.Code, o.EmbeddedHost, err == nil
		},
	})
	return b, nil
}

// listen adds f as a listener for typ on target.
func (b *binding) listen(target safejs.Value, typ string, capture bool, f callback) error {
	fn := b.fn(f)
	b.keep = append(b.keep, fn)
	_, err := callErr(target, "addEventListener", typ, fn, capture)
	return err
}

// start listens to the page, hands the controller the loader's record,
// defines the customized built-in and hands window.webotp its
// implementation. Mutations come from the loader's observer, through
// the implementation's mutated.
func (b *binding) start() error {
	listeners := []struct {
		target  safejs.Value
		typ     string
		capture bool
		f       callback
	}{
		{b.doc, "submit", true, b.onSubmit},
		{b.doc, "paste", true, b.onPaste},
		{b.doc, "input", true, b.onInput},
		{b.doc, "focusin", true, b.onFocus},
		{b.doc, "visibilitychange", false, b.onVisibility},
		{b.win, "pagehide", false, func(safejs.Value, []safejs.Value) any { b.c.Hidden(); return nil }},
		{b.win, "pageshow", false, func(safejs.Value, []safejs.Value) any { b.c.Shown(); return nil }},
	}
	for _, l := range listeners {
		if err := b.listen(l.target, l.typ, l.capture, l.f); err != nil {
			return err
		}
	}
	b.handover()
	call(b.handoff, "define") // customized built-in; false where unsupported (Safari)
	_, err := callErr(b.handoff, "ready", b.api())
	return err
}

// handover starts the controller with the loader's record:
// handoff.early ({input, ctl, promise, t, ended}, or undefined when the
// loader made no get()) and handoff.hidden. Adopt reads b.early while
// Start runs.
func (b *binding) handover() {
	b.early = get(b.handoff, "early")
	rec := controller.Record{Hidden: truthy(get(b.handoff, "hidden"))}
	if el := b.elem(get(b.early, "input"), true); el != nil {
		rec.Input = el
		rec.Started = int64(num(get(b.early, "t")))
		rec.Ended = str(get(b.early, "ended"))
	}
	b.c.Start(rec)
	b.early = undefined()
}

// mutated runs for every batch of the loader's MutationObserver once the
// binding runs: targets added, removed or changed.
func (b *binding) mutated(safejs.Value, []safejs.Value) any {
	b.c.Mutated()
	b.prune()
	return nil
}

// prune forgets elements no longer in the document (the controller has
// forgotten them by now), unless a request is pending for them.
func (b *binding) prune() {
	pending := b.c.Pending()
	for id, e := range b.elems {
		if controller.Element(e) != pending && !e.Connected() {
			delete(b.elems, id)
			call(b.ids, "delete", e.v)
		}
	}
}

// elem returns the element for a DOM node, creating it when create is set.
func (b *binding) elem(v safejs.Value, create bool) *element {
	if !isObject(v) {
		return nil
	}
	if id := call(b.ids, "get", v); id.Type() == safejs.TypeNumber {
		if e := b.elems[int(num(id))]; e != nil {
			return e
		}
	}
	if !create {
		return nil
	}
	b.nextID++
	e := &element{id: b.nextID, v: v}
	b.elems[e.id] = e
	call(b.ids, "set", v, e.id)
	return e
}

// target returns the element for a node when it is a target input.
func (b *binding) target(v safejs.Value) *element {
	if !isObject(v) || !truthy(call(v, "matches", b.sel)) {
		return nil
	}
	return b.elem(v, true)
}

// onSubmit tells the controller a form was submitted.
func (b *binding) onSubmit(_ safejs.Value, args []safejs.Value) any {
	form := get(arg(args, 0), "target")
	b.c.Submit(func(el controller.Element) bool {
		v := el.(*element).v
		return get(v, "form").Equal(form) || truthy(call(form, "contains", v))
	})
	return nil
}

func (b *binding) onInput(_ safejs.Value, args []safejs.Value) any {
	if e := b.elem(get(arg(args, 0), "target"), false); e != nil {
		b.c.Input(e)
	}
	return nil
}

func (b *binding) onFocus(_ safejs.Value, args []safejs.Value) any {
	if e := b.target(get(arg(args, 0), "target")); e != nil {
		b.c.Focused(e)
	}
	return nil
}

func (b *binding) onVisibility(safejs.Value, []safejs.Value) any {
	if str(get(b.doc, "visibilityState")) == "visible" {
		b.c.Shown()
	}
	return nil
}

func (b *binding) onPaste(_ safejs.Value, args []safejs.Value) any {
	ev := arg(args, 0)
	e := b.target(get(ev, "target"))
	data := get(ev, "clipboardData")
	if e == nil || !isObject(data) {
		return nil
	}
	text := str(call(data, "getData", "text"))
	if text == "" {
		return nil
	}
	res, insert := b.c.Paste(e, text)
	if res == controller.PasteDefault {
		return nil
	}
	// Handled here: no later paste listener (a component's own, such as
	// input-otp's, which does not check defaultPrevented) inserts text too.
	call(ev, "preventDefault")
	call(ev, "stopImmediatePropagation")
	if res == controller.PasteInsert {
		b.insert(e, insert)
	}
	return nil
}

// insert puts text at the input's selection as a paste would, then
// fires an input event.
func (b *binding) insert(e *element, text string) {
	start, end := get(e.v, "selectionStart"), get(e.v, "selectionEnd")
	ok := start.Type() == safejs.TypeNumber && end.Type() == safejs.TypeNumber
	if ok {
		_, err := callErr(e.v, "setRangeText", text, start, end, "end")
		ok = err == nil
	}
	if !ok { // types without a selection (email): replace the value
		b.SetValue(e, text)
	}
	b.fire(e.v, "input", nil, false)
}

// after runs f once after ms milliseconds on the page's event loop (setTimeout); it
// returns a function that cancels it.
func (b *binding) after(ms int64, f func()) func() {
	done := false
	var cb safejs.Func
	cb = b.fn(func(safejs.Value, []safejs.Value) any {
		if !done {
			done = true
			cb.Release()
			f()
		}
		return nil
	})
	handle, err := callErr(b.win, "setTimeout", cb, ms)
	if err != nil {
		done = true
		cb.Release()
	}
	return func() {
		if !done {
			done = true
			call(b.win, "clearTimeout", handle)
			cb.Release()
		}
	}
}

// fire dispatches a bubbling event (a CustomEvent when detail is not
// nil) on target and reports whether it was not cancelled.
func (b *binding) fire(target safejs.Value, typ string, detail map[string]any, cancelable bool) bool {
	init := map[string]any{"bubbles": true, "cancelable": cancelable}
	ctor := "Event"
	if detail != nil {
		ctor = "CustomEvent"
		init["detail"] = detail
	}
	ev, err := newObj(get(b.win, ctor), typ, init)
	if err != nil {
		return true
	}
	r := call(target, "dispatchEvent", ev)
	return r.Type() != safejs.TypeBoolean || truthy(r)
}

// crash reports a recovered panic as webotp:error on the pending input,
// or the document.
func (b *binding) crash(r any) {
	defer func() { _ = recover() }()
	target := b.doc
	if b.c != nil {
		if e, ok := b.c.Pending().(*element); ok && e != nil {
			target = e.v
		}
	}
	b.fire(target, "webotp:error", map[string]any{"name": "UnknownError", "message": "webotp: internal error: " + panicText(r)}, false)
}
