package servetest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// post sends a dev-key JSON request and returns the status and body.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer dev")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func healthz(t *testing.T, s *Server) int {
	t.Helper()
	resp, err := http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAServerServesOnALoopbackPortUntilStopEndsItCleanly(t *testing.T) {
	s := Start(t, Options{Args: []string{"--dev"}})
	if host, _, _ := net.SplitHostPort(s.Addr); host != "127.0.0.1" || s.URL != "http://"+s.Addr {
		t.Fatalf("Addr %q, URL %q: want 127.0.0.1 and its URL", s.Addr, s.URL)
	}
	if got := healthz(t, s); got != http.StatusOK {
		t.Fatalf("/healthz answered %d", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v, want exit status 0", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done is open after Stop")
	}
	if !strings.Contains(s.Stderr.String(), "webotp stopped") {
		t.Errorf("the log lacks the graceful stop:\n%s", s.Stderr)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// takenAddr returns the address of another server that answers 200 to
// everything, /healthz included.
func takenAddr(t *testing.T) string {
	t.Helper()
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(other.Close)
	return other.Listener.Addr().String()
}

func TestAServerTriesAnotherPortWhenAnotherProcessTookItsOwn(t *testing.T) {
	taken := takenAddr(t)
	picks := 0
	s, err := newServer(Options{Args: []string{"--dev"}}, func() (string, error) {
		picks++
		if picks == 1 {
			return taken, nil
		}
		return FreeAddr()
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Stop()
	if picks != 2 || s.Addr == taken {
		t.Fatalf("%d addresses picked, serving on %s (the taken one is %s): want a second one", picks, s.Addr, taken)
	}
	if strings.Contains(s.Stderr.String(), "address already in use") {
		t.Errorf("the log of the failed attempt was kept:\n%s", s.Stderr)
	}
	if got := healthz(t, s); got != http.StatusOK {
		t.Fatalf("/healthz answered %d", got)
	}
}

func TestAServerOnAnAddressInUseFailsToStartSayingWhy(t *testing.T) {
	s, err := New(Options{Args: []string{"--dev"}, Addr: takenAddr(t)})
	if err == nil {
		s.Stop()
		t.Fatal("a server started on an address in use")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("the error does not say why: %v", err)
	}
}

func TestARestartedServerKeepsItsAddressAndItsLog(t *testing.T) {
	s := Start(t, Options{Args: []string{"--dev"}})
	addr := s.Addr
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr {
		t.Fatalf("restarted on %s, was on %s", s.Addr, addr)
	}
	if got := healthz(t, s); got != http.StatusOK {
		t.Fatalf("/healthz after the restart answered %d", got)
	}
	if n := strings.Count(s.Stderr.String(), "webotp listening"); n != 2 {
		t.Errorf("the log holds %d starts, want both:\n%s", n, s.Stderr)
	}
}

func TestCodeIsTheCodeTheDevOutboxHoldsForAVerification(t *testing.T) {
	s := Start(t, Options{Args: []string{"--dev"}})
	status, body := post(t, s.URL+"/v1/verifications", `{"phone":"+14155550123","origin":"http://localhost"}`)
	var v struct{ ID string }
	if err := json.Unmarshal([]byte(body), &v); status != http.StatusCreated || err != nil {
		t.Fatalf("start: %d %s", status, body)
	}
	msgs, err := s.Outbox()
	if err != nil || len(msgs) != 1 || msgs[0].VerificationID != v.ID {
		t.Fatalf("Outbox() = %+v, %v; want the one message for %s", msgs, err, v.ID)
	}
	code, err := s.Code(v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(msgs[0].Body, "@localhost #"+code) {
		t.Fatalf("Code = %q, not the code of %q", code, msgs[0].Body)
	}
	if status, body := post(t, s.URL+"/v1/verifications/"+v.ID+"/check", `{"code":"`+code+`"}`); status != http.StatusOK || !strings.Contains(body, `"valid":true`) {
		t.Fatalf("check of the code: %d %s", status, body)
	}
	if _, err := s.Code("no-such-id"); err == nil {
		t.Error("Code of a verification without a message returned no error")
	}
}

func TestAServerRunsWithoutTheTestsWEBOTPVariablesButWithEnv(t *testing.T) {
	t.Setenv("WEBOTP_ORIGIN", "https://leaked.example")
	s := Start(t, Options{Args: []string{"--dev"}, Env: []string{"WEBOTP_LOG_FORMAT=json"}})
	if status, body := post(t, s.URL+"/v1/verifications", `{"phone":"+14155550125","origin":"https://leaked.example"}`); status != http.StatusForbidden {
		t.Errorf("an origin from the test's own environment: %d %s, want 403", status, body)
	}
	if !strings.Contains(s.Stderr.String(), `"msg":"webotp listening"`) {
		t.Errorf("WEBOTP_LOG_FORMAT from Env was not read: the log is not JSON:\n%s", s.Stderr)
	}
	cmd, err := Command(context.Background(), "version")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, "WEBOTP_") {
			t.Errorf("Command's environment holds %s", kv)
		}
	}
}

func TestFileLimitIsTheLimitTheServerStartsWith(t *testing.T) {
	s := Start(t, Options{Args: []string{"--dev"}, FileLimit: 256})
	// The connection cap is fitted to the file limit: 256 - 64.
	if !strings.Contains(s.Stderr.String(), "max_conns=192") {
		t.Fatalf("the server did not start with 256 descriptors:\n%s", s.Stderr)
	}
}
