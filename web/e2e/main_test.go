package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/webotp/webotp/verifier/servetest"
)

// otherOrigin is another site the dev verifier may send codes for: its SMS
// must never fill an input on the test pages.
const otherOrigin = "https://bank.example"

// chromiumPath is the browser the tests drive; `make test` installs it.
const chromiumPath = "/usr/bin/chromium"

// env is the shared world of the tests: one verifier, one page server, one
// browser. TestMain sets it once before any test runs and never changes it
// afterwards; when setting up failed, err says why and every test fails with it.
var env *harness

type harness struct {
	err  error
	skip string // why every test is skipped (-short), or ""

	root       string // the repository
	verifier   string // http://127.0.0.1:port of `webotp serve --dev`
	verifierLH string // the same verifier as http://localhost:port
	pages      string // http://localhost:port of the page server
	pageServer *pageServer
	browser    context.Context
	server     *servetest.Server // the verifier

	phones atomic.Int64 // distinct phone numbers, so rate limits never interfere
}

func TestMain(m *testing.M) {
	flag.Parse()
	h := &harness{}
	if testing.Short() {
		h.skip = "browser test: needs Chromium, skipped by -short (make test runs it)"
		env = h
		os.Exit(m.Run())
	}
	stop := h.setUp()
	env = h
	code := m.Run()
	if code != 0 && h.server != nil {
		fmt.Fprintf(os.Stderr, "--- verifier log (last 4 KiB) ---\n%s\n", h.server.Stderr.Tail(4096))
	}
	stop()
	servetest.Cleanup()
	os.Exit(code)
}

// need returns the harness, skips the test under -short, or fails it with
// the reason setting up failed.
func need(t testing.TB) *harness {
	t.Helper()
	if env != nil && env.skip != "" {
		t.Skip(env.skip)
	}
	if env == nil || env.err != nil {
		err := errors.New("no harness")
		if env != nil {
			err = env.err
		}
		t.Fatal(err)
	}
	return env
}

// setUp builds and starts everything; the returned func stops it. Errors end
// up in h.err so that every test reports them (a missing browser is a failure,
// never a skip).
func (h *harness) setUp() (stop func()) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	fail := func(err error) func() {
		h.err = err
		return stop
	}

	if _, err := os.Stat(chromiumPath); err != nil {
		return fail(errors.New("chromium not found: run make test, which installs it"))
	}
	root, err := repoRoot()
	if err != nil {
		return fail(err)
	}
	h.root = root
	for _, f := range []string{"webotp.js", "webotp.wasm"} {
		if _, err := os.Stat(filepath.Join(root, "web", "dist", f)); err != nil {
			return fail(fmt.Errorf("web/dist/%s is missing: run make build (the verifier embeds the client assets)", f))
		}
	}

	tmp, err := os.MkdirTemp("", "webotp-e2e-")
	if err != nil {
		return fail(fmt.Errorf("temp dir: %w", err))
	}
	stops = append(stops, func() { os.RemoveAll(tmp) })

	pagesLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("page server: %w", err))
	}
	pagesPort := pagesLn.Addr().(*net.TCPAddr).Port
	h.pages = fmt.Sprintf("http://localhost:%d", pagesPort)

	// The verifier, in dev mode, sending codes for the test pages and for
	// another site.
	h.server, err = servetest.New(servetest.Options{Args: []string{"--dev", "--origin", h.pages, "--origin", otherOrigin}})
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { h.server.Stop() })
	h.verifier = h.server.URL
	_, verifierPort, _ := net.SplitHostPort(h.server.Addr)
	h.verifierLH = "http://localhost:" + verifierPort

	// The page server: test pages on http://localhost:port, with the
	// verifier's assets and dev outbox proxied so they are same-origin.
	target, _ := url.Parse(h.verifier)
	h.pageServer = newPageServer(filepath.Join(root, "web", "e2e", "testdata"), httputil.NewSingleHostReverseProxy(target))
	srv := &http.Server{Handler: h.pageServer, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(pagesLn)
	stops = append(stops, func() { srv.Close() })

	// The browser: one process for the whole run, a fresh profile.
	profile := filepath.Join(tmp, "profile")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	stops = append(stops, cancelAlloc, cancelBrowser)
	// The first Do binds the browser's life to its context: no timeout here.
	if err := chromedp.Do(browserCtx); err != nil {
		return fail(fmt.Errorf("start chromium: %w", err))
	}
	h.browser = browserCtx
	return stop
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ---- the page server ----------------------------------------------------------

// slowWasm is how long /slow/webotp.wasm takes to start arriving.
const slowWasm = 1500 * time.Millisecond

// pageServer serves the test pages: static files from testdata under /t/,
// pages registered by a test under /p/, and the verifier's /webotp.js,
// /webotp.wasm and /dev/outbox through a reverse proxy (/slow/webotp.js
// too, whose wasm arrives slowWasm late).
type pageServer struct {
	static http.Handler
	proxy  http.Handler

	mu    sync.Mutex
	pages map[string]servedPage
	n     int
}

type servedPage struct {
	html   string
	header http.Header
}

func newPageServer(testdata string, proxy http.Handler) *pageServer {
	return &pageServer{
		static: http.StripPrefix("/t/", http.FileServer(http.Dir(testdata))),
		proxy:  proxy,
		pages:  map[string]servedPage{},
	}
}

func (s *pageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(r.URL.Path, "/t/"):
		w.Header().Set("Cache-Control", "no-store")
		s.static.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/p/"):
		s.mu.Lock()
		p, ok := s.pages[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range p.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, p.html)
	case r.URL.Path == "/webotp.js", r.URL.Path == "/webotp.wasm", strings.HasPrefix(r.URL.Path, "/dev/"):
		s.proxy.ServeHTTP(w, r)
	case r.URL.Path == "/slow/webotp.js", r.URL.Path == "/slow/webotp.wasm":
		// The client with a wasm that takes slowWasm to arrive: what the
		// loader does before the wasm runs can be observed.
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			select {
			case <-time.After(slowWasm):
			case <-r.Context().Done():
				return
			}
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/slow")
		s.proxy.ServeHTTP(w, r2)
	default:
		http.NotFound(w, r)
	}
}

// add registers a page and returns its path.
func (s *pageServer) add(p servedPage) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	path := fmt.Sprintf("/p/%d", s.n)
	s.pages[path] = p
	return path
}

// ---- the verifier's API -------------------------------------------------------

// verification is the part of the API's verification object the tests use.
type verification struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Phone       string `json:"phone"`
	Origin      string `json:"origin"`
	ResendAfter string `json:"resend_after"`
}

// phone returns a valid US number no other test of this run used.
func (h *harness) phone() string {
	return fmt.Sprintf("+1415555%04d", 100+h.phones.Add(1))
}

// sendSMS starts a verification for origin, so the verifier sends an SMS to
// the dev outbox, and returns the verification and the code in that SMS.
func (h *harness) sendSMS(t testing.TB, origin string) (verification, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"phone": h.phone(), "origin": origin})
	req, _ := http.NewRequest(http.MethodPost, h.verifier+"/v1/verifications", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer dev")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/verifications: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/verifications for origin %s: %d %s", origin, res.StatusCode, raw)
	}
	var v verification
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("POST /v1/verifications: %v in %s", err, raw)
	}
	code, err := h.server.Code(v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v, code
}
