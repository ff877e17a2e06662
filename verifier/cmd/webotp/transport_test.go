package main

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLoopbackHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		ok   bool
	}{
		{"localhost", true},
		{"localhost:8080", true},
		{"LocalHost:8080", true},
		{"127.0.0.1", true},
		{"127.0.0.1:8080", true},
		{"127.1.2.3:80", true},
		{"[::1]", true},
		{"[::1]:8080", true},
		{"", false},
		{"evil.example", false},
		{"evil.example:8080", false},
		{"localhost.evil.example", false},
		{"localhost.", false},
		{"localhost:", false},
		{"localhost:80x", false},
		{"localhost:8080:8080", false},
		{"127.0.0.1.evil.example", false},
		{"10.0.0.1:8080", false},
		{"0.0.0.0:8080", false},
		{"[::ffff:127.0.0.1]:8080", false},
		{"[::1%lo]:8080", false},
		{"::1", false},
		{"[::2]:8080", false},
	} {
		if got := loopbackHost([]byte(tt.host)); got != tt.ok {
			t.Errorf("loopbackHost(%q) = %v, want %v", tt.host, got, tt.ok)
		}
	}
}

func TestLoopbackOrigin(t *testing.T) {
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"http://localhost:3000", true},
		{"https://localhost", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:5173", true},
		{"", false},
		{"null", false},
		{"http://", false},
		{"https://evil.example", false},
		{"http://localhost.evil.example", false},
		{"http://localhost:3000/path", false},
		{"file://localhost", false},
		{"http://user@localhost", false},
	} {
		if got := loopbackOrigin([]byte(tt.origin)); got != tt.ok {
			t.Errorf("loopbackOrigin(%q) = %v, want %v", tt.origin, got, tt.ok)
		}
	}
}

// TestDevModeAnswersLoopbackHostsOnly is the DNS-rebinding guard: a page
// on a name the attacker points at 127.0.0.1 sends its own Host.
func TestDevModeAnswersLoopbackHostsOnly(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(s.addr)
	for _, tt := range []struct {
		name, host string
		status     int
	}{
		{"localhost with the port is served", "localhost:" + port, 200},
		{"localhost without a port is served", "localhost", 200},
		{"127.0.0.1 is served", "127.0.0.1:" + port, 200},
		{"[::1] is served", "[::1]:" + port, 200},
		{"a rebound name is refused", "rebind.evil.example:" + port, 421},
		{"a rebound name without a port is refused", "rebind.evil.example", 421},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/healthz", "/dev/outbox", "/"} {
				req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
				req.Host = tt.host
				r := do(t, req)
				if r.status != tt.status {
					t.Errorf("%s: %d %.100s", path, r.status, r.body)
				}
				if tt.status == 421 && (!strings.Contains(string(r.body), `"code":"host_not_allowed"`) || r.header.Get("Content-Type") != "application/json") {
					t.Errorf("%s: %v %s", path, r.header, r.body)
				}
			}
			req, _ := http.NewRequest("POST", "http://"+s.addr+"/v1/verifications", strings.NewReader(`{"phone":"+14155550123","origin":"http://localhost:`+port+`"}`))
			req.Host = tt.host
			req.Header.Set("Authorization", "Bearer dev")
			req.Header.Set("Content-Type", "application/json")
			want := 201
			if tt.status != 200 {
				want = tt.status
			}
			if r := do(t, req); r.status != want {
				t.Errorf("start: %d %s", r.status, r.body)
			}
		})
	}
}

func TestTheDevOutboxIsReadableByLoopbackOriginsOnly(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0")
	for _, tt := range []struct {
		name, origin, allowed string
	}{
		{"a page on localhost reads it", "http://localhost:3000", "http://localhost:3000"},
		{"a page on 127.0.0.1 reads it", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"a page on [::1] over https reads it", "https://[::1]:8443", "https://[::1]:8443"},
		{"another site does not", "https://evil.example", ""},
		{"a look-alike name does not", "http://localhost.evil.example", ""},
		{"an opaque origin does not", "null", ""},
		{"a request without an origin gets no CORS header", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+s.addr+"/dev/outbox", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			r := do(t, req)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.allowed {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowed)
			}
			if r.header.Get("Vary") != "Origin" {
				t.Errorf("Vary %q, want Origin", r.header.Get("Vary"))
			}
			if exposed := r.header.Get("Access-Control-Expose-Headers"); (exposed != "") != (tt.allowed != "") {
				t.Errorf("Access-Control-Expose-Headers %q", exposed)
			}
		})
	}
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func TestMetricsAddrServesMetricsThereOnly(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("the metrics address is not logged:\n%s", s.stderr.String())
	}
	if r := call(t, "GET", "http://"+s.addr+"/metrics", "", ""); r.status != 404 {
		t.Errorf("/metrics on --addr: %d", r.status)
	}
	if r := call(t, "GET", "http://"+m[1]+"/metrics", "", ""); r.status != 200 || !strings.Contains(string(r.body), "webotp_http_requests_total") {
		t.Errorf("/metrics on --metrics-addr: %d %.200s", r.status, r.body)
	}
	if r := call(t, "GET", "http://"+m[1]+"/healthz", "", ""); r.status != 404 {
		t.Errorf("/healthz on --metrics-addr: %d", r.status)
	}
	if r := call(t, "GET", "http://"+s.addr+"/healthz", "", ""); r.status != 200 {
		t.Errorf("/healthz on --addr: %d", r.status)
	}
}

func TestWithoutMetricsAddrMetricsAreOnTheMainListener(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0")
	if r := call(t, "GET", "http://"+s.addr+"/metrics", "", ""); r.status != 200 {
		t.Errorf("/metrics: %d", r.status)
	}
}

func TestConnCapFitsTheFileLimit(t *testing.T) {
	for _, tt := range []struct {
		name                     string
		maxConns, fileLimit, cap int
	}{
		{"a high file limit keeps the flag", 10000, 1 << 20, 10000},
		{"a low file limit lowers it, keeping 64 descriptors", 10000, 256, 192},
		{"a file limit of 1024 keeps an eighth", 10000, 1024, 896},
		{"a lower flag is kept", 100, 1024, 100},
		{"no cap becomes the file limit's", 0, 1024, 896},
		{"an unknown file limit keeps the flag", 10000, 0, 10000},
		{"a tiny file limit still leaves one connection", 10000, 32, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := connCap(tt.maxConns, tt.fileLimit); got != tt.cap {
				t.Errorf("connCap(%d, %d) = %d, want %d", tt.maxConns, tt.fileLimit, got, tt.cap)
			}
		})
	}
}

func TestAnIdleConnectionIsClosedAfterIdleTimeout(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0", "--idle-timeout", "300ms")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("the idle connection was not closed: %v", err)
	}
	if !strings.HasPrefix(string(b), "HTTP/1.1 200") {
		t.Errorf("answer %q", b)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", d)
	}
}

func TestTheDevRoutesAnswerHEAD(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0")
	for _, path := range []string{"/dev/outbox", "/dev/inbox", "/", "/healthz"} {
		if r := call(t, "HEAD", "http://"+s.addr+path, "", ""); r.status != 200 || len(r.body) != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", path, r.status, len(r.body))
		}
	}
}
