// Package testnet finds loopback addresses for servers that tests start as
// separate processes.
package testnet

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// Ports below Linux's ephemeral range (32768-60999): the kernel never hands
// them out for outgoing connections or port 0, so a port found free here is
// not taken by another test's client between the check and the server's
// own bind.
const (
	lowPort  = 20000
	highPort = 32767
)

// FreeAddr returns a 127.0.0.1 address whose port is free now and outside
// the ephemeral range.
func FreeAddr() (string, error) {
	for range 100 {
		port := lowPort + rand.IntN(highPort-lowPort+1)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			return "", fmt.Errorf("testnet: close %s: %w", addr, err)
		}
		return addr, nil
	}
	return "", fmt.Errorf("testnet: no free port in %d-%d after 100 tries", lowPort, highPort)
}
