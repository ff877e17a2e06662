package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier/servetest"
)

// The tests of this file run the webotp binary, built once by servetest.

func TestMain(m *testing.M) { servetest.Main(m) }

// command is the webotp binary with args, in an environment without the
// test's own WEBOTP_ variables.
func command(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	cmd, err := servetest.Command(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// startProcess starts `webotp serve` with a JSON log, env and args.
func startProcess(t *testing.T, env []string, args ...string) *servetest.Server {
	t.Helper()
	return servetest.Start(t, servetest.Options{Env: env, Args: append([]string{"--log-format", "json"}, args...)})
}

// stop sends sig to s and wants it to exit with status 0 and log it.
func stop(t *testing.T, s *servetest.Server, sig os.Signal) {
	t.Helper()
	if err := s.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
		if err := s.Err(); err != nil {
			t.Fatalf("webotp exited with %v:\n%s", err, s.Stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("webotp did not stop:\n%s", s.Stderr)
	}
	if !strings.Contains(s.Stderr.String(), `"msg":"webotp stopped"`) {
		t.Errorf("stop not logged:\n%s", s.Stderr)
	}
}

func TestServeRefusesBadConfigurations(t *testing.T) {
	apps := writeFile(t, `{"apps":[{"id":"a","api_key_sha256":"`+hashHex("k")+`","origins":["https://x.example"]}]}`)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"dev mode refuses all interfaces", []string{"--dev", "--addr", ":0"}, nil, "loopback only"},
		{"dev mode refuses a public address", []string{"--dev", "--addr", "0.0.0.0:0"}, nil, "loopback only"},
		{"production needs a secret", []string{"--addr", "127.0.0.1:0", "--config", apps, "--sender", "console"}, nil, "WEBOTP_SECRET"},
		{"production needs an app", []string{"--addr", "127.0.0.1:0", "--sender", "console"}, []string{"WEBOTP_SECRET=" + testSecret}, "no app"},
		{"production needs a sender", []string{"--addr", "127.0.0.1:0", "--config", apps}, []string{"WEBOTP_SECRET=" + testSecret}, "sender is required"},
		{"a short secret is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--secret", "c2hvcnQ="}, nil, "at least 32"},
		{"an unknown store is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--store", "mysql://x"}, nil, "--store"},
		{"an unknown sender is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--sender", "pigeon"}, nil, "--sender"},
		{"a webhook without a secret is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--sender", "webhook", "--webhook-url", "https://x.example/"}, nil, "--webhook-secret"},
		{"twilio without credentials is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--sender", "twilio"}, nil, "twilio"},
		{"a bad log level is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--log-level", "loud"}, nil, "--log-level"},
		{"a bad dev origin is refused", []string{"--dev", "--addr", "127.0.0.1:0", "--origin", "localhost:3000"}, nil, "origin"},
		{"an unknown flag is a usage error", []string{"--colour"}, nil, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := command(t, context.Background(), append([]string{"serve"}, tt.args...)...)
			cmd.Env = append(cmd.Env, tt.env...)
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want status 2; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestServeRefusesABadAppNamingAppAndField starts webotp serve with apps
// files that would fail every request (or bind codes to another site): it
// exits with status 2 before listening, naming the app and the field.
func TestServeRefusesABadAppNamingAppAndField(t *testing.T) {
	// shop is the members of the second app, but for its key.
	const shop = `"id":"shop","origins":["https://www.example.com"]`
	tests := []struct {
		name, shop, want string
	}{
		{"a text that binds the code to another site", shop + `,"text":"Your code: @evil.example #{code}"`, `app "shop": text: `},
		{"a text with an OTP line of its own", shop + `,"text":"Code {code}\n@evil.example #123456"`, `app "shop": text: `},
		{"a name the text turns into an OTP line", shop + `,"name":"@evil.example #1"`, `app "shop": name: `},
		{"an app hash of the wrong length", shop + `,"app_hash":"abc"`, `app "shop": app_hash: `},
		{"a link_url on none of the app's origins", shop + `,"link_url":"https://evil.example/verify"`, `app "shop": link_url: `},
		{"an app hash that is not base64", shop + `,"app_hash":"FA-9qCX9VS_"`, `app "shop": app_hash: `},
		{"an unknown country", shop + `,"countries":["US","XX"]`, `app "shop": countries[1]: `},
		{"an origin with a path", `"id":"shop","origins":["https://www.example.com/login"]`, `app "shop": origins[0]: `},
		{"an origin with a query", `"id":"shop","origins":["https://www.example.com?a=1"]`, `app "shop": origins[0]: `},
		{"an origin with a fragment", `"id":"shop","origins":["https://www.example.com#top"]`, `app "shop": origins[0]: `},
		{"an origin with a user", `"id":"shop","origins":["https://me@www.example.com"]`, `app "shop": origins[0]: `},
		{"an origin with a trailing dot", `"id":"shop","origins":["https://www.example.com."]`, `app "shop": origins[0]: `},
		{"an origin in capitals", `"id":"shop","origins":["https://www.example.com","https://Pay.Example.net"]`, `app "shop": origins[1]: "https://Pay.Example.net" is not written as browsers send it: write "https://pay.example.net"`},
		{"an origin with its default port", `"id":"shop","origins":["https://www.example.com:443"]`, `app "shop": origins[0]: `},
		{"an http origin", `"id":"shop","origins":["http://www.example.com"]`, `app "shop": origins[0]: `},
		{"a code of 12 digits", shop + `,"limits":{"code_length":12}`, `app "shop": limits.code_length: `},
		{"a lifetime of an hour", shop + `,"limits":{"lifetime":"1h"}`, `app "shop": limits.lifetime: `},
		{"a thousand attempts", shop + `,"limits":{"max_attempts":1000}`, `app "shop": limits.max_attempts: `},
		{"a negative number of sends", shop + `,"limits":{"max_sends":-1}`, `app "shop": limits.max_sends: `},
		{"an id with a space", `"id":"the shop","origins":["https://www.example.com"]`, `app "the shop": id: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"apps":[{"id":"ok","api_key_sha256":"` + hashHex("k0") + `","origins":["https://ok.example"]},
				{"api_key_sha256":"` + hashHex("k") + `",` + tt.shop + `}]}`
			// A server that starts is killed after a while: a failure, not a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := command(t, ctx, "serve", "--addr", "127.0.0.1:0", "--config", writeFile(t, body), "--sender", "console")
			cmd.Env = append(cmd.Env, "WEBOTP_SECRET="+testSecret)
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want status 2; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if strings.Contains(string(out), "listening") {
				t.Errorf("it listened before refusing:\n%s", out)
			}
		})
	}
}

func TestNegativeConnectionLimitsAreRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--max-conns", "-1"},
		{"--max-conns-per-ip", "-5"},
		{"--idle-timeout", "-1s"},
	} {
		cmd := command(t, context.Background(), append([]string{"serve", "--dev", "--addr", "127.0.0.1:0"}, args...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: exit %v, want status 2:\n%s", args, err, out)
		}
	}
}

func TestTheBinaryStopsCleanlyOnSIGINTAndSIGTERM(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startProcess(t, nil, "--dev")
			if r := call(t, "GET", s.URL+"/readyz", "", ""); r.status != 200 {
				t.Fatalf("readyz: %d", r.status)
			}
			stop(t, s, sig)
		})
	}
}

// TestShutdownUnderLoadFailsNoInFlightRequest holds 200 requests inside
// the sender (a slow webhook), sends SIGTERM, then lets them finish: every
// one must answer 201 and the process exit 0.
func TestShutdownUnderLoadFailsNoInFlightRequest(t *testing.T) {
	const n = 200
	var arrived atomic.Int32
	release := make(chan struct{})
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release
		w.WriteHeader(204)
	})}
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hook.Serve(hln)
	defer hook.Close()

	apps := writeFile(t, `{"apps":[{"id":"load","api_key_sha256":"`+hashHex("k")+`","origins":["https://x.example"]}]}`)
	s := startProcess(t, []string{"WEBOTP_SECRET=" + testSecret},
		"--config", apps, "--sender", "webhook",
		"--webhook-url", "http://"+hln.Addr().String()+"/sms", "--webhook-secret", "s")

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: n, MaxIdleConnsPerHost: n}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"phone":"+3361%07d","origin":"https://x.example"}`, i)
			req, _ := http.NewRequest("POST", s.URL+"/v1/verifications", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	deadline := time.Now().Add(15 * time.Second)
	for arrived.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := arrived.Load(); got != n {
		close(release)
		t.Fatalf("only %d of %d requests reached the sender", got, n)
	}
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server is shutting down with every request in flight
	if r, err := http.Get(s.URL + "/healthz"); err == nil {
		r.Body.Close()
		t.Errorf("a new connection was accepted during shutdown")
	}
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || statuses[i] != 201 {
			t.Errorf("request %d: status %d, err %v", i, statuses[i], errs[i])
		}
	}
	select {
	case <-s.Done():
		if err := s.Err(); err != nil {
			t.Fatalf("exit: %v\n%s", err, s.Stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("webotp did not exit")
	}
}

// holdConnections opens up to n bare TCP connections to addr (sending
// nothing, as a flood does) and returns those that opened.
func holdConnections(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	d := net.Dialer{Timeout: 2 * time.Second}
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			continue
		}
		conns = append(conns, c)
	}
	return conns
}

// devVerification starts a verification on a dev server, reads its code
// from the outbox and checks it: the whole API works.
func devVerification(t *testing.T, s *servetest.Server) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	r := call(t, "POST", s.URL+"/v1/verifications", "dev", `{"phone":"+14155550199","origin":"http://localhost:`+port+`"}`)
	var v struct{ ID string }
	r.decode(t, &v)
	if r.status != 201 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	msgs, err := s.Outbox()
	if err != nil || len(msgs) == 0 || msgs[0].VerificationID != v.ID {
		t.Fatalf("outbox: %+v, %v", msgs, err)
	}
	code, err := s.Code(v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r = call(t, "POST", s.URL+"/v1/verifications/"+v.ID+"/check", "dev", `{"code":"`+code+`"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"valid":true`) {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
}

// outlives wants s running while conns are open (what says how they
// strain it), then, once they are closed, answering /healthz and the whole
// API again.
func outlives(t *testing.T, s *servetest.Server, conns []net.Conn, what string) {
	t.Helper()
	select {
	case <-s.Done():
		t.Fatalf("webotp exited %s: %v\n%s", what, s.Err(), s.Stderr)
	default:
	}
	for _, c := range conns {
		c.Close()
	}
	if err := s.WaitReady(15 * time.Second); err != nil {
		t.Fatalf("/healthz did not come back: %v", err)
	}
	devVerification(t, s)
}

// TestAFloodUnderALowFileLimitLeavesTheServerRunning starts webotp with
// 256 file descriptors and opens 400 connections: the server must keep
// running, and once they close answer /healthz and a check.
func TestAFloodUnderALowFileLimitLeavesTheServerRunning(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to lower the file limit of the subprocess")
	}
	s := servetest.Start(t, servetest.Options{
		Args:      []string{"--log-format", "json", "--dev", "--max-conns-per-ip", "0"},
		FileLimit: 256,
	})
	conns := holdConnections(t, s.Addr, 400)
	if len(conns) < 256 {
		t.Logf("%d of 400 connections opened", len(conns))
	}
	// Connections past the cap were answered 503 and closed by the server.
	refused := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		b := make([]byte, 64)
		if n, _ := c.Read(b); strings.HasPrefix(string(b[:n]), "HTTP/1.1 503") {
			refused++
		}
	}
	outlives(t, s, conns, "under the flood")
	if refused == 0 {
		t.Errorf("no connection was refused with a 503 past the cap")
	}
	log := s.Stderr.String()
	if n := strings.Count(log, "refusing connections"); n != 1 {
		t.Errorf("refusals logged %d times, want once:\n%s", n, log)
	}
	if !strings.Contains(log, `"max_conns":192`) {
		t.Errorf("the connection cap was not fitted to the file limit:\n%s", log)
	}
	stop(t, s, syscall.SIGTERM)
}
