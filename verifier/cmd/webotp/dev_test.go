package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/sms"
)

// devHandler is the handler of a server with development mode's routes,
// on a memory store and an outbox.
func devHandler(t *testing.T) fasthttp.RequestHandler {
	t.Helper()
	store := memstore.New(memstore.Options{SweepInterval: -1})
	t.Cleanup(func() { store.Close() })
	outbox := sms.NewOutbox(10, time.Now)
	svc, err := verifier.NewService(verifier.Config{
		Store: store, Sender: outbox, Keys: []verifier.MasterKey{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := mountDev(srv, outbox); err != nil {
		t.Fatalf("mountDev: %v", err)
	}
	return srv.Handler()
}

// get answers a GET of path by h.
func get(h fasthttp.RequestHandler, path string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, nil, nil)
	ctx.Request.SetRequestURI(path)
	h(&ctx)
	var r fasthttp.Response
	ctx.Response.CopyTo(&r)
	return &r
}

func TestTheDevInboxIsAPageWithItsScriptAndStylesAsFiles(t *testing.T) {
	h := devHandler(t)
	page := get(h, "/dev/inbox")
	if page.StatusCode() != 200 || string(page.Header.ContentType()) != "text/html; charset=utf-8" {
		t.Fatalf("/dev/inbox: %d %q", page.StatusCode(), page.Header.ContentType())
	}
	body := string(page.Body())
	if !strings.Contains(body, `http-equiv="Content-Security-Policy"`) || strings.Contains(body, "unsafe-inline") {
		t.Errorf("the page sets no strict Content-Security-Policy:\n%s", body)
	}
	// What a CSP without 'unsafe-inline' would block: inline scripts and
	// styles, event handler attributes.
	for _, inline := range []*regexp.Regexp{
		regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`),
		regexp.MustCompile(`<script>`),
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
	} {
		if m := inline.FindString(body); m != "" {
			t.Errorf("inline code %q in the page", m)
		}
	}
	refs := regexp.MustCompile(`<(?:script src|link rel="stylesheet" href)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	if len(refs) != len(want) {
		t.Fatalf("the page links %d files, want a script and a style sheet: %q", len(refs), refs)
	}
	for _, ref := range refs {
		path := ref[1]
		r := get(h, path)
		ext := path[strings.LastIndexByte(path, '.'):]
		if r.StatusCode() != 200 || string(r.Header.ContentType()) != want[ext] || len(r.Body()) == 0 {
			t.Errorf("%s: %d %q, %d bytes", path, r.StatusCode(), r.Header.ContentType(), len(r.Body()))
		}
	}
}

func TestTheDevInboxReadsTheOutboxItNames(t *testing.T) {
	h := devHandler(t)
	page := string(get(h, "/dev/inbox").Body())
	m := regexp.MustCompile(`data-outbox="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data-outbox in the page:\n%s", page)
	}
	if r := get(h, m[1]); r.StatusCode() != 200 || string(r.Header.ContentType()) != "application/json" {
		t.Errorf("%s: %d %q", m[1], r.StatusCode(), r.Header.ContentType())
	}
}

func TestAnUnknownDevPathIsTheAPIsNotFound(t *testing.T) {
	r := get(devHandler(t), "/dev/nothing")
	if r.StatusCode() != 404 || string(r.Header.ContentType()) != "application/json" ||
		!strings.Contains(string(r.Body()), `"code":"not_found"`) {
		t.Errorf("%d %q %s", r.StatusCode(), r.Header.ContentType(), r.Body())
	}
}
