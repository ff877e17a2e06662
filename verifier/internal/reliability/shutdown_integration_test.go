package reliability

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// shutdownWithin bounds how long the server may take to exit after
// SIGTERM once its in-flight requests are answered.
const shutdownWithin = 15 * time.Second

func TestShutdownUnderLoadAnswersEveryAcceptedRequest(t *testing.T) {
	s := startDev(t)
	id, _, _ := s.startVerification("+14155550102")
	addr := s.Addr
	path := "/v1/verifications/" + id
	head := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer dev\r\n"

	// 100 requests surely in flight: each on a connection the server has
	// already answered once (so it was accepted), sent up to the blank line
	// that ends its headers, so the server is reading it when SIGTERM comes.
	const n = 100
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		conns[i], readers[i] = c, bufio.NewReader(c)
		if _, err := io.WriteString(c, head+"\r\n"); err != nil {
			t.Fatal(err)
		}
		if err := readAnswer(readers[i], id); err != nil {
			t.Fatalf("connection %d, first request: %v", i, err)
		}
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
	}

	// Steady load on new connections meanwhile: before SIGTERM every
	// request must succeed; after it a request may be refused (connection
	// refused or reset before an answer), but an answer must be whole.
	var termSent atomic.Bool
	var before, after, refusedAfter atomic.Int64
	var loadErrs sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, err := do(client, http.MethodGet, s.URL+path, "")
				sent := termSent.Load()
				switch {
				case err == nil && a.Status == http.StatusOK && a.JSON.ID == id:
					if sent {
						after.Add(1)
					} else {
						before.Add(1)
					}
				case err != nil && sent && a == nil:
					refusedAfter.Add(1)
				case err != nil:
					loadErrs.Store(err.Error(), true)
				default:
					loadErrs.Store(fmt.Sprintf("%d %s", a.Status, a.Body), true)
				}
			}
		}()
	}

	// Give the server time to read the first bytes of every half-sent
	// request (a connection becomes active on its first byte; an idle one
	// may be closed by the shutdown), even on a loaded machine.
	time.Sleep(time.Second)
	termSent.Store(true)
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	for i, c := range conns {
		if _, err := io.WriteString(c, "\r\n"); err != nil {
			t.Errorf("connection %d: finish the request after SIGTERM: %v", i, err)
			continue
		}
	}
	for i := range conns {
		if err := readAnswer(readers[i], id); err != nil {
			t.Errorf("in-flight request %d got no whole answer after SIGTERM: %v", i, err)
		}
	}
	select {
	case <-s.Done():
		if err := s.Err(); err != nil {
			t.Errorf("webotp exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(shutdownWithin):
		t.Errorf("webotp still running %s after SIGTERM", shutdownWithin)
	}
	close(stop)
	wg.Wait()
	loadErrs.Range(func(k, _ any) bool {
		t.Errorf("load request failed: %v", k)
		return true
	})
	if before.Load() == 0 {
		t.Error("no load request completed before SIGTERM: the test did not load the server")
	}
	t.Logf("load: %d answered before SIGTERM, %d after, %d refused after", before.Load(), after.Load(), refusedAfter.Load())
}

// readAnswer reads one whole HTTP answer and checks it is the 200 JSON
// verification id.
func readAnswer(r *bufio.Reader, id string) error {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("status %d, body cut short: %w", resp.StatusCode, err)
	}
	var v struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.ID != id {
		return fmt.Errorf("answer %d %q, want 200 with verification %s", resp.StatusCode, body, id)
	}
	return nil
}
