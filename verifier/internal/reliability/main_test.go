// Package reliability tests the built webotp binary from the outside, over
// loopback HTTP: exact attempt counting under a burst of parallel guesses
// and a graceful shutdown under load. It holds tests only.
package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier/servetest"
)

func TestMain(m *testing.M) { servetest.Main(m) }

// server is one `webotp serve --dev` process on a free loopback port.
type server struct {
	*servetest.Server
	t *testing.T
}

// startDev starts the dev verifier and waits until /healthz answers 200;
// the process is stopped when the test ends.
func startDev(t *testing.T, args ...string) *server {
	t.Helper()
	s := servetest.Start(t, servetest.Options{Args: append([]string{"--dev"}, args...)})
	return &server{Server: s, t: t}
}

// answer is one HTTP answer, with its body decoded as far as the tests need.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		AttemptsLeft *int   `json:"attempts_left"`
		Valid        *bool  `json:"valid"`
		Verification *struct {
			Status       string `json:"status"`
			AttemptsLeft int    `json:"attempts_left"`
		} `json:"verification"`
		Error *struct {
			Code   string `json:"code"`
			Status string `json:"status"`
		} `json:"error"`
	}
}

// do sends one request with the dev API key and reads the whole answer.
func do(c *http.Client, method, url, body string) (*answer, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer dev")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{Status: resp.StatusCode, Header: resp.Header}
	if a.Body, err = io.ReadAll(resp.Body); err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	if err := json.Unmarshal(a.Body, &a.JSON); err != nil {
		return a, fmt.Errorf("%s %s: %d answer is not JSON: %q", method, url, a.Status, a.Body)
	}
	return a, nil
}

// startVerification creates a verification for phone and returns its id,
// its current code (read from the dev outbox) and its attempts.
func (s *server) startVerification(phone string) (id, code string, attempts int) {
	s.t.Helper()
	a, err := do(http.DefaultClient, http.MethodPost, s.URL+"/v1/verifications",
		`{"phone":"`+phone+`","origin":"http://localhost"}`)
	if err != nil {
		s.t.Fatal(err)
	}
	if a.Status != http.StatusCreated || a.JSON.ID == "" || a.JSON.AttemptsLeft == nil {
		s.t.Fatalf("start answered %d %s, want 201 with an id and attempts_left", a.Status, a.Body)
	}
	code, err = s.Code(a.JSON.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return a.JSON.ID, code, *a.JSON.AttemptsLeft
}

// wrongCodes returns n codes of code's length, none equal to code.
func wrongCodes(code string, n int) []string {
	codes := make([]string, 0, n)
	for i := 0; len(codes) < n; i++ {
		c := fmt.Sprintf("%0*d", len(code), i%1000000)
		if len(c) > len(code) {
			c = c[len(c)-len(code):]
		}
		if c != code {
			codes = append(codes, c)
		}
	}
	return codes
}
