package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier/servetest"
)

// flakyListener fails its first accepts with err, then accepts for real.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
	err   error
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestServeOutlivesAcceptErrorsThatGoAway runs out of file descriptors
// for a while: Serve must retry, log once for the burst, and serve the
// request waiting after it.
func TestServeOutlivesAcceptErrorsThatGoAway(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"too many open files in the process", &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}},
		{"too many open files in the system", &net.OpError{Op: "accept", Net: "tcp", Err: syscall.ENFILE}},
		{"a connection aborted before it was accepted", &net.OpError{Op: "accept", Net: "tcp", Err: syscall.ECONNABORTED}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tcp, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln := &flakyListener{Listener: tcp, fails: 5, err: tt.err}
			logs := &servetest.Buffer{}
			srv, err := New(Config{Service: fakeReady{}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
				if err := <-served; err != nil {
					t.Errorf("Serve after Shutdown: %v", err)
				}
			}()
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + tcp.Addr().String() + "/healthz")
			if err != nil {
				t.Fatalf("healthz after the accept errors: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("healthz: %d", resp.StatusCode)
			}
			select {
			case err := <-served:
				t.Fatalf("Serve returned: %v", err)
			default:
			}
			log := logs.String()
			if n := strings.Count(log, "accepting connections fails"); n != 1 {
				t.Errorf("the burst of 5 errors was logged %d times, want once:\n%s", n, log)
			}
			if !strings.Contains(log, "accepting connections again") || !strings.Contains(log, "failed_accepts=5") {
				t.Errorf("the end of the burst was not logged:\n%s", log)
			}
		})
	}
}

func TestAcceptBackoffEndsWhenTheListenerCloses(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gl := newGuardListener(&flakyListener{Listener: tcp, fails: 1 << 30, err: syscall.EMFILE}, slog.New(slog.DiscardHandler), 0, 0)
	done := make(chan error, 1)
	go func() {
		_, err := gl.Accept()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	gl.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept kept retrying after Close")
	}
}

// fakeReady is a Service whose Ready succeeds; no test here reaches the
// others.
type fakeReady struct{ Service }

func (fakeReady) Ready(context.Context) error { return nil }

// dialFrom opens a connection to addr from the loopback address local
// (127.0.0.0/8 is all loopback on Linux).
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// get sends GET path on c and returns the response, its body read.
func get(t *testing.T, c net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("read the body: %v", err)
	}
	return resp
}

func TestThePerIPConnectionCapRefusesOnlyThatIP(t *testing.T) {
	const perIP = 3
	e := newEnv(t, envOptions{tcp: true, config: func(c *Config) { c.MaxConnsPerIP = perIP }})
	var held []net.Conn
	var readers []*bufio.Reader
	for range perIP {
		c := dialFrom(t, "127.0.0.1", e.addr)
		br := bufio.NewReader(c)
		if r := get(t, c, br, "/healthz"); r.StatusCode != 200 {
			t.Fatalf("a connection under the cap: %d", r.StatusCode)
		}
		held, readers = append(held, c), append(readers, br)
	}

	extra := dialFrom(t, "127.0.0.1", e.addr)
	b, _ := io.ReadAll(extra)
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 429")) || !bytes.Contains(b, []byte(`"code":"rate_limited"`)) ||
		!bytes.Contains(b, []byte("Retry-After: 1")) || !bytes.Contains(b, []byte("Content-Type: application/json")) {
		t.Errorf("a connection over the cap: %q", b)
	}

	other := dialFrom(t, "127.0.0.2", e.addr)
	if r := get(t, other, bufio.NewReader(other), "/healthz"); r.StatusCode != 200 {
		t.Errorf("another IP was refused: %d", r.StatusCode)
	}
	if r := get(t, held[0], readers[0], "/healthz"); r.StatusCode != 200 {
		t.Errorf("a held connection stopped answering: %d", r.StatusCode)
	}

	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialFrom(t, "127.0.0.1", e.addr)
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err == nil {
			if r, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && r.StatusCode == 200 {
				break
			}
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its place under the cap")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTheConnectionCapAnswers503(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true, config: func(c *Config) { c.MaxConns = 2 }})
	for range 2 {
		c := dialFrom(t, "127.0.0.1", e.addr)
		if r := get(t, c, bufio.NewReader(c), "/healthz"); r.StatusCode != 200 {
			t.Fatalf("a connection under the cap: %d", r.StatusCode)
		}
	}
	b, _ := io.ReadAll(dialFrom(t, "127.0.0.2", e.addr))
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 503")) || !bytes.Contains(b, []byte(`"code":"server_busy"`)) {
		t.Errorf("a connection over the cap: %q", b)
	}
	if n := strings.Count(e.log.String(), "refusing connections"); n != 1 {
		t.Errorf("refusals logged %d times, want once:\n%s", n, e.log.String())
	}
}

