//go:build js && wasm

// Command emptysafejs is the smallest program that uses safejs: the floor
// that webotp.wasm's size is compared with (build/client.sh builds both
// the same way and reports them side by side).
package main

import "github.com/hack-pad/safejs"

func main() {
	_, _ = safejs.Global().Get("document")
}
