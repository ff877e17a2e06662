//go:build js && wasm

package main

import (
	"time"

	"github.com/hack-pad/safejs"
)

// api builds the implementation behind window.webotp that the loader's
// stubs call: {version, receive(input, timeoutSeconds, resolve, reject),
// abort(input), parse(message) -> [host, code, embeddedHost] | null,
// mutated()}; the loader's MutationObserver calls mutated.
func (b *binding) api() map[string]any {
	receive := b.fn(b.receive)
	abort := b.fn(func(_ safejs.Value, args []safejs.Value) any {
		v := arg(args, 0)
		if !isObject(v) {
			b.c.Abort(nil)
		} else if e := b.elem(v, false); e != nil {
			b.c.Abort(e)
		}
		return nil
	})
	parse := b.fn(func(_ safejs.Value, args []safejs.Value) any {
		host, code, embedded, ok := b.c.Parse(str(arg(args, 0)))
		if !ok {
			return safejs.Null()
		}
		return []any{host, code, embedded} // the loader makes the object
	})
	mutated := b.fn(b.mutated)
	b.keep = append(b.keep, receive, abort, parse, mutated)
	return map[string]any{"version": version, "receive": receive, "abort": abort, "parse": parse, "mutated": mutated}
}

// receive(input, timeoutSeconds, resolve, reject)
func (b *binding) receive(_ safejs.Value, args []safejs.Value) any {
	w := &waiter{b: b, resolve: arg(args, 2), reject: arg(args, 3)}
	in := arg(args, 0)
	if !isObject(in) || str(get(in, "tagName")) != "INPUT" {
		w.Reject("TypeError", "webotp.receive: the first argument must be an <input>")
		return nil
	}
	var timeout time.Duration
	if t := arg(args, 1); t.Type() == safejs.TypeNumber {
		if s := num(t); s > 0 && s < 86400 {
			timeout = time.Duration(s * float64(time.Second))
		}
	}
	b.c.Receive(b.elem(in, true), timeout, w)
	return nil
}

// waiter settles the promise a receive() call returned.
type waiter struct {
	b               *binding
	resolve, reject safejs.Value
	done            bool
}

// Resolve fulfils the promise with the code.
func (w *waiter) Resolve(code string) {
	if !w.done {
		w.done = true
		invoke(w.resolve, code)
	}
}

// Reject rejects the promise with a DOMException named name.
func (w *waiter) Reject(name, message string) {
	if w.done {
		return
	}
	w.done = true
	var reason any = message
	if v, err := newObj(get(w.b.win, "DOMException"), message, name); err == nil {
		reason = v
	}
	invoke(w.reject, reason)
}
