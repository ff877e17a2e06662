package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/servetest"
)

var testSecret = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func TestEveryFlagIsDocumentedInREADME(t *testing.T) {
	doc, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs := newServeFlags(&serveConfig{})
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		row := fmt.Sprintf("| `--%s` | `%s` |", f.Name, envName(f.Name))
		if !strings.Contains(string(doc), row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	})
	rows := regexp.MustCompile("(?m)^\\| `--([a-z-]+)`").FindAllStringSubmatch(string(doc), -1)
	for _, r := range rows {
		if fs.Lookup(r[1]) == nil {
			t.Errorf("README.md documents --%s, which does not exist", r[1])
		}
	}
	if n != len(rows) {
		t.Errorf("%d flags, %d documented", n, len(rows))
	}
}

func TestFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{
		"WEBOTP_ADDR": "127.0.0.1:9999", "WEBOTP_STORE": "redis://localhost:6379/0", "WEBOTP_DEV": "true",
		"WEBOTP_ORIGIN": "https://a.example, https://b.example", "WEBOTP_READ_TIMEOUT": "3s",
		"WEBOTP_TWILIO_MESSAGING_SERVICE_SID": "MG1",
	}
	c, _, err := parseServeFlags([]string{"--addr", "127.0.0.1:7777", "--origin", "https://c.example"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" {
		t.Errorf("a flag did not win over its variable: addr %q", c.Addr)
	}
	if c.Store != "redis://localhost:6379/0" || !c.Dev || c.ReadTimeout != 3*time.Second || c.TwilioService != "MG1" {
		t.Errorf("variables not read: %+v", c)
	}
	if strings.Join(c.Origins, " ") != "https://c.example" {
		t.Errorf("origins %v: the flag should replace the variable", c.Origins)
	}

	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		addr string
	}{
		{"the production address is all interfaces", nil, nil, ":8080"},
		{"the dev address is loopback", []string{"--dev"}, nil, "127.0.0.1:8080"},
		{"WEBOTP_DEV turns dev mode on", nil, map[string]string{"WEBOTP_DEV": "1"}, "127.0.0.1:8080"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := parseServeFlags(tt.args, func(k string) string { return tt.env[k] })
			if err != nil || c.Addr != tt.addr {
				t.Errorf("addr %q, err %v; want %q", c.Addr, err, tt.addr)
			}
		})
	}
	if _, _, err := parseServeFlags(nil, func(k string) string { return map[string]string{"WEBOTP_READ_TIMEOUT": "soon"}[k] }); err == nil || !strings.Contains(err.Error(), "WEBOTP_READ_TIMEOUT") {
		t.Errorf("a bad variable: %v", err)
	}
	if _, _, err := parseServeFlags([]string{"extra"}, func(string) string { return "" }); err == nil {
		t.Errorf("an extra argument was accepted")
	}
}

func TestParseKeys(t *testing.T) {
	k32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	k40 := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("k", 40)))
	tests := []struct {
		name, in string
		ids      []string
		wantErr  string
	}{
		{"one bare key gets an id derived from it", k32, []string{"66687aad"}, ""},
		{"a list of id:key keeps its order, the first issuing", "new:" + k40 + ",old:" + k32, []string{"new", "old"}, ""},
		{"URL-safe base64 without padding is accepted", k40, nil, ""},
		{"a short key is refused", base64.StdEncoding.EncodeToString(make([]byte, 31)), nil, "at least 32"},
		{"a key that is not base64 is refused", "not base64 !!!", nil, "not base64"},
		{"an id given twice is refused", "a:" + k32 + ",a:" + k40, nil, "twice"},
		{"an empty entry is refused", k32 + ",", nil, "32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := parseKeys(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), tt.in) && tt.in != "" {
					t.Errorf("the error repeats the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range tt.ids {
				if keys[i].ID != id {
					t.Errorf("key %d id %q, want %q", i, keys[i].ID, id)
				}
			}
			for _, k := range keys {
				if len(k.Secret) < 32 {
					t.Errorf("secret of %d bytes", len(k.Secret))
				}
			}
		})
	}
}

