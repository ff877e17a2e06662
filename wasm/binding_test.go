//go:build js && wasm

package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/webotp/webotp/wasm/controller"
)

// These tests run under Node (go_js_wasm_exec), which has EventTarget,
// Event, AbortController, DOMException and Promise but no DOM: the page is
// faked with plain objects built through safejs. Node 19+ also has a global
// CustomEvent; on Node 18 TestMain defines one.

// global returns a global of Node's JavaScript.
func global(t *testing.T, name string) safejs.Value {
	t.Helper()
	v, err := safejs.Global().Get(name)
	if err != nil || v.IsUndefined() {
		t.Fatalf("Node has no global %s: %v", name, err)
	}
	return v
}

// TestMain gives Node 18 (Debian bookworm's), which has no global
// CustomEvent, the DOM's: the binding fires CustomEvents on the window's
// constructor, and these tests use Node's global as the window.
func TestMain(m *testing.M) {
	if v, err := safejs.Global().Get("CustomEvent"); err != nil || v.IsUndefined() {
		ctor, err := customEventOverEvent()
		if err != nil {
			fmt.Fprintln(os.Stderr, "define CustomEvent for Node 18:", err)
			os.Exit(1)
		}
		if err := safejs.Global().Set("CustomEvent", ctor); err != nil {
			fmt.Fprintln(os.Stderr, "define CustomEvent for Node 18:", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// customEventOverEvent returns the DOM's CustomEvent written over Node's
// Event: an Event whose detail is init.detail, null when absent.
func customEventOverEvent() (safejs.Value, error) {
	fn, err := safejs.Global().Get("Function")
	if err != nil {
		return safejs.Value{}, err
	}
	def, err := fn.New("Event", `return class CustomEvent extends Event {
		constructor(type, init) { super(type, init); this.detail = init && init.detail !== undefined ? init.detail : null; }
	}`)
	if err != nil {
		return safejs.Value{}, err
	}
	ev, err := safejs.Global().Get("Event")
	if err != nil {
		return safejs.Value{}, err
	}
	return def.Invoke(ev)
}

func TestCustomEventOverEventCarriesDetailAndBubbles(t *testing.T) {
	ctor, err := customEventOverEvent()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ctor.New("webotp:test", map[string]any{"bubbles": true, "detail": map[string]any{"code": "123456"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := str(get(get(ev, "detail"), "code")); got != "123456" {
		t.Errorf("detail.code = %q, want 123456", got)
	}
	if b, err := get(ev, "bubbles").Bool(); err != nil || !b {
		t.Errorf("bubbles = %v, %v; want true", b, err)
	}
	plain, err := ctor.New("webotp:test")
	if err != nil {
		t.Fatal(err)
	}
	if d := get(plain, "detail"); !d.IsNull() {
		t.Errorf("detail without init = %v, want null", d)
	}
}

// target returns a new EventTarget carrying props: a stand-in for a
// document or an element.
func newTarget(t *testing.T, props map[string]any) safejs.Value {
	t.Helper()
	v, err := global(t, "EventTarget").New()
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range props {
		if err := v.Set(k, x); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// jsFunc wraps f for JavaScript for the test's duration.
func jsFunc(t *testing.T, f func(args []safejs.Value) any) safejs.Func {
	t.Helper()
	fn, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any { return f(args) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fn.Release)
	return fn
}

// record listens for typ on target and sends each event's detail (as
// name=value strings of its string fields) to the returned channel.
func record(t *testing.T, target safejs.Value, typ string, fields ...string) <-chan string {
	t.Helper()
	ch := make(chan string, 16)
	fn := jsFunc(t, func(args []safejs.Value) any {
		d := get(arg(args, 0), "detail")
		var parts []string
		for _, f := range fields {
			parts = append(parts, f+"="+str(get(d, f)))
		}
		ch <- strings.Join(parts, " ")
		return nil
	})
	if _, err := target.Call("addEventListener", typ, fn); err != nil {
		t.Fatal(err)
	}
	return ch
}

// wait returns the next value from ch, failing after two seconds; the
// JavaScript event loop runs while the test goroutine waits.
func wait(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(2 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

func TestFnRecoversAPanicAndReportsItAsWebotpError(t *testing.T) {
	doc := newTarget(t, nil)
	b := &binding{win: safejs.Global(), doc: doc}
	errs := record(t, doc, "webotp:error", "name", "message")
	f := b.fn(func(safejs.Value, []safejs.Value) any { panic("boom") })
	defer f.Release()
	got, err := f.Value().Invoke()
	if err != nil {
		t.Fatalf("calling a panicking callback threw %v; want it recovered", err)
	}
	if !got.IsUndefined() && !got.IsNull() {
		t.Errorf("a recovered callback returned a %v, want nothing", got.Type())
	}
	if d := wait(t, errs, "webotp:error"); d != "name=UnknownError message=webotp: internal error: boom" {
		t.Errorf("webotp:error detail %q", d)
	}
}

func TestThenRunsExactlyOneOutcome(t *testing.T) {
	promise := global(t, "Promise")
	tests := []struct {
		name   string
		method string
		value  any
		want   string
	}{
		{"a resolved promise runs ok with its value", "resolve", "42", "ok 42"},
		{"a rejected promise runs fail with its reason, handled", "reject", "nope", "fail nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &binding{win: safejs.Global(), doc: newTarget(t, nil)}
			p, err := promise.Call(tt.method, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			ch := make(chan string, 2)
			err = b.then(p,
				func(v safejs.Value) { ch <- "ok " + str(v) },
				func(v safejs.Value) { ch <- "fail " + str(v) })
			if err != nil {
				t.Fatal(err)
			}
			if got := wait(t, ch, "the promise to settle"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			select {
			case extra := <-ch:
				t.Errorf("a second outcome ran: %q", extra)
			case <-time.After(50 * time.Millisecond):
			}
		})
	}
}

func TestOutboxMessagesReadsTheLoadersList(t *testing.T) {
	list := call(global(t, "JSON"), "parse", `["@localhost #123456", 1795501226270, "@localhost #1", 1795501226000]`)
	want := []controller.OutboxMessage{
		{Body: "@localhost #123456", SentAt: 1795501226270},
		{Body: "@localhost #1", SentAt: 1795501226000},
	}
	if got := outboxMessages(list); !slices.Equal(got, want) {
		t.Errorf("outboxMessages = %+v, want %+v", got, want)
	}
	if got := outboxMessages(safejs.Null()); len(got) != 0 {
		t.Errorf("outboxMessages(null) = %+v, want none", got)
	}
}

func TestErrorNamesComeFromTheJavaScriptError(t *testing.T) {
	ex, err := global(t, "DOMException").New("denied", "NotAllowedError")
	if err != nil {
		t.Fatal(err)
	}
	if name, msg := errorName(ex); name != "NotAllowedError" || msg != "denied" {
		t.Errorf("errorName(DOMException) = %q %q", name, msg)
	}
	if name, msg := errorName(safejsString(t, "plain")); name != "UnknownError" || msg != "plain" {
		t.Errorf("errorName(string) = %q %q", name, msg)
	}
	// JSON.parse("{") throws a SyntaxError, which callErr returns.
	_, err = callErr(global(t, "JSON"), "parse", "{")
	if name, msg := jsErr(err); name != "SyntaxError" || msg == "" {
		t.Errorf("jsErr of a thrown SyntaxError = %q %q (%v)", name, msg, err)
	}
}

func TestFireDispatchesBubblingEventsAndReportsCancellation(t *testing.T) {
	b := &binding{win: safejs.Global()}
	el := newTarget(t, nil)
	got := record(t, el, "autocomplete", "code", "source")
	cancel := jsFunc(t, func(args []safejs.Value) any {
		if truthy(get(arg(args, 0), "bubbles")) {
			call(arg(args, 0), "preventDefault")
		}
		return nil
	})
	if _, err := el.Call("addEventListener", "autocomplete", cancel); err != nil {
		t.Fatal(err)
	}
	if b.fire(el, "autocomplete", map[string]any{"code": "123456", "source": "webotp"}, true) {
		t.Error("fire reported a cancelled event as not cancelled")
	}
	if d := wait(t, got, "autocomplete"); d != "code=123456 source=webotp" {
		t.Errorf("detail %q", d)
	}
	if !b.fire(el, "change", nil, false) {
		t.Error("fire reported a plain event as cancelled")
	}
}

func TestConversionsFallBackOnWrongTypes(t *testing.T) {
	nan := get(safejs.Global(), "NaN")
	if num(nan) != 0 || num(safejsString(t, "3")) != 0 {
		t.Error("num of NaN or a string is not 0")
	}
	if str(safejs.Null()) != "" || truthy(safejs.Undefined()) {
		t.Error("str(null) or truthy(undefined) is wrong")
	}
	if !isObject(global(t, "Promise")) || isObject(safejs.Null()) {
		t.Error("isObject is wrong for a function or null")
	}
}

func safejsString(t *testing.T, s string) safejs.Value {
	t.Helper()
	v, err := safejs.ValueOf(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fakePage builds a binding on a fake window whose
// navigator.credentials.get returns a promise the test settles, and
// which rejects with signal.reason when its signal aborts, as Chromium's
// does.
type fakePage struct {
	b       *binding
	input   safejs.Value
	settle  chan [2]safejs.Value // resolve, reject of each get()
	options chan safejs.Value
}

func newFakePage(t *testing.T) *fakePage {
	t.Helper()
	p := &fakePage{settle: make(chan [2]safejs.Value, 4), options: make(chan safejs.Value, 4)}
	promise := global(t, "Promise")
	credGet := jsFunc(t, func(args []safejs.Value) any {
		opts := arg(args, 0)
		p.options <- opts
		var fns [2]safejs.Value
		exec := jsFunc(t, func(a []safejs.Value) any { fns = [2]safejs.Value{arg(a, 0), arg(a, 1)}; return nil })
		pr, err := promise.New(exec)
		if err != nil {
			t.Error(err)
		}
		signal := get(opts, "signal")
		onAbort := jsFunc(t, func([]safejs.Value) any { invoke(fns[1], get(signal, "reason")); return nil })
		call(signal, "addEventListener", "abort", onAbort)
		p.settle <- fns
		return pr
	})
	noop := jsFunc(t, func([]safejs.Value) any { return nil })
	null := jsFunc(t, func([]safejs.Value) any { return safejs.Null() })
	createElement := jsFunc(t, func([]safejs.Value) any {
		el, _ := global(t, "EventTarget").New()
		set(el, "setAttribute", noop)
		_ = el.Set("style", map[string]any{})
		return el
	})
	win := newTarget(t, map[string]any{
		"navigator": map[string]any{"credentials": map[string]any{"get": credGet}},
	})
	for _, name := range []string{"AbortController", "DOMException", "CustomEvent", "Event", "Date", "setTimeout", "clearTimeout", "WeakMap", "JSON"} {
		set(win, name, global(t, name))
	}
	doc := newTarget(t, map[string]any{
		"createElement": createElement,
		"body":          map[string]any{"appendChild": noop},
	})
	p.input = newTarget(t, map[string]any{
		"isConnected": true, "disabled": false, "readOnly": false, "value": "", "tagName": "INPUT",
		"getAttribute": null, "form": nil,
	})
	setter := jsFunc(t, func(args []safejs.Value) any {
		// setter.call(input, value): args[0] is the input, args[1] the value
		set(arg(args, 0), "value", arg(args, 1))
		return nil
	})
	ids, _ := global(t, "WeakMap").New()
	// The binding calls setter.call(input, value): an object with a call
	// method stands in for the native setter.
	// handoff.get as the loader's: get() with a new AbortController's signal.
	request := jsFunc(t, func([]safejs.Value) any {
		ctl, _ := global(t, "AbortController").New()
		opts := call(global(t, "JSON"), "parse", `{"otp":{"transport":["sms"]}}`)
		set(opts, "signal", get(ctl, "signal"))
		return map[string]any{"ctl": ctl, "promise": call(credGet.Value(), "call", nil, opts)}
	})
	p.b = &binding{win: win, doc: doc, sel: "input.code", ids: ids, elems: map[int]*element{}, aborts: map[int]safejs.Value{},
		setter: newTarget(t, map[string]any{"call": setter}), handoff: newTarget(t, map[string]any{"get": request})}
	p.b.c = controller.New(p.b, controller.Config{})
	return p
}

// receive calls the window.webotp.receive implementation and returns a
// channel with "resolve <code>" or "reject <name>".
func (p *fakePage) receive(t *testing.T, timeout any) <-chan string {
	t.Helper()
	out := make(chan string, 1)
	resolve := jsFunc(t, func(args []safejs.Value) any { out <- "resolve " + str(arg(args, 0)); return nil })
	reject := jsFunc(t, func(args []safejs.Value) any { out <- "reject " + str(get(arg(args, 0), "name")); return nil })
	p.b.receive(safejs.Undefined(), []safejs.Value{p.input, mustValue(t, timeout), resolve.Value(), reject.Value()})
	return out
}

func mustValue(t *testing.T, x any) safejs.Value {
	t.Helper()
	v, err := safejs.ValueOf(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReceiveFillsTheInputWithTheCodeFromGet(t *testing.T) {
	p := newFakePage(t)
	events := record(t, p.input, "autocomplete", "code", "source")
	got := p.receive(t, 30)
	opts := <-p.options
	if tr := get(get(opts, "otp"), "transport"); str(call(tr, "at", 0)) != "sms" {
		t.Errorf("get() options otp.transport[0] = %q, want sms", str(call(tr, "at", 0)))
	}
	fns := <-p.settle
	invoke(fns[0], map[string]any{"type": "otp", "id": "", "code": "424242"})
	if r := wait(t, got, "receive() to settle"); r != "resolve 424242" {
		t.Errorf("receive() settled with %q", r)
	}
	if v := str(get(p.input, "value")); v != "424242" {
		t.Errorf("input value %q, want 424242", v)
	}
	if d := wait(t, events, "autocomplete"); d != "code=424242 source=webotp" {
		t.Errorf("autocomplete detail %q", d)
	}
}

func TestAbortRejectsReceiveAndHandlesGetsRejection(t *testing.T) {
	p := newFakePage(t)
	aborts := record(t, p.input, "webotp:abort", "reason")
	got := p.receive(t, nil)
	opts := <-p.options
	<-p.settle
	p.b.c.Abort(nil)
	if r := wait(t, got, "receive() to settle"); r != "reject AbortError" {
		t.Errorf("receive() settled with %q, want reject AbortError", r)
	}
	if d := wait(t, aborts, "webotp:abort"); d != "reason=api" {
		t.Errorf("webotp:abort detail %q", d)
	}
	signal := get(opts, "signal")
	if !truthy(get(signal, "aborted")) || str(get(get(signal, "reason"), "name")) != "AbortError" {
		t.Errorf("the get() signal: aborted %v, reason %q; want aborted with an AbortError",
			truthy(get(signal, "aborted")), str(get(get(signal, "reason"), "name")))
	}
	// An unhandled rejection would end the Node process before this.
	time.Sleep(50 * time.Millisecond)
}

func TestReceiveRejectsWhatIsNotAnInput(t *testing.T) {
	p := newFakePage(t)
	p.input = newTarget(t, map[string]any{"tagName": "DIV"})
	if r := wait(t, p.receive(t, 1), "receive() to settle"); r != "reject TypeError" {
		t.Errorf("receive(<div>) settled with %q, want reject TypeError", r)
	}
}

// early sets handoff.early as the loader does when it called get() itself:
// promise is what that get() returned, ended how the loader ended it ("").
func (p *fakePage) early(t *testing.T, promise safejs.Value, ended string) safejs.Value {
	t.Helper()
	ctl, err := global(t, "AbortController").New()
	if err != nil {
		t.Fatal(err)
	}
	set(p.b.handoff, "early", map[string]any{
		"input": p.input, "ctl": ctl, "promise": promise, "t": float64(time.Now().UnixMilli()), "ended": ended,
	})
	return ctl
}

// targets makes document.querySelectorAll(sel) return the page's input
// for the loader's selector (the handoff's), and nothing for any other.
func (p *fakePage) targets(t *testing.T) {
	t.Helper()
	item := jsFunc(t, func([]safejs.Value) any { return p.input })
	set(p.b.doc, "querySelectorAll", jsFunc(t, func(args []safejs.Value) any {
		if str(arg(args, 0)) != p.b.sel {
			return map[string]any{"length": 0}
		}
		return map[string]any{"length": 1, "item": item}
	}))
}

func TestAdoptFillsFromTheLoadersGetWithoutCallingGetAgain(t *testing.T) {
	p := newFakePage(t)
	p.targets(t)
	events := record(t, p.input, "autocomplete", "code", "source")
	resolved, err := global(t, "Promise").Call("resolve", map[string]any{"type": "otp", "id": "", "code": "135790"})
	if err != nil {
		t.Fatal(err)
	}
	p.early(t, resolved, "")
	p.b.handover()
	if d := wait(t, events, "autocomplete"); d != "code=135790 source=webotp" {
		t.Errorf("autocomplete detail %q", d)
	}
	if v := str(get(p.input, "value")); v != "135790" {
		t.Errorf("input value %q, want 135790", v)
	}
	select {
	case <-p.options:
		t.Error("navigator.credentials.get was called again: the loader's request was not adopted")
	default:
	}
}

func TestAdoptTakesOverASubmitTheLoaderEndedItOn(t *testing.T) {
	p := newFakePage(t)
	aborts := record(t, p.input, "webotp:abort", "reason")
	pending, err := global(t, "Promise").New(jsFunc(t, func([]safejs.Value) any { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	p.targets(t)
	p.early(t, pending, "submit")
	p.b.handover()
	select {
	case <-p.options:
		t.Error("navigator.credentials.get was called: the submitted input was armed again")
	case d := <-aborts:
		t.Errorf("webotp:abort %q fired again: the loader fired it already", d)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestAdoptArmsAgainAfterAHiddenPageShowedAgain(t *testing.T) {
	p := newFakePage(t)
	pending, err := global(t, "Promise").New(jsFunc(t, func([]safejs.Value) any { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	p.targets(t)
	p.early(t, pending, "hidden")
	set(p.b.handoff, "hidden", false)
	p.b.handover()
	select {
	case <-p.options:
	case <-time.After(time.Second):
		t.Error("navigator.credentials.get was not called for a page shown again")
	}
}

func TestDispatchGivesTheDOMNodeOfAnElementInDetail(t *testing.T) {
	p := newFakePage(t)
	var got safejs.Value
	listener := jsFunc(t, func(args []safejs.Value) any { got = get(get(arg(args, 0), "detail"), "input"); return nil })
	call(p.b.doc, "addEventListener", "webotp:abort", listener)
	p.b.Dispatch(nil, "webotp:abort", controller.Detail{"reason": "removed", "input": p.b.elem(p.input, true)})
	if !got.Equal(p.input) {
		t.Errorf("detail.input is a %v, want the input node", got.Type())
	}
}
