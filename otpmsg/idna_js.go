//go:build js && wasm

package otpmsg

import (
	"errors"
	"syscall/js"
)

// In the browser (and Node), the JavaScript URL parser maps host names: it is
// the WHATWG URL standard's own domain-to-ASCII, and using it keeps
// golang.org/x/net/idna and its tables' initialisation out of the client's
// WebAssembly.

// toASCIIHost maps an international host name (no port, path or user) to
// lowercase punycode with the JavaScript URL parser.
func toASCIIHost(h string) (host string, err error) {
	defer func() {
		if recover() != nil {
			host, err = "", errors.New("the URL parser refuses it")
		}
	}()
	url := js.Global().Get("URL")
	if url.Type() != js.TypeFunction {
		return "", errors.New("no URL parser in this JavaScript environment")
	}
	return url.New("https://" + h + "/").Get("hostname").String(), nil
}

// validPunycodeLabel reports whether the URL parser accepts an xn-- label
// as it is.
func validPunycodeLabel(label string) bool {
	a, err := toASCIIHost(label)
	return err == nil && a == label
}
