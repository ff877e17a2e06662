package httpapi

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"testing"
	"testing/fstest"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestAssets(t *testing.T) {
	wasm := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte{1}, 1000)...)
	js := []byte("(()=>{/* loader */})();")
	assets := fstest.MapFS{
		"webotp.wasm":    {Data: wasm},
		"webotp.wasm.br": {Data: []byte("brotli-bytes")},
		"webotp.wasm.gz": {Data: gz(wasm)},
		"webotp.js":      {Data: js},
		"webotp.js.gz":   {Data: gz(js)},
		".gitkeep":       {Data: nil},
	}
	e := newEnv(t, envOptions{assets: assets})
	get := func(path string, h map[string]string) answer {
		return e.do(t, req{method: "GET", path: path, header: h})
	}

	tests := []struct {
		name, path, acceptEncoding string
		wantType, wantEncoding     string
		wantBody                   []byte
	}{
		{"the wasm is application/wasm, uncompressed without Accept-Encoding", "/webotp.wasm", "", "application/wasm", "", wasm},
		{"brotli is preferred when accepted", "/webotp.wasm", "gzip, deflate, br", "application/wasm", "br", []byte("brotli-bytes")},
		{"gzip is served when brotli is not accepted", "/webotp.wasm", "gzip", "application/wasm", "gzip", gz(wasm)},
		{"an encoding refused with q=0 is not served", "/webotp.wasm", "br;q=0, gzip", "application/wasm", "gzip", gz(wasm)},
		{"a wildcard accepts brotli", "/webotp.wasm", "*", "application/wasm", "br", []byte("brotli-bytes")},
		{"the loader is text/javascript", "/webotp.js", "", "text/javascript; charset=utf-8", "", js},
		{"the loader has only a gzip sibling", "/webotp.js", "br, gzip", "text/javascript; charset=utf-8", "gzip", gz(js)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.acceptEncoding != "" {
				h["Accept-Encoding"] = tt.acceptEncoding
			}
			a := get(tt.path, h)
			if a.status != 200 || a.header["content-type"] != tt.wantType || a.header["content-encoding"] != tt.wantEncoding {
				t.Fatalf("%d type %q encoding %q", a.status, a.header["content-type"], a.header["content-encoding"])
			}
			if !bytes.Equal(a.raw, tt.wantBody) {
				t.Errorf("body differs (%d bytes, want %d)", len(a.raw), len(tt.wantBody))
			}
			if a.header["content-length"] != strconv.Itoa(len(tt.wantBody)) {
				t.Errorf("Content-Length %q", a.header["content-length"])
			}
			for k, want := range map[string]string{
				"access-control-allow-origin": "*", "vary": "Accept-Encoding", "cache-control": "public, max-age=300",
			} {
				if a.header[k] != want {
					t.Errorf("%s = %q, want %q", k, a.header[k], want)
				}
			}
			etag := a.header["etag"]
			if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
				t.Fatalf("ETag %q is not strong", etag)
			}
			h["If-None-Match"] = etag
			if b := get(tt.path, h); b.status != 304 || len(b.raw) != 0 || b.header["etag"] != etag {
				t.Errorf("revalidation: %d %q", b.status, b.header["etag"])
			}
			h["If-None-Match"] = `"other", W/` + etag
			if b := get(tt.path, h); b.status != 304 {
				t.Errorf("weak match in a list: %d", b.status)
			}
		})
	}
	t.Run("each encoding has its own ETag", func(t *testing.T) {
		a := get("/webotp.wasm", nil)
		b := get("/webotp.wasm", map[string]string{"Accept-Encoding": "br"})
		if a.header["etag"] == b.header["etag"] {
			t.Errorf("identity and br share ETag %q", a.header["etag"])
		}
		c := get("/webotp.wasm", map[string]string{"If-None-Match": b.header["etag"]})
		if c.status != 200 {
			t.Errorf("the br ETag revalidated the identity body: %d", c.status)
		}
	})
	t.Run("HEAD answers the headers without a body", func(t *testing.T) {
		a := e.do(t, req{method: "HEAD", path: "/webotp.wasm"})
		if a.status != 200 || len(a.raw) != 0 || a.header["content-type"] != "application/wasm" {
			t.Errorf("%d %q %d bytes", a.status, a.header["content-type"], len(a.raw))
		}
	})
	t.Run("precompressed siblings and hidden files are not served by name", func(t *testing.T) {
		for _, p := range []string{"/webotp.wasm.br", "/webotp.js.gz", "/.gitkeep"} {
			if a := get(p, nil); a.status != 404 || a.errorCode() != "not_found" {
				t.Errorf("%s: %d", p, a.status)
			}
		}
	})
	t.Run("an asset over a direct handler call is the same", func(t *testing.T) {
		a := e.direct(t, req{method: "GET", path: "/webotp.wasm", header: map[string]string{"Accept-Encoding": "gzip"}})
		if a.status != 200 || a.header["content-encoding"] != "gzip" || a.header["access-control-allow-origin"] != "*" {
			t.Errorf("%d %v", a.status, a.header)
		}
	})
}

