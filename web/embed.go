// Package web holds the browser side's sources (the loader, the demo site,
// the end-to-end tests) and embeds the built client assets.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built client assets (webotp.js, webotp.wasm and their
// precompressed .br/.gz siblings) as written by `make build`. Before a
// build it holds only a placeholder.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a fixed, embedded directory
	}
	return sub
}
