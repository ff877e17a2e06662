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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

	root        string // the repository
	verifier    string // http://127.0.0.1:port of `webotp serve --dev`
	verifierLH  string // the same verifier as http://localhost:port
	pages       string // http://localhost:port of the page server
	pageServer  *pageServer
	browser     context.Context
	verifierLog *syncBuffer

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
	stop()
	if code != 0 && h.verifierLog != nil {
		fmt.Fprintf(os.Stderr, "--- verifier output (last 4 KiB) ---\n%s\n", h.verifierLog.tail(4096))
	}
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

	bin := filepath.Join(tmp, "webotp")
	build := exec.Command("go", "build", "-o", bin, "./verifier/cmd/webotp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("go build ./verifier/cmd/webotp: %w\n%s", err, out))
	}

	pagesLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("page server: %w", err))
	}
	pagesPort := pagesLn.Addr().(*net.TCPAddr).Port
	h.pages = fmt.Sprintf("http://localhost:%d", pagesPort)

	// The verifier, on a port found free a moment before: another process
	// may take it in between, so a bind failure picks another port.
	for attempt := 1; ; attempt++ {
		stopVerifier, err := h.startVerifier(bin)
		if err == nil {
			stops = append(stops, stopVerifier)
			break
		}
		if attempt == 5 || h.verifierLog == nil || !strings.Contains(h.verifierLog.tail(4096), "address already in use") {
			return fail(err)
		}
	}

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

// startVerifier starts `webotp serve --dev` on a free port and waits until
// it answers /healthz.
func (h *harness) startVerifier(bin string) (stop func(), err error) {
	verifierPort, err := freePort()
	if err != nil {
		return nil, err
	}
	h.verifier = fmt.Sprintf("http://127.0.0.1:%d", verifierPort)
	h.verifierLH = fmt.Sprintf("http://localhost:%d", verifierPort)
	h.verifierLog = &syncBuffer{}
	cmd := exec.Command(bin, "serve", "--dev",
		"--addr", fmt.Sprintf("127.0.0.1:%d", verifierPort),
		"--origin", h.pages, "--origin", otherOrigin)
	cmd.Stdout = h.verifierLog
	cmd.Stderr = h.verifierLog
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start verifier: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	if err := waitHealthy(h.verifier+"/healthz", exited, 20*time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("verifier did not start: %w\n%s", err, h.verifierLog.tail(4096))
	}
	return stop, nil
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

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(u string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the process exited")
		default:
		}
		res, err := client.Get(u)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy after %s", u, limit)
}

// syncBuffer collects a child process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
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

type outboxMessage struct {
	To             string `json:"to"`
	Body           string `json:"body"`
	VerificationID string `json:"verification_id"`
	SentAt         string `json:"sent_at"`
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
	msg := h.outboxMessage(t, v.ID)
	return v, codeOf(t, msg.Body)
}

// outboxMessage returns the newest dev outbox message of a verification.
func (h *harness) outboxMessage(t testing.TB, id string) outboxMessage {
	t.Helper()
	res, err := http.Get(h.verifier + "/dev/outbox")
	if err != nil {
		t.Fatalf("GET /dev/outbox: %v", err)
	}
	defer res.Body.Close()
	var list []outboxMessage
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatalf("GET /dev/outbox: %v", err)
	}
	for _, m := range list {
		if m.VerificationID == id {
			return m
		}
	}
	t.Fatalf("no message for verification %s in the dev outbox (%d messages)", id, len(list))
	return outboxMessage{}
}

// codeOf reads the code from the last line of an SMS ("@host #code").
func codeOf(t testing.TB, sms string) string {
	t.Helper()
	lines := strings.Split(sms, "\n")
	for _, f := range strings.Fields(lines[len(lines)-1]) {
		if code, ok := strings.CutPrefix(f, "#"); ok {
			return code
		}
	}
	t.Fatalf("no code in the SMS %q", sms)
	return ""
}