func TestASiteServesIndexForDirectories(t *testing.T) {
	e := newEnv(t, envOptions{})
	st, err := loadStatic(fstest.MapFS{"index.html": {Data: []byte("<h1>demo</h1>")}, "docs/index.html": {Data: []byte("docs")}},
		staticOptions{index: true, cacheControl: "no-cache"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.site = st
	for path, want := range map[string]string{"/": "<h1>demo</h1>", "/index.html": "<h1>demo</h1>", "/docs/": "docs", "/docs": "docs"} {
		a := e.do(t, req{method: "GET", path: path})
		if a.status != 200 || string(a.raw) != want || a.header["content-type"] != "text/html; charset=utf-8" || a.header["access-control-allow-origin"] != "" {
			t.Errorf("%s: %d %q %v", path, a.status, a.raw, a.header)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, enc string
		want        bool
	}{
		{"", "br", false},
		{"br", "br", true},
		{"gzip, br", "br", true},
		{"BR", "br", true},
		{"br;q=0", "br", false},
		{"br; q=0.5", "br", true},
		{"*", "gzip", true},
		{"*;q=0", "gzip", false},
		{"gzip;q=0, *", "gzip", false},
		{"identity", "gzip", false},
		{"x-gzip", "gzip", false},
	}
	for _, tt := range tests {
		if got := acceptsEncoding([]byte(tt.header), tt.enc); got != tt.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tt.header, tt.enc, got, tt.want)
		}
	}
}

func TestHandleFilesServesAFileTreeUnderAPrefix(t *testing.T) {
	page := []byte("<!doctype html><title>inbox</title>")
	js := []byte("refresh();")
	e := newEnv(t, envOptions{})
	if err := e.srv.HandleFiles("/dev/", fstest.MapFS{
		"inbox/index.html":  {Data: page},
		"inbox/inbox.js":    {Data: js},
		"inbox/inbox.js.gz": {Data: gz(js)},
	}); err != nil {
		t.Fatalf("HandleFiles: %v", err)
	}
	tests := []struct {
		name, method, path, acceptEncoding string
		status                             int
		wantType, wantEncoding             string
		wantBody                           []byte
	}{
		{"a directory answers with its index.html", "GET", "/dev/inbox", "", 200, "text/html; charset=utf-8", "", page},
		{"a script is text/javascript", "GET", "/dev/inbox/inbox.js", "", 200, "text/javascript; charset=utf-8", "", js},
		{"a precompressed sibling is served when accepted", "GET", "/dev/inbox/inbox.js", "gzip", 200, "text/javascript; charset=utf-8", "gzip", gz(js)},
		{"HEAD answers without the body", "HEAD", "/dev/inbox", "", 200, "text/html; charset=utf-8", "", nil},
		{"a file outside the tree is the API's not_found", "GET", "/dev/inbox/other.js", "", 404, "application/json", "", nil},
		{"the files are not served at the root", "GET", "/inbox/inbox.js", "", 404, "application/json", "", nil},
		{"another method is method_not_allowed", "POST", "/dev/inbox", "", 405, "application/json", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.acceptEncoding != "" {
				h["Accept-Encoding"] = tt.acceptEncoding
			}
			a := e.do(t, req{method: tt.method, path: tt.path, header: h})
			if a.status != tt.status || a.header["content-type"] != tt.wantType || a.header["content-encoding"] != tt.wantEncoding {
				t.Fatalf("%d type %q encoding %q: %s", a.status, a.header["content-type"], a.header["content-encoding"], a.raw)
			}
			if tt.status == 200 && !bytes.Equal(a.raw, tt.wantBody) {
				t.Errorf("body %q, want %q", a.raw, tt.wantBody)
			}
			if tt.status == 200 && (a.header["etag"] == "" || a.header["cache-control"] != "no-cache") {
				t.Errorf("ETag %q, Cache-Control %q", a.header["etag"], a.header["cache-control"])
			}
		})
	}
	t.Run("a page not modified since its ETag answers 304", func(t *testing.T) {
		etag := e.do(t, req{method: "GET", path: "/dev/inbox"}).header["etag"]
		if a := e.do(t, req{method: "GET", path: "/dev/inbox", header: map[string]string{"If-None-Match": etag}}); a.status != 304 || len(a.raw) != 0 {
			t.Errorf("%d, %d bytes", a.status, len(a.raw))
		}
	})
}
