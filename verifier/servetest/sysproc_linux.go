package servetest

import "syscall"

// sysProcAttr kills the server when the test binary dies (a go test
// timeout, a ^C): no server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
