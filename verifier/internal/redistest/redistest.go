// Package redistest starts real redis-server processes for tests: each on
// a free port of 127.0.0.1, stopped when the test ends.
//
// A missing redis-server fails the test with instructions; it never skips,
// so a machine without Redis cannot pass the Redis tests by accident.
package redistest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/servetest"
)

// Server is one redis-server process. Stop and Start may be called any
// number of times; the server keeps its port (and, with Persist, its data
// directory) across restarts.
type Server struct {
	// Addr is host:port of the server.
	Addr string
	// CA verifies the server's certificate when Options.TLS is set.
	CA *x509.CertPool

	t       testing.TB
	bin     string
	args    []string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	tls     *tls.Config
}

// Options choose how the server runs. The zero value is an in-memory
// server without persistence.
type Options struct {
	// Persist turns on the append-only file (fsync always) in a temporary
	// directory, so data written before Stop is there after Start.
	Persist bool
	// Cluster runs the server in cluster mode as a one-node cluster that
	// serves all 16384 slots, so that CROSSSLOT rules are enforced.
	Cluster bool
	// TLS serves TLS only (no plain port), with a certificate for
	// 127.0.0.1 signed by a new CA that Server.CA holds.
	TLS bool
}

// Start runs an in-memory redis-server on a free port and returns its
// address and a function that stops it. The server is also stopped when
// the test ends.
func Start(t testing.TB) (addr string, stop func()) {
	t.Helper()
	s := New(t, Options{})
	return s.Addr, s.Stop
}

// New starts a redis-server with opts and returns it running.
// Under -short the test is skipped instead: it needs a real redis-server.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("Redis test: needs redis-server, skipped by -short (make test runs it)")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found: run make test (it installs it) or apt-get install redis-server")
	}
	dir := t.TempDir()
	s := &Server{
		t:       t,
		bin:     bin,
		logPath: filepath.Join(dir, "redis.log"),
	}
	if opts.TLS {
		s.CA = writeCert(t, dir)
		s.tls = &tls.Config{RootCAs: s.CA, ServerName: "127.0.0.1"}
	}
	// setAddr makes the command line for addr, a port of 127.0.0.1.
	setAddr := func(addr string) {
		_, port, _ := net.SplitHostPort(addr)
		s.Addr = addr
		s.args = []string{
			"--port", port,
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--logfile", s.logPath,
			"--daemonize", "no",
			"--protected-mode", "yes",
		}
		if opts.Persist {
			s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
		} else {
			s.args = append(s.args, "--appendonly", "no")
		}
		if opts.TLS {
			s.args[1] = "0"
			s.args = append(s.args, "--tls-port", port,
				"--tls-cert-file", filepath.Join(dir, "cert.pem"),
				"--tls-key-file", filepath.Join(dir, "key.pem"),
				"--tls-auth-clients", "no")
		}
		if opts.Cluster {
			s.args = append(s.args, "--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes.conf"))
		}
	}
	t.Cleanup(s.Stop)
	// Another process may take the free port before redis-server binds it:
	// then try another.
	for attempt := 1; ; attempt++ {
		addr, err := servetest.FreeAddr()
		if err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		setAddr(addr)
		err = s.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "already in use") {
			t.Fatal(err)
		}
	}
	if opts.Cluster {
		if out, err := s.Command("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || out != "OK" {
			t.Fatalf("redistest: assign slots: %q %v", out, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := s.Command("CLUSTER", "INFO")
			if err == nil && strings.Contains(out, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: cluster never became ok: %q %v", out, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s
}

// Start runs the server (again) on its port and waits until it answers
// PING. It fails the test if the server does not come up within 10 s.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(s.bin, s.args...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := s.command("PING"); err == nil && out == "PONG" {
			return nil
		}
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("redistest: redis-server exited: %s %s", stderr.String(), s.log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: redis-server on %s did not answer PING within 10 s: %s", s.Addr, s.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: whatever was not yet written is lost,
// as in a crash) and waits until its process has exited.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	<-s.done
	s.cmd = nil
}

// Freeze stops the server process (SIGSTOP) without closing its sockets:
// clients connect and send, but no reply comes, as with a hung server or a
// lost network. Thaw resumes it. Stop also thaws.
func (s *Server) Freeze() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("redistest: signal %v: server not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: signal %v: %v", sig, err)
	}
}

// Command sends one command to the server over a new connection and
// returns its reply as text: simple strings and integers as they are,
// bulk strings as their content, errors as a Go error.
func (s *Server) Command(args ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.command(args...)
}

func (s *Server) command(args ...string) (string, error) {
	var c net.Conn
	var err error
	if s.tls != nil {
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", s.Addr, s.tls)
	} else {
		c, err = net.DialTimeout("tcp", s.Addr, time.Second)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redistest: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("redistest: unsupported reply %q", line)
	}
}

// Info returns the value of one field of INFO (for example
// "used_memory"), or fails the test.
func (s *Server) Info(field string) string {
	s.t.Helper()
	out, err := s.Command("INFO")
	if err != nil {
		s.t.Fatalf("redistest: INFO: %v", err)
	}
	for _, line := range strings.Split(out, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	s.t.Fatalf("redistest: INFO has no field %q", field)
	return ""
}

func (s *Server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// writeCert writes cert.pem and key.pem for 127.0.0.1 into dir, signed by
// a new CA, and returns a pool with that CA.
func writeCert(t testing.TB, dir string) *x509.CertPool {
	t.Helper()
	cert, pool := fakes.TLSCert(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return pool
}

// CPU returns the CPU time the server has used, user and system (INFO
// used_cpu_user and used_cpu_sys), or fails the test.
func (s *Server) CPU() time.Duration {
	s.t.Helper()
	var total time.Duration
	for _, f := range []string{"used_cpu_user", "used_cpu_sys"} {
		x, err := strconv.ParseFloat(s.Info(f), 64)
		if err != nil {
			s.t.Fatalf("redistest: INFO %s: %v", f, err)
		}
		total += time.Duration(x * float64(time.Second))
	}
	return total
}

// CPUMeter measures the CPU time a benchmark costs this process (client)
// and the server, per operation: a store's cost on a path is both.
type CPUMeter struct {
	srv          *Server
	self, server time.Duration
}

// MeasureCPU starts measuring; call it after the benchmark's setup.
func (s *Server) MeasureCPU() *CPUMeter {
	return &CPUMeter{srv: s, self: processCPU(), server: s.CPU()}
}

// Report reports the CPU time per operation since MeasureCPU: of this
// process (client-cpu-ns/op), of the server (redis-cpu-ns/op) and their
// sum (cpu-ns/op).
func (m *CPUMeter) Report(b *testing.B) {
	self := processCPU() - m.self
	server := m.srv.CPU() - m.server
	n := float64(b.N)
	b.ReportMetric(float64(self)/n, "client-cpu-ns/op")
	b.ReportMetric(float64(server)/n, "redis-cpu-ns/op")
	b.ReportMetric(float64(self+server)/n, "cpu-ns/op")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
