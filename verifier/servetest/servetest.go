// Package servetest runs `webotp serve` for tests, as net/http/httptest
// runs a handler: the binary is built once per test binary, each server
// listens on a free loopback port, is ready (its /healthz answers 200)
// when Start returns, keeps its output in Buffers and is stopped when the
// test ends.
//
// A package whose tests use it calls Main from its TestMain, so that the
// binary built for them is removed afterwards:
//
//	func TestMain(m *testing.M) { servetest.Main(m) }
//
// Tests that start processes live in files named *_integration_test.go.
package servetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/verifier/sms"
)

// The bounds of a server's life: how long it may take to answer its ready
// path after it starts, and to exit after SIGTERM before it is killed.
const (
	StartTimeout = 20 * time.Second
	StopTimeout  = 20 * time.Second
)

// bindAttempts is how many free ports Start tries when another process
// takes the one it picked before the server binds it.
const bindAttempts = 5

// build is the binary built for this test binary: once, by the first test
// that needs it, and removed by Cleanup. It is the package's only state,
// because "once per test binary" is what it is for.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of the webotp command, built on the first call
// (`go build` of ./verifier/cmd/webotp into a temporary directory, which
// Cleanup removes).
func Binary() (string, error) {
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "webotp-servetest-")
		if err != nil {
			build.err = fmt.Errorf("servetest: %w", err)
			return
		}
		path := filepath.Join(dir, "webotp")
		out, err := exec.Command("go", "build", "-o", path, "github.com/webotp/webotp/verifier/cmd/webotp").CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			build.err = fmt.Errorf("servetest: go build ./verifier/cmd/webotp: %w\n%s", err, out)
			return
		}
		build.dir, build.path = dir, path
	})
	return build.path, build.err
}

// Cleanup removes the binary Binary built, if any. Main calls it; a
// TestMain that cannot use Main calls it after m.Run and after stopping
// the servers it started itself.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Main runs the tests of m, removes the binary built for them and exits
// with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Command returns the webotp command with args, ready to run in an
// environment without the WEBOTP_ variables of the test's own (append to
// its Env to add some). With a ctx that ends, the process is killed.
func Command(ctx context.Context, args ...string) (*exec.Cmd, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = environ()
	return cmd, nil
}

// environ is this process's environment without its WEBOTP_ variables, so
// that a developer's own settings do not change what a test runs.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WEBOTP_") {
			env = append(env, kv)
		}
	}
	return env
}

// Options say how to run `webotp serve`. The zero value runs it with no
// flag but --addr, which outside dev mode fails for want of a secret and
// apps: most tests pass "--dev" at least.
type Options struct {
	// Args are the flags after "serve". --addr is set by Start: do not
	// pass it. Start waits for the "webotp listening" line of the log:
	// keep --log-level at info or debug.
	Args []string
	// Env is added to the environment, which holds none of the test's own
	// WEBOTP_ variables.
	Env []string
	// Addr is the host:port to listen on; empty picks a free port of
	// 127.0.0.1 (and another one when a process takes it first).
	Addr string
	// Ready is the path that answers 200 once the server serves; empty
	// means /healthz. /readyz also waits for the store.
	Ready string
	// FileLimit, when positive, is the file descriptor limit
	// (RLIMIT_NOFILE) the server starts with, set with bash's ulimit.
	FileLimit int
}

// Server is a running `webotp serve` process.
type Server struct {
	// URL is the base URL of the server: http://127.0.0.1:port.
	URL string
	// Addr is its host:port.
	Addr string
	// Stdout and Stderr hold what the process wrote, across restarts:
	// Stderr holds its log, Stdout what dev mode prints.
	Stdout, Stderr *Buffer

	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd.Wait's error, set before done is closed

	logStart int // where this run's log starts in Stderr
}

// Start starts a server with o and returns it ready; it is stopped when
// the test ends, and its log's end is printed when the test has failed.
// A server that does not start fails the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// How the server exits is for the test to check (Stop, Err); a
		// server that does not exit at all is a failure of its own.
		if err := s.Stop(); err != nil && !errors.As(err, new(*exec.ExitError)) {
			t.Errorf("servetest: stop %s: %v", s.Addr, err)
		}
		if t.Failed() {
			t.Logf("webotp serve on %s, the end of its log:\n%s", s.Addr, s.Stderr.Tail(8<<10))
		}
	})
	return s
}

// New starts a server with o and returns it ready. The caller stops it
// with Stop; Start is New for a test.
func New(o Options) (*Server, error) {
	return newServer(o, FreeAddr)
}

// newServer is New with the function that picks a free address.
func newServer(o Options, freeAddr func() (string, error)) (*Server, error) {
	if _, err := Binary(); err != nil {
		return nil, err
	}
	s := &Server{opts: o, Stdout: &Buffer{}, Stderr: &Buffer{}}
	if o.Addr != "" {
		s.setAddr(o.Addr)
		if err := s.start(); err != nil {
			return nil, err
		}
		return s, nil
	}
	// The port is free when FreeAddr returns, but another process may bind
	// it before the server does: then the server exits, and another port
	// is tried.
	for attempt := 1; ; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		s.setAddr(addr)
		err = s.start()
		if err == nil {
			return s, nil
		}
		if attempt == bindAttempts || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
		s.Stdout.Reset()
		s.Stderr.Reset()
	}
}