func hashHex(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "apps.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadApps(t *testing.T) {
	good := `{"apps":[{"id":"shop","name":"Shop","api_key_sha256":"` + hashHex("k1") + `","api_keys_sha256":["` + hashHex("k2") + `"],
		"origins":["https://www.example.com"],"countries":["US"],"limits":{"max_attempts":3,"lifetime":"5m"}}]}`
	keys, err := loadApps(writeFile(t, good), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].App != keys[1].App || keys[0].App.Limits.MaxAttempts != 3 || keys[0].App.Limits.Lifetime != 5*time.Minute {
		t.Fatalf("keys %+v", keys)
	}
	tests := []struct {
		name, json, wantErr string
		dev                 bool
	}{
		{"an http origin is refused outside dev mode", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["http://www.example.com"]}]}`, "must use https", false},
		{"an http origin is allowed in dev mode", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["http://localhost:3000"]}]}`, "", true},
		{"an origin with a path is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example/login"]}]}`, "scheme://host", false},
		{"an app without a key hash is refused", `{"apps":[{"id":"a","origins":["https://x.example"]}]}`, "api_key_sha256", false},
		{"a key hash that is not hex is refused", `{"apps":[{"id":"a","api_key_sha256":"xyz","origins":["https://x.example"]}]}`, "64 hex", false},
		{"an app without origins is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `"}]}`, "origin", false},
		{"an app without an id is refused", `{"apps":[{"api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"]}]}`, "id", false},
		{"two apps with one key are refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"]},{"id":"b","api_key_sha256":"` + hashHex("k") + `","origins":["https://y.example"]}]}`, "also the key", false},
		{"an unknown field is refused", `{"apps":[{"id":"a","api_key":"k","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"]}]}`, "/apps/0/api_key: unknown key", false},
		{"a key in another case is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","Origins":["https://x.example"]}]}`, "/apps/0/Origins: unknown key", false},
		{"a key given twice is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"],"origins":["https://y.example"]}]}`, "/apps/0/origins: key given twice", false},
		{"an id given to two apps is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"]},{"id":"a","api_key_sha256":"` + hashHex("k2") + `","origins":["https://x.example"]}]}`, `app "a": id: is also the id of app 1`, false},
		{"a string for a number is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"],"limits":{"max_attempts":"5"}}]}`, "/apps/0/limits/max_attempts: want a whole number", false},
		{"a number for a duration is refused", `{"apps":[{"id":"a","api_key_sha256":"` + hashHex("k") + `","origins":["https://x.example"],"limits":{"lifetime":600}}]}`, `/apps/0/limits/lifetime: a duration is a string like "10m"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadApps(writeFile(t, tt.json), tt.dev)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// server is `webotp serve` running in this process, on a port of its own.
type server struct {
	addr   string
	stderr *servetest.Buffer
	stdout *servetest.Buffer
}

// startInProcess runs serve with args until the test ends.
func startInProcess(t *testing.T, args ...string) *server {
	t.Helper()
	c, _, err := parseServeFlags(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stderr: &servetest.Buffer{}, stdout: &servetest.Buffer{}}
	ready := make(chan string, 1)
	exited := make(chan int, 1)
	go func() { exited <- serve(ctx, c, s.stdout, s.stderr, ready) }()
	select {
	case s.addr = <-ready:
	case code := <-exited:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, s.stderr.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("serve exited with %d:\n%s", code, s.stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, key, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
}

// TestDevModeFlow is the README's curl flow: start, read the code from the
// dev outbox, check, approved.
func TestDevModeFlow(t *testing.T) {
	s := startInProcess(t, "--dev", "--addr", "127.0.0.1:0", "--origin", "https://app.test")
	base := "http://" + s.addr
	_, port, _ := net.SplitHostPort(s.addr)

	for _, o := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port, "http://localhost", "https://localhost", "https://app.test"} {
		r := call(t, "POST", base+"/v1/verifications", "dev", `{"phone":"+14155550123","origin":"`+o+`"}`)
		if r.status != 201 {
			t.Fatalf("start for %s: %d %s", o, r.status, r.body)
		}
	}
	if r := call(t, "POST", base+"/v1/verifications", "dev", `{"phone":"+14155550124","origin":"http://localhost:1"}`); r.status != 403 {
		t.Errorf("an origin on another port: %d %s", r.status, r.body)
	}
	r := call(t, "POST", base+"/v1/verifications", "dev", `{"phone":"+33612345678","origin":"http://localhost:`+port+`"}`)
	var v struct{ ID, Status string }
	r.decode(t, &v)
	if r.status != 201 || v.Status != "pending" {
		t.Fatalf("start: %d %s", r.status, r.body)
	}

	out := call(t, "GET", base+"/dev/outbox", "", "")
	if out.status != 200 || out.header.Get("Content-Type") != "application/json" {
		t.Fatalf("outbox: %d %v", out.status, out.header)
	}
	var msgs []struct {
		To, Body       string
		VerificationID string `json:"verification_id"`
		SentAt         string `json:"sent_at"`
	}
	out.decode(t, &msgs)
	if len(msgs) != 6 || msgs[0].VerificationID != v.ID || msgs[0].To != "+33612345678" {
		t.Fatalf("outbox (newest first): %s", out.body)
	}
	if _, err := time.Parse(time.RFC3339, msgs[0].SentAt); err != nil {
		t.Errorf("sent_at %q", msgs[0].SentAt)
	}
	m := regexp.MustCompile(`(?m)^@localhost #(\d+)$`).FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no code line for localhost in %q", msgs[0].Body)
	}
	if !strings.Contains(s.stdout.String(), "#"+m[1]) {
		t.Errorf("dev mode did not print the message on standard output")
	}

	r = call(t, "POST", base+"/v1/verifications/"+v.ID+"/check", "dev", `{"code":"`+m[1]+`"}`)
	var res struct {
		Valid        bool
		Verification struct{ Status string }
	}
	r.decode(t, &res)
	if r.status != 200 || !res.Valid || res.Verification.Status != "approved" {
		t.Fatalf("check: %d %s", r.status, r.body)
	}

	inbox := call(t, "GET", base+"/dev/inbox", "", "")
	if inbox.status != 200 || !strings.HasPrefix(inbox.header.Get("Content-Type"), "text/html") || !strings.Contains(string(inbox.body), "/dev/outbox") {
		t.Errorf("inbox: %d %v", inbox.status, inbox.header)
	}
	demo := call(t, "GET", base+"/", "", "")
	if demo.status != 200 || !strings.HasPrefix(demo.header.Get("Content-Type"), "text/html") {
		t.Errorf("demo: %d %v", demo.status, demo.header)
	}
	if r := call(t, "GET", base+"/healthz", "", ""); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "webotp listening") || !strings.Contains(log, "dev=true") || !strings.Contains(log, "store=memory") {
		t.Errorf("start not logged:\n%s", log)
	}
}

