package testnet

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeAddrIsALoopbackPortBelowTheEphemeralRange(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	if host != "127.0.0.1" || p < lowPort || p > highPort {
		t.Fatalf("FreeAddr() = %s, want 127.0.0.1 and a port in %d-%d", addr, lowPort, highPort)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the address is not free: %v", err)
	}
	l.Close()
}
