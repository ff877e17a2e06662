//go:build js && wasm

// Command wasm is the webotp client compiled to WebAssembly: the thin
// binding between the page and package controller. It is started by the
// loader (web/src/webotp.js), which hands it the script element and its
// callbacks through a non-enumerable window.webotp.__handoff property;
// without that handoff it exits at once.
//
// Only the files of this package touch JavaScript, always through
// github.com/hack-pad/safejs (every call returns an error), and every one
// of them carries the js && wasm build constraint (a native test checks).
// Every Go function JavaScript can call recovers from a panic and
// reports it as a webotp:error event (name "UnknownError").
package main