// TestAClientThatWritesItsWholeBodyFirstReads413 is a client like
// Python's urllib: it writes a whole 1 MiB request, then reads. It must
// read the JSON 413, not a connection reset.
func TestAClientThatWritesItsWholeBodyFirstReads413(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true})
	body := `{"phone":"` + strings.Repeat("1", 1<<20) + `"}`
	for _, tt := range []struct{ name, framing, body string }{
		{"with Content-Length", "Content-Length: " + strconv.Itoa(len(body)), body},
		{"chunked", "Transfer-Encoding: chunked", strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 5 {
				c := dialFrom(t, "127.0.0.1", e.addr)
				raw := "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + shopKey +
					"\r\nContent-Type: application/json\r\n" + tt.framing + "\r\n\r\n" + tt.body
				if _, err := io.WriteString(c, raw); err != nil {
					t.Fatalf("try %d: writing the body: %v", i, err)
				}
				b, err := io.ReadAll(c)
				if err != nil {
					t.Fatalf("try %d: reading the answer: %v (read %q)", i, err, b)
				}
				if !bytes.HasPrefix(b, []byte("HTTP/1.1 413")) || !bytes.Contains(b, []byte(`"code":"payload_too_large"`)) {
					t.Fatalf("try %d: answer %q", i, b)
				}
				c.Close()
			}
		})
	}
}

// TestNoRequestBytesInTheLogs sends malformed requests that carry an API
// key and a code, with the logger at debug level: neither may be logged.
func TestNoRequestBytesInTheLogs(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true})
	const key, code = "sk_live_SECRETKEY42", "938271"
	for _, raw := range []string{
		"POST /v1/verifications/x/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nX-Code " + code + "\r\nConnection: close\r\n\r\n",
		"POST /v1/verifications/x/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nContent-Length: x" + code + "\r\n\r\n",
		"POST /v1/verifications/x/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{\"code\":\"" + code + "\"}\r\n0\r\n\r\n",
		"POST /v1/verifications/x/check?code=" + code + " HTTP/1.1 extra\r\nAuthorization: Bearer " + key + "\r\n\r\n",
		"GET\x00 /" + code + " HTTP/1.1\r\nAuthorization: Bearer " + key + "\r\n\r\n",
	} {
		c := dialFrom(t, "127.0.0.1", e.addr)
		_, _ = io.WriteString(c, raw)
		b, _ := io.ReadAll(c)
		if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) {
			t.Errorf("%q: answer %q", raw, b)
		}
	}
	// fasthttp logs after it has answered: give it a moment.
	time.Sleep(100 * time.Millisecond)
	log := e.log.String()
	if !strings.Contains(log, "level=DEBUG") {
		t.Fatalf("nothing was logged at debug level; the test proves nothing:\n%s", log)
	}
	if strings.Contains(log, key) || strings.Contains(log, code) {
		t.Errorf("the logs hold request bytes:\n%s", log)
	}
}

// rawExchange sends raw on a new connection and returns everything the
// server answers until it closes the connection.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c := dialFrom(t, "127.0.0.1", addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (read %q)", err, b)
	}
	return string(b)
}