func TestNothingUnderDevOutsideDevMode(t *testing.T) {
	apps := writeFile(t, `{"apps":[{"id":"a","api_key_sha256":"`+hashHex("k")+`","origins":["https://x.example"]}]}`)
	s := startInProcess(t, "--addr", "127.0.0.1:0", "--config", apps, "--secret", testSecret, "--sender", "console")
	for _, p := range []string{"/dev/outbox", "/dev/inbox", "/", "/index.html", "/demo.js"} {
		if r := call(t, "GET", "http://"+s.addr+p, "", ""); r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := call(t, "POST", "http://"+s.addr+"/v1/verifications", "dev", `{"phone":"+14155550123","origin":"https://x.example"}`); r.status != 401 {
		t.Errorf("the dev key works outside dev mode: %d", r.status)
	}
	r := call(t, "POST", "http://"+s.addr+"/v1/verifications", "k", `{"phone":"+14155550123","origin":"https://x.example"}`)
	if r.status != 201 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if out := s.stdout.String(); strings.Contains(out, "+14155550123") || !strings.Contains(out, "sms to") || strings.Contains(out, "#") {
		t.Errorf("the production console printed a number or a code: %q", out)
	}
	if strings.Contains(s.stderr.String(), testSecret) {
		t.Errorf("the secret was logged")
	}
}

// TestTwoDevInstancesOnOneRedisShareCodes is the README's promise (running
// several instances with Redis): with WEBOTP_SECRET set, dev instances on
// one Redis check each other's codes.
func TestTwoDevInstancesOnOneRedisShareCodes(t *testing.T) {
	rs := redistest.New(t, redistest.Options{})
	store := "redis://" + rs.Addr + "/0"
	a := startInProcess(t, "--dev", "--addr", "127.0.0.1:0", "--store", store, "--secret", testSecret, "--origin", "https://app.test")
	b := startInProcess(t, "--dev", "--addr", "127.0.0.1:0", "--store", store, "--secret", testSecret, "--origin", "https://app.test")
	r := call(t, "POST", "http://"+a.addr+"/v1/verifications", "dev", `{"phone":"+14155550123","origin":"https://app.test"}`)
	var v struct{ ID string }
	r.decode(t, &v)
	if r.status != 201 {
		t.Fatalf("start on a: %d %s", r.status, r.body)
	}
	var msgs []struct{ Body string }
	call(t, "GET", "http://"+a.addr+"/dev/outbox", "", "").decode(t, &msgs)
	m := regexp.MustCompile(`#(\d+)$`).FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	r = call(t, "POST", "http://"+b.addr+"/v1/verifications/"+v.ID+"/check", "dev", `{"code":"`+m[1]+`"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"valid":true`) {
		t.Fatalf("check on b: %d %s", r.status, r.body)
	}
	if !strings.Contains(a.stderr.String(), "store=redis") || strings.Contains(a.stderr.String(), rs.Addr) {
		t.Errorf("the store kind, and only the kind, should be logged:\n%s", a.stderr.String())
	}
	rs.Stop()
	if r := call(t, "GET", "http://"+a.addr+"/readyz", "", ""); r.status != 503 {
		t.Errorf("readyz with Redis stopped: %d %s", r.status, r.body)
	}
}
