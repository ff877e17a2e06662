// Package web holds the browser side's sources (the loader, the demo site,
// the development pages, the end-to-end tests) and embeds the built client
// assets, the demo and the development pages.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed all:demo
var demo embed.FS

// Dist returns the built client assets (webotp.js, webotp.wasm and their
// precompressed .br/.gz siblings) as written by `make build`. Before a
// build it holds only a placeholder.
func Dist() fs.FS { return sub(dist, "dist") }

// Demo returns the demo site that `webotp serve --dev` serves at /.
func Demo() fs.FS { return sub(demo, "demo") }

//go:embed all:dev
var dev embed.FS

// Dev returns the pages that `webotp serve --dev` serves under /dev/: the
// dev inbox (inbox/index.html, with its script and style sheet as files,
// so that the page runs under a Content-Security-Policy without
// 'unsafe-inline').
func Dev() fs.FS { return sub(dev, "dev") }

func sub(f embed.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a fixed, embedded directory
	}
	return s
}