func (s *Server) setAddr(addr string) { s.Addr, s.URL = addr, "http://"+addr }

// start runs the process on s.Addr and waits until it is ready. On an
// error the process has exited.
func (s *Server) start() error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	argv := append([]string{bin, "serve", "--addr", s.Addr}, s.opts.Args...)
	if s.opts.FileLimit > 0 {
		argv = append([]string{"bash", "-c", `ulimit -n ` + strconv.Itoa(s.opts.FileLimit) + ` && exec "$0" "$@"`}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(environ(), s.opts.Env...)
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	cmd.SysProcAttr = sysProcAttr()
	s.logStart = len(s.Stderr.String())
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("servetest: start webotp serve: %w", err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.err = cmd, done, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(done)
	}()
	if err := s.waitReady(done, StartTimeout); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return err
	}
	return nil
}

// WaitReady polls the ready path (Options.Ready, or /healthz) until it
// answers 200, the process exits or within passes: after a flood or a
// store outage, the server serves again.
func (s *Server) WaitReady(within time.Duration) error {
	return s.waitReady(s.Done(), within)
}

func (s *Server) waitReady(done <-chan struct{}, within time.Duration) error {
	path := s.opts.Ready
	if path == "" {
		path = "/healthz"
	}
	// A request in flight is abandoned when the process exits.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		err := s.ready(ctx, client, path)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("servetest: webotp serve on %s exited before it was ready (%v):\n%s", s.Addr, s.Err(), s.Stderr.Tail(8<<10))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("servetest: webotp serve on %s not ready after %v: %v\n%s", s.Addr, within, err, s.Stderr.Tail(8<<10))
		}
	}
}

// ready asks path once whether the server is ready.
func (s *Server) ready(ctx context.Context, client *http.Client, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", path, resp.StatusCode)
	}
	// Another process may have bound the address first and answered: the
	// server has listened when it says so.
	if !strings.Contains(s.Stderr.String()[s.logStart:], "webotp listening") {
		return errors.New("the server has not logged that it listens")
	}
	return nil
}

// Done returns a channel closed when the process has exited.
func (s *Server) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// Err returns how the process exited once Done is closed: nil for status
// 0, an *exec.ExitError otherwise. Before that it returns nil.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// PID returns the process id of the server.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Signal(sig)
}

// Stop sends SIGTERM, waits up to StopTimeout for the process to exit, then
// kills it, and returns how it exited (nil for status 0). Stopping a
// server that has exited returns how it exited.
func (s *Server) Stop() error {
	done := s.Done()
	select {
	case <-done:
		return s.Err()
	default:
	}
	_ = s.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return s.Err()
	case <-time.After(StopTimeout):
	}
	s.mu.Lock()
	_ = s.cmd.Process.Kill()
	s.mu.Unlock()
	<-done
	return fmt.Errorf("servetest: webotp serve on %s did not exit %v after SIGTERM: killed", s.Addr, StopTimeout)
}

// Restart stops the server (as Stop does, failing when it does not exit
// with status 0) and starts it again on the same address with the same
// options.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return fmt.Errorf("servetest: restart %s: %w", s.Addr, err)
	}
	return s.start()
}

// Outbox returns the messages of the dev outbox (GET /dev/outbox), newest
// first. The server must run with --dev.
func (s *Server) Outbox() ([]sms.OutboxMessage, error) {
	resp, err := http.Get(s.URL + "/dev/outbox")
	if err != nil {
		return nil, fmt.Errorf("servetest: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("servetest: GET /dev/outbox answered %d", resp.StatusCode)
	}
	var msgs []sms.OutboxMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return nil, fmt.Errorf("servetest: GET /dev/outbox: %w", err)
	}
	return msgs, nil
}

// Code returns the code of the newest dev outbox message of verification
// id, read from its last line (@host #code) as the WICG text reads it.
func (s *Server) Code(id string) (string, error) {
	msgs, err := s.Outbox()
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.VerificationID != id {
			continue
		}
		otp, err := otpmsg.ParseSpec(m.Body)
		if err != nil {
			return "", fmt.Errorf("servetest: the message for %s has no code on its last line: %w: %q", id, err, m.Body)
		}
		return otp.Code, nil
	}
	return "", fmt.Errorf("servetest: no message for %s in the dev outbox (%d messages)", id, len(msgs))
}

// Ports below Linux's ephemeral range (32768-60999): the kernel never hands
// them out for outgoing connections or port 0, so a port found free here is
// not taken by another test's client between the check and the server's
// own bind.
const (
	lowPort  = 20000
	highPort = 32767
)

// FreeAddr returns a 127.0.0.1 address whose port is free now and outside
// the ephemeral range, for a server that a test starts as another process
// (webotp serve, redis-server). A test that listens itself listens on
// 127.0.0.1:0 instead.
func FreeAddr() (string, error) {
	for range 100 {
		port := lowPort + rand.IntN(highPort-lowPort+1)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			return "", fmt.Errorf("servetest: close %s: %w", addr, err)
		}
		return addr, nil
	}
	return "", fmt.Errorf("servetest: no free port in %d-%d after 100 tries", lowPort, highPort)
}
