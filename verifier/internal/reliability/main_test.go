// Package reliability tests the built webotp binary from the outside, over
// loopback HTTP: exact attempt counting under a burst of parallel guesses
// and a graceful shutdown under load. It holds tests only.
package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier/internal/testnet"
)

// binary is the webotp command built once for every test of the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webotp-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "webotp")
	gobin, err := exec.LookPath("go")
	if err == nil {
		cmd := exec.Command(gobin, "build", "-o", binary, "github.com/webotp/webotp/verifier/cmd/webotp")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err = cmd.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability: build webotp:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one `webotp serve --dev` process on a free loopback port.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	done chan error
}

// startDev starts the dev verifier and waits until /healthz answers 200;
// the process is stopped when the test ends.
func startDev(t *testing.T, args ...string) *server {
	t.Helper()
	addr, err := testnet.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(binary, append([]string{"serve", "--dev", "--addr", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "WEBOTP_SECRET=")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start webotp: %v", err)
	}
	s := &server{t: t, cmd: cmd, base: "http://" + addr, out: out, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		s.done <- nil
		if t.Failed() {
			t.Logf("webotp output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("webotp exited before serving: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("webotp not healthy after 15s: %v\n%s", err, out.String())
		}
	}
}

// answer is one HTTP answer, with its body decoded as far as the tests need.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		AttemptsLeft *int   `json:"attempts_left"`
		Valid        *bool  `json:"valid"`
		Verification *struct {
			Status       string `json:"status"`
			AttemptsLeft int    `json:"attempts_left"`
		} `json:"verification"`
		Error *struct {
			Code   string `json:"code"`
			Status string `json:"status"`
		} `json:"error"`
	}
}

// do sends one request with the dev API key and reads the whole answer.
func do(c *http.Client, method, url, body string) (*answer, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer dev")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{Status: resp.StatusCode, Header: resp.Header}
	if a.Body, err = io.ReadAll(resp.Body); err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	if err := json.Unmarshal(a.Body, &a.JSON); err != nil {
		return a, fmt.Errorf("%s %s: %d answer is not JSON: %q", method, url, a.Status, a.Body)
	}
	return a, nil
}

// startVerification creates a verification for phone and returns its id,
// its current code (read from the dev outbox) and its attempts.
func (s *server) startVerification(phone string) (id, code string, attempts int) {
	s.t.Helper()
	a, err := do(http.DefaultClient, http.MethodPost, s.base+"/v1/verifications",
		`{"phone":"`+phone+`","origin":"http://localhost"}`)
	if err != nil {
		s.t.Fatal(err)
	}
	if a.Status != http.StatusCreated || a.JSON.ID == "" || a.JSON.AttemptsLeft == nil {
		s.t.Fatalf("start answered %d %s, want 201 with an id and attempts_left", a.Status, a.Body)
	}
	return a.JSON.ID, s.outboxCode(a.JSON.ID), *a.JSON.AttemptsLeft
}

// lastLineCode is the code of an origin-bound message's last line.
var lastLineCode = regexp.MustCompile(`^@\S+ #([^\s#@]+)`)

// outboxCode reads the code sent for verification id from /dev/outbox.
func (s *server) outboxCode(id string) string {
	s.t.Helper()
	resp, err := http.Get(s.base + "/dev/outbox")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []struct {
		Body           string `json:"body"`
		VerificationID string `json:"verification_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		s.t.Fatalf("decode /dev/outbox: %v", err)
	}
	for _, m := range msgs { // newest first
		if m.VerificationID != id {
			continue
		}
		lines := strings.Split(m.Body, "\n")
		if g := lastLineCode.FindStringSubmatch(lines[len(lines)-1]); g != nil {
			return g[1]
		}
		s.t.Fatalf("message for %s has no code on its last line: %q", id, m.Body)
	}
	s.t.Fatalf("/dev/outbox has no message for %s", id)
	return ""
}

// wrongCodes returns n codes of code's length, none equal to code.
func wrongCodes(code string, n int) []string {
	codes := make([]string, 0, n)
	for i := 0; len(codes) < n; i++ {
		c := fmt.Sprintf("%0*d", len(code), i%1000000)
		if len(c) > len(code) {
			c = c[len(c)-len(code):]
		}
		if c != code {
			codes = append(codes, c)
		}
	}
	return codes
}

// syncBuffer is a bytes.Buffer safe for a process's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// sigterm asks the server to stop and returns a channel with its exit
// error (nil for exit status 0).
func (s *server) sigterm() <-chan error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	c := make(chan error, 1)
	go func() {
		err := <-s.done
		s.done <- err
		c <- err
	}()
	return c
}