// TestHEADAnswersLikeGETWithoutABody sends HEAD then GET on one
// connection: the HEAD answer has GET's status, type and length, and the
// GET answer follows its headers at once (HEAD sent no body).
func TestHEADAnswersLikeGETWithoutABody(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true, assets: fstest.MapFS{"webotp.js": {Data: []byte("console.log('webotp')")}}})
	id := e.start(t, phone)
	auth := "Authorization: Bearer " + shopKey + "\r\n"
	for _, tt := range []struct{ name, path, header string }{
		{"healthz", "/healthz", ""},
		{"readyz", "/readyz", ""},
		{"metrics", "/metrics", ""},
		{"a verification", "/v1/verifications/" + id, auth},
		{"an unknown verification", "/v1/verifications/AAAAAAAAAAAAAAAAAAAAAA", auth},
		{"a verification without a key", "/v1/verifications/" + id, ""},
		{"an asset", "/webotp.js", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getOnly := rawExchange(t, e.addr, "GET "+tt.path+" HTTP/1.1\r\nHost: x\r\n"+tt.header+"Connection: close\r\n\r\n")
			both := rawExchange(t, e.addr, "HEAD "+tt.path+" HTTP/1.1\r\nHost: x\r\n"+tt.header+"\r\n"+
				"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			head, rest, ok := strings.Cut(both, "\r\n\r\n")
			if !ok {
				t.Fatalf("no HEAD answer: %q", both)
			}
			if !strings.HasPrefix(rest, "HTTP/1.1 200") {
				t.Errorf("HEAD sent a body: %q", rest)
			}
			gr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(getOnly)), nil)
			if err != nil {
				t.Fatal(err)
			}
			getBody, _ := io.ReadAll(gr.Body)
			hr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(head+"\r\n\r\n")), &http.Request{Method: "HEAD"})
			if err != nil {
				t.Fatal(err)
			}
			if hr.StatusCode != gr.StatusCode || hr.Header.Get("Content-Type") != gr.Header.Get("Content-Type") {
				t.Errorf("HEAD %d %q, GET %d %q", hr.StatusCode, hr.Header.Get("Content-Type"), gr.StatusCode, gr.Header.Get("Content-Type"))
			}
			if tt.name != "metrics" && hr.ContentLength != int64(len(getBody)) {
				// (the metrics change between the two requests)
				t.Errorf("HEAD Content-Length %d, GET body %d bytes", hr.ContentLength, len(getBody))
			}
		})
	}
}

// TestAllowListsOnlyTheMethodsARouteAnswers: a 405 never offers OPTIONS,
// which no route answers.
func TestAllowListsOnlyTheMethodsARouteAnswers(t *testing.T) {
	e := newEnv(t, envOptions{assets: fstest.MapFS{"webotp.js": {Data: []byte("js")}}})
	for _, tt := range []struct{ name, method, path, allow string }{
		{"POST on healthz", "POST", "/healthz", "GET, HEAD"},
		{"DELETE on metrics", "DELETE", "/metrics", "GET, HEAD"},
		{"OPTIONS on the collection", "OPTIONS", "/v1/verifications", "POST"},
		{"PUT on a verification", "PUT", "/v1/verifications/abc", "DELETE, GET, HEAD"},
		{"GET on check", "GET", "/v1/verifications/abc/check", "POST"},
		{"POST on an asset", "POST", "/webotp.js", "GET, HEAD"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, req{method: tt.method, path: tt.path})
			if a.status != 405 || a.errorCode() != "method_not_allowed" || a.header["allow"] != tt.allow {
				t.Errorf("%d %q, Allow %q; want 405 with Allow %q", a.status, a.errorCode(), a.header["allow"], tt.allow)
			}
		})
	}
	if a := e.do(t, req{method: "OPTIONS", path: "/healthz"}); a.status != 405 {
		t.Errorf("OPTIONS is answered: %d", a.status)
	}
}

func TestARefusedHostAnswers421(t *testing.T) {
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.AllowHost = func(h []byte) bool { return string(h) == "good.test" }
	}})
	for _, tt := range []struct {
		name, host, uri string
		status          int
	}{
		{"an allowed Host is served", "good.test", "/healthz", 200},
		{"another Host is refused", "evil.example", "/healthz", 421},
		{"an absolute URI naming another host is refused", "good.test", "http://evil.example/healthz", 421},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rq fasthttp.Request
			rq.SetRequestURI(tt.uri)
			rq.Header.SetHost(tt.host)
			var ctx fasthttp.RequestCtx
			ctx.Init(&rq, nil, nil)
			if tt.uri[0] == '/' {
				ctx.Request.Header.SetHost(tt.host)
			}
			e.srv.Handler()(&ctx)
			a := toAnswer(&ctx.Response)
			if a.status != tt.status || (tt.status == 421 && a.errorCode() != "host_not_allowed") {
				t.Errorf("%d %s", a.status, a.raw)
			}
		})
	}
}

func TestSeparateMetricsAreServedOnTheirListenerOnly(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true, config: func(c *Config) { c.SeparateMetrics = true }})
	if a := e.do(t, req{method: "GET", path: "/metrics"}); a.status != 404 {
		t.Errorf("/metrics on the API listener: %d", a.status)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeMetrics(mln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(ctx)
		<-done
	})
	base := "http://" + mln.Addr().String()
	for _, tt := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/metrics", 200, "webotp_http_requests_total"},
		{"HEAD", "/metrics", 200, ""},
		{"GET", "/healthz", 404, `"not_found"`},
		{"GET", "/v1/verifications/abc", 404, `"not_found"`},
		{"POST", "/metrics", 405, `"method_not_allowed"`},
	} {
		rq, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s %s: %d %.200s", tt.method, tt.path, resp.StatusCode, b)
		}
	}
}
