//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/hack-pad/safejs"
)

// The helpers below are the binding's only doors to safejs. They are
// kept out of line (go:noinline) on purpose: safejs's methods inline a
// closure and a recover at every call site, and funnelling the calls
// through a few functions keeps the wasm tens of KB smaller. Errors
// from JavaScript become undefined results where the caller has a
// sensible fallback; the callers that need the error use callErr.

// undefined is JavaScript's undefined.
func undefined() safejs.Value { return safejs.Undefined() }

// get returns v[p], or undefined when reading it throws.
//
//go:noinline
func get(v safejs.Value, p string) safejs.Value {
	r, err := v.Get(p)
	if err != nil {
		return undefined()
	}
	return r
}

// set sets v[p] = x, ignoring a throw.
//
//go:noinline
func set(v safejs.Value, p string, x any) { _ = v.Set(p, x) }

// call calls v[m](args...) and returns its result, or undefined when it throws.
//
//go:noinline
func call(v safejs.Value, m string, args ...any) safejs.Value {
	r, err := v.Call(m, args...)
	if err != nil {
		return undefined()
	}
	return r
}

// callErr calls v[m](args...) and returns what it threw as an error.
//
//go:noinline
func callErr(v safejs.Value, m string, args ...any) (safejs.Value, error) {
	return v.Call(m, args...)
}

// newObj calls new v(args...).
//
//go:noinline
func newObj(v safejs.Value, args ...any) (safejs.Value, error) {
	return v.New(args...)
}

// isObject reports whether v is a non-null object (functions included).
func isObject(v safejs.Value) bool {
	t := v.Type()
	return t == safejs.TypeObject || t == safejs.TypeFunction
}

// num reads v as a number, 0 when it is not one (NaN included).
//
//go:noinline
func num(v safejs.Value) float64 {
	if v.Type() != safejs.TypeNumber {
		return 0
	}
	f, _ := v.Float()
	if f != f {
		return 0
	}
	return f
}

// invoke calls the function f with x (f.call(undefined, x)).
func invoke(f safejs.Value, x any) { call(f, "call", nil, x) }

// str reads v as a string, "" when it is not one.
//
//go:noinline
func str(v safejs.Value) string {
	if v.Type() != safejs.TypeString {
		return ""
	}
	s, _ := v.String()
	return s
}

// truthy reads v's truthiness, false when that throws.
//
//go:noinline
func truthy(v safejs.Value) bool {
	t, err := v.Truthy()
	return err == nil && t
}

// callback is a Go function JavaScript may call.
type callback func(this safejs.Value, args []safejs.Value) any

// arg returns args[i], or undefined.
func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return undefined()
}

// fn wraps f for JavaScript: a panic inside f is recovered and reported
// as webotp:error instead of killing the Go program.
//
//go:noinline
func (b *binding) fn(f callback) safejs.Func {
	w, err := safejs.FuncOf(func(this safejs.Value, args []safejs.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				b.crash(r)
				ret = nil
			}
		}()
		return f(this, args)
	})
	if err != nil {
		panic(err) // js.FuncOf itself failing leaves nothing to run
	}
	return w
}

// then attaches ok and fail to the promise p; exactly one of them runs,
// once, and both functions are released afterwards. The rejection is
// always handled: no unhandled rejection reaches the console.
func (b *binding) then(p safejs.Value, ok, fail func(v safejs.Value)) error {
	var okFn, failFn safejs.Func
	settled := false
	settle := func(f func(safejs.Value), args []safejs.Value) any {
		if settled {
			return nil
		}
		settled = true
		okFn.Release()
		failFn.Release()
		f(arg(args, 0))
		return nil
	}
	okFn = b.fn(func(_ safejs.Value, args []safejs.Value) any { return settle(ok, args) })
	failFn = b.fn(func(_ safejs.Value, args []safejs.Value) any { return settle(fail, args) })
	if _, err := callErr(p, "then", okFn, failFn); err != nil {
		okFn.Release()
		failFn.Release()
		return err
	}
	return nil
}

// errorName returns the name and message of a JavaScript error value
// (a DOMException, a TypeError, or anything else thrown).
func errorName(v safejs.Value) (name, message string) {
	if !isObject(v) {
		return "UnknownError", str(v)
	}
	name, message = str(get(v, "name")), str(get(v, "message"))
	if name == "" {
		name = "UnknownError"
	}
	return name, message
}

// jsErr turns an error coming back from safejs into name and message.
func jsErr(err error) (name, message string) {
	// Unwrap by hand: errors.As would link internal/reflectlite (~27 KB).
	for e := err; e != nil; {
		if je, ok := e.(js.Error); ok {
			return errorName(safejs.Safe(je.Value))
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	return "UnknownError", err.Error()
}

// panicText describes a recovered panic without pulling in fmt.
func panicText(r any) string {
	switch r := r.(type) {
	case error:
		return r.Error()
	case string:
		return r
	}
	return "panic"
}
