package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

type staticOptions struct {
	cors         bool   // Access-Control-Allow-Origin: *
	index        bool   // index.html answers for its directory
	cacheControl string // Cache-Control of every file
}

// static serves the files of an fs.FS from memory, with precompressed
// variants chosen by Accept-Encoding and strong ETags.
type static struct {
	opts  staticOptions
	route string // for logs and metrics: "assets" or "site"
	files map[string]*file
}

type file struct {
	contentType string
	variants    []variant // identity first, then br, then gzip when present
}

type variant struct {
	encoding string // "" for identity
	body     []byte
	etag     string
}

// loadStatic reads every file of fsys into memory. "x.br" and "x.gz" are
// not served by name but as encodings of "x".
func loadStatic(fsys fs.FS, opts staticOptions) (*static, error) {
	st := &static{opts: opts, route: "site", files: map[string]*file{}}
	if opts.cors {
		st.route = "assets"
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") || path.Base(name)[0] == '.' {
			return nil
		}
		f := &file{contentType: contentType(name)}
		for _, enc := range []struct{ name, suffix string }{{"", ""}, {"br", ".br"}, {"gzip", ".gz"}} {
			b, err := fs.ReadFile(fsys, name+enc.suffix)
			if err != nil {
				if enc.name == "" {
					return fmt.Errorf("httpapi: read %s: %w", name, err)
				}
				continue
			}
			sum := sha256.Sum256(b)
			f.variants = append(f.variants, variant{encoding: enc.name, body: b,
				etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`})
		}
		st.files["/"+name] = f
		if opts.index && path.Base(name) == "index.html" {
			dir := path.Dir("/" + name)
			st.files[dir] = f
			if dir != "/" {
				st.files[dir+"/"] = f
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("httpapi: load static files: %w", err)
	}
	return st, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// lookup returns the file a request path names, or nil.
func (st *static) lookup(p []byte) *file {
	if st == nil {
		return nil
	}
	return st.files[string(p)]
}

// serve answers a GET or HEAD request with f.
func (st *static) serve(ctx *fasthttp.RequestCtx, f *file) {
	v := f.variants[0]
	if len(f.variants) > 1 {
		ctx.Response.Header.Set(fasthttp.HeaderVary, "Accept-Encoding")
		accepted := ctx.Request.Header.Peek(fasthttp.HeaderAcceptEncoding)
		for _, alt := range f.variants[1:] {
			if acceptsEncoding(accepted, alt.encoding) {
				v = alt
				break
			}
		}
	}
	h := &ctx.Response.Header
	if st.opts.cors {
		h.Set(fasthttp.HeaderAccessControlAllowOrigin, "*")
	}
	h.Set(fasthttp.HeaderCacheControl, st.opts.cacheControl)
	h.Set(fasthttp.HeaderETag, v.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if matchesETag(ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch), v.etag) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	h.SetContentType(f.contentType)
	if v.encoding != "" {
		h.Set(fasthttp.HeaderContentEncoding, v.encoding)
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetBody(v.body) // fasthttp sets Content-Length, and sends no body to HEAD
}

// acceptsEncoding reports whether an Accept-Encoding header accepts enc
// with a nonzero quality, by name or through "*".
func acceptsEncoding(header []byte, enc string) bool {
	star := false
	for part := range bytes.SplitSeq(header, []byte(",")) {
		name, params, _ := bytes.Cut(part, []byte(";"))
		name = bytes.TrimSpace(name)
		q := 1.0
		for p := range bytes.SplitSeq(params, []byte(";")) {
			k, val, ok := bytes.Cut(bytes.TrimSpace(p), []byte("="))
			if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("q")) {
				if f, err := strconv.ParseFloat(string(bytes.TrimSpace(val)), 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case bytes.EqualFold(name, []byte(enc)):
			return q > 0
		case bytes.Equal(name, []byte("*")):
			star = q > 0
		}
	}
	return star
}

// matchesETag is If-None-Match's weak comparison against etag.
func matchesETag(header []byte, etag string) bool {
	for tag := range bytes.SplitSeq(header, []byte(",")) {
		tag = bytes.TrimSpace(tag)
		tag = bytes.TrimPrefix(tag, []byte("W/"))
		if string(tag) == etag || string(tag) == "*" {
			return true
		}
	}
	return false
}
