package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is a child process that dies with us: it runs in its own process
// group with a parent-death signal, and stop kills the whole group.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

// startProc starts argv with extra environment and, when ready is not
// empty, waits (up to timeout) for a line starting with ready on its
// standard output. The rest of its output goes to log.
func startProc(ctx context.Context, name string, argv, env []string, ready string, timeout time.Duration, log io.Writer) (*proc, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := ready == ""
		for sc.Scan() {
			line := sc.Text()
			if !found && strings.HasPrefix(line, ready) {
				found = true
				lines <- line
				continue
			}
			fmt.Fprintln(log, line)
		}
		p.done <- cmd.Wait()
	}()
	if ready == "" {
		return p, "", nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line := <-lines:
		return p, line, nil
	case err := <-p.done:
		p.done <- err
		return nil, "", fmt.Errorf("%s exited before it was ready: %v", name, err)
	case <-t.C:
		p.stop()
		return nil, "", fmt.Errorf("%s not ready after %s", name, timeout)
	case <-ctx.Done():
		p.stop()
		return nil, "", ctx.Err()
	}
}

// stop sends SIGTERM to the process group, and SIGKILL if it is still
// there after five seconds.
func (p *proc) stop() {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitListening waits until addr accepts TCP connections.
func waitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %s: %w", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
