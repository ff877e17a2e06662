//go:build linux

package main

import (
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// setFileLimit sets the RLIMIT_NOFILE of the running process pid.
func setFileLimit(t *testing.T, pid int, n uint64) {
	t.Helper()
	l := syscall.Rlimit{Cur: n, Max: n}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_NOFILE,
		uintptr(unsafe.Pointer(&l)), 0, 0, 0); errno != 0 {
		t.Skipf("prlimit: %v", errno)
	}
}

// TestRunningOutOfDescriptorsLeavesTheServerRunning lowers the file
// limit of a running webotp below its connection cap, then opens more
// connections than the limit allows: accept fails with "too many open
// files", which must be retried (and logged once per burst), not end the
// server.
func TestRunningOutOfDescriptorsLeavesTheServerRunning(t *testing.T) {
	s := startProcess(t, nil, "--dev", "--max-conns-per-ip", "0")
	setFileLimit(t, s.PID(), 128)
	conns := holdConnections(t, s.Addr, 300)
	outlives(t, s, conns, "when out of descriptors")
	log := s.Stderr.String()
	fails := strings.Count(log, "accepting connections fails")
	if fails == 0 || !strings.Contains(log, "too many open files") {
		t.Errorf("running out of descriptors was not logged:\n%s", log)
	}
	if again := strings.Count(log, "accepting connections again"); fails > 10 || again < fails-1 {
		t.Errorf("%d bursts logged, %d ends: want one line per burst and its end:\n%s", fails, again, log)
	}
	stop(t, s, syscall.SIGTERM)
}
