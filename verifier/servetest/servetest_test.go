package servetest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestABufferKeepsConcurrentWritesWhole(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for j := range 50 {
				fmt.Fprintf(&b, "writer %d line %d\n", i, j)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 20*50 {
		t.Fatalf("%d lines, want %d", len(lines), 20*50)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "writer ") {
			t.Fatalf("a line was interleaved with another: %q", l)
		}
	}
}

func TestTail(t *testing.T) {
	for _, tt := range []struct {
		name, written string
		n             int
		want          string
	}{
		{"a short log is shown whole", "one\ntwo\n", 100, "one\ntwo\n"},
		{"a long log is cut at the start of a line", "first line\nsecond\nthird\n", 10, "third\n"},
		{"a log of one long line is cut inside it", "abcdefghij", 4, "ghij"},
		{"nothing written is nothing shown", "", 10, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b Buffer
			b.Write([]byte(tt.written))
			if got := b.Tail(tt.n); got != tt.want {
				t.Errorf("Tail(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

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
