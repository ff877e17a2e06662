//go:build !linux

package servetest

import "syscall"

// sysProcAttr has nothing to add where the kernel cannot kill a child
// with its parent.
func sysProcAttr() *syscall.SysProcAttr { return nil }
