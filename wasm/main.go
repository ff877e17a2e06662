//go:build js && wasm

package main

import (
	"github.com/hack-pad/safejs"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	api := get(safejs.Global(), "webotp")
	h := get(api, "__handoff")
	if !isObject(h) {
		return // not started by webotp.js: nothing to bind to
	}
	call(get(safejs.Global(), "Reflect"), "deleteProperty", api, "__handoff")
	b, err := newBinding(safejs.Global(), h)
	if err == nil {
		err = b.start()
	}
	if err != nil {
		name, msg := jsErr(err)
		call(h, "fail", name, "webotp: "+msg)
		return
	}
	select {} // serve callbacks for the page's lifetime
}
