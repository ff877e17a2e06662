package multiinstance

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/servetest"
)

const apiKey = "multi-instance-test-key"

// phoneHook is the webhook sender's receiver: the phone of every number.
type phoneHook struct {
	mu    sync.Mutex
	codes map[string]string // verification id -> last code
}

func (p *phoneHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		Body           string `json:"body"`
		VerificationID string `json:"verification_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	i := strings.LastIndex(m.Body, "#")
	if i < 0 {
		http.Error(w, "no code", http.StatusBadRequest)
		return
	}
	code, _, _ := strings.Cut(m.Body[i+1:], " ")
	p.mu.Lock()
	p.codes[m.VerificationID] = code
	p.mu.Unlock()
}

func (p *phoneHook) code(t *testing.T, id string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.codes[id]
	if !ok {
		t.Fatalf("no message for %s reached the webhook", id)
	}
	return c
}

func TestMain(m *testing.M) { servetest.Main(m) }

// cluster is a redis-server, a webhook phone and the options two webotp
// processes share.
type cluster struct {
	t      *testing.T
	redis  *redistest.Server
	opts   servetest.Options
	phone  *phoneHook
	client *http.Client
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	srv := redistest.New(t, redistest.Options{Persist: true})
	phone := &phoneHook{codes: map[string]string{}}
	hook := httptest.NewServer(phone)
	t.Cleanup(hook.Close)
	sum := sha256.Sum256([]byte(apiKey))
	config := fmt.Sprintf(`{"apps":[{"id":"shop","name":"Shop","api_key_sha256":%q,"origins":["https://www.example.com"]}]}`,
		hex.EncodeToString(sum[:]))
	configPath := filepath.Join(t.TempDir(), "apps.json")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := base64.StdEncoding.EncodeToString([]byte("multi-instance test secret, 32+ bytes"))
	return &cluster{
		t:     t,
		redis: srv,
		opts: servetest.Options{
			Args: []string{"--store", "redis://" + srv.Addr + "/0", "--config", configPath,
				"--sender", "webhook", "--webhook-url", hook.URL, "--webhook-secret", "hook-secret"},
			Env:   []string{"WEBOTP_SECRET=" + secret},
			Ready: "/readyz",
		},
		phone:  phone,
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}},
	}
}

// start runs one instance on a free port and waits until /readyz answers
// 200.
func (c *cluster) start() *servetest.Server {
	c.t.Helper()
	return servetest.Start(c.t, c.opts)
}

// answer is an HTTP answer with the fields the tests read.
type answer struct {
	status int
	raw    string
	ID     string `json:"id"`
	Status string `json:"status"`
	Valid  *bool  `json:"valid"`
	Error  *struct {
		Code   string `json:"code"`
		Status string `json:"status"`
	} `json:"error"`
	Verification *struct {
		Status       string `json:"status"`
		AttemptsLeft int    `json:"attempts_left"`
	} `json:"verification"`
}

// what sums an answer up: "200 valid:false", "409 not_pending approved".
func (a answer) what() string {
	switch {
	case a.Valid != nil:
		return fmt.Sprintf("%d valid:%v", a.status, *a.Valid)
	case a.Error != nil:
		return strings.TrimSpace(fmt.Sprintf("%d %s %s", a.status, a.Error.Code, a.Error.Status))
	}
	return fmt.Sprintf("%d %s", a.status, a.Status)
}

func (c *cluster) do(method string, in *servetest.Server, path, body string) answer {
	req, err := http.NewRequest(method, in.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return answer{status: 0, raw: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a)
	return a
}

func (c *cluster) startVerification(in *servetest.Server, phone string) (id, code string) {
	c.t.Helper()
	a := c.do("POST", in, "/v1/verifications", `{"phone":"`+phone+`","origin":"https://www.example.com"}`)
	if a.status != http.StatusCreated || a.ID == "" {
		c.t.Fatalf("start on %s: %d %s", in.Addr, a.status, a.raw)
	}
	return a.ID, c.phone.code(c.t, a.ID)
}

func (c *cluster) check(in *servetest.Server, id, code string) answer {
	return c.do("POST", in, "/v1/verifications/"+id+"/check", `{"code":"`+code+`"}`)
}

// TestTwoServeProcessesShareOneRedis runs the operator's setup from the
// README: one redis-server, two `webotp serve --store redis://…` with the
// same WEBOTP_SECRET and apps file, and a client that talks to either.
func TestTwoServeProcessesShareOneRedis(t *testing.T) {
	c := newCluster(t)
	a, b := c.start(), c.start()

	t.Run("a verification started on A is approved on B", func(t *testing.T) {
		c.t = t
		id, code := c.startVerification(a, "+14155550111")
		if got := c.check(b, id, wrong(code, 7)).what(); got != "200 valid:false" {
			t.Fatalf("wrong code on B: %s", got)
		}
		if got := c.check(b, id, code).what(); got != "200 valid:true" {
			t.Fatalf("right code on B: %s", got)
		}
		if got := c.check(a, id, code).what(); got != "409 not_pending approved" {
			t.Fatalf("the same code again on A: %s", got)
		}
		if got := c.do("GET", a, "/v1/verifications/"+id, "").what(); got != "200 approved" {
			t.Fatalf("GET on A: %s", got)
		}
	})

	t.Run("100 parallel wrong guesses split across A and B count exactly", func(t *testing.T) {
		c.t = t
		id, code := c.startVerification(b, "+14155550112")
		const n = 100
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got = map[string]int{}
		)
		gate := make(chan struct{})
		for i := range n {
			in := a
			if i%2 == 1 {
				in = b
			}
			wg.Go(func() {
				<-gate
				w := c.check(in, id, wrongCode(code, i)).what()
				mu.Lock()
				got[w]++
				mu.Unlock()
			})
		}
		close(gate)
		wg.Wait()
		want := map[string]int{"200 valid:false": 5, "409 not_pending max_attempts_reached": n - 5}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d parallel wrong guesses on A and B answered %v, want %v", n, got, want)
		}
		if w := c.check(a, id, code).what(); w != "409 not_pending max_attempts_reached" {
			t.Fatalf("the right code after the guesses: %s", w)
		}
	})

	t.Run("per-phone start limits are shared", func(t *testing.T) {
		c.t = t
		for i := range 5 {
			in := a
			if i%2 == 1 {
				in = b
			}
			c.startVerification(in, "+14155550113")
		}
		for _, in := range []*servetest.Server{a, b} {
			w := c.do("POST", in, "/v1/verifications", `{"phone":"+14155550113","origin":"https://www.example.com"}`)
			if w.what() != "429 rate_limited" {
				t.Errorf("sixth start for one phone on %s: %s", in.Addr, w.raw)
			}
		}
	})

	t.Run("Redis stopped answers 503 and both instances recover when it is back", func(t *testing.T) {
		c.t = t
		id, code := c.startVerification(a, "+14155550114")
		c.redis.Stop()
		for _, in := range []*servetest.Server{a, b} {
			if w := c.do("GET", in, "/readyz", ""); w.status != http.StatusServiceUnavailable {
				t.Errorf("readyz on %s with Redis stopped: %d %s", in.Addr, w.status, w.raw)
			}
			if w := c.check(in, id, wrong(code, 3)).what(); w != "503 store_unavailable" {
				t.Errorf("check on %s with Redis stopped: %s", in.Addr, w)
			}
			if w := c.do("GET", in, "/healthz", ""); w.status != http.StatusOK {
				t.Errorf("healthz on %s with Redis stopped: %d (the process is alive)", in.Addr, w.status)
			}
		}
		c.redis.Start()
		for _, in := range []*servetest.Server{a, b} {
			if err := in.WaitReady(10 * time.Second); err != nil {
				t.Fatalf("%s not ready 10 s after Redis came back: %v", in.Addr, err)
			}
		}
		// The append-only file kept the verification started before.
		if w := c.check(b, id, code).what(); w != "200 valid:true" {
			t.Fatalf("check after Redis came back: %s", w)
		}
	})

	t.Run("under load, a Redis restart costs only 503s while it is down", func(t *testing.T) {
		c.t = t
		var ids []string
		for i := range 10 {
			id, _ := c.startVerification([]*servetest.Server{a, b}[i%2], fmt.Sprintf("+1415555012%d", i))
			ids = append(ids, id)
		}
		var (
			mu     sync.Mutex
			phase  = "before"
			counts = map[string]map[int]int{}
			stop   = make(chan struct{})
			wg     sync.WaitGroup
		)
		for g := range 16 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					in := []*servetest.Server{a, b}[(g+i)%2]
					id := ids[(g+i)%len(ids)]
					var w answer
					if i%2 == 0 {
						w = c.do("GET", in, "/v1/verifications/"+id, "")
					} else {
						w = c.check(in, id, "000000")
					}
					mu.Lock()
					if counts[phase] == nil {
						counts[phase] = map[int]int{}
					}
					counts[phase][w.status]++
					mu.Unlock()
				}
			})
		}
		setPhase := func(p string) {
			mu.Lock()
			phase = p
			mu.Unlock()
		}
		time.Sleep(500 * time.Millisecond)
		setPhase("down")
		c.redis.Stop()
		time.Sleep(time.Second)
		setPhase("restarting")
		c.redis.Start()
		for _, in := range []*servetest.Server{a, b} {
			if err := in.WaitReady(10 * time.Second); err != nil {
				t.Fatalf("%s not ready 10 s after Redis came back: %v", in.Addr, err)
			}
		}
		time.Sleep(200 * time.Millisecond) // let requests in flight during recovery finish
		setPhase("after")
		time.Sleep(time.Second)
		close(stop)
		wg.Wait()
		t.Logf("statuses by phase: %v", counts)
		for p, byStatus := range counts {
			for status, n := range byStatus {
				ok := status == http.StatusOK || status == http.StatusConflict
				if p != "before" && p != "after" {
					ok = ok || status == http.StatusServiceUnavailable
				}
				if !ok {
					t.Errorf("%d answers with status %d %s", n, status, p)
				}
			}
		}
		if counts["down"][http.StatusServiceUnavailable] == 0 {
			t.Errorf("no 503 while Redis was down: %v", counts["down"])
		}
		if counts["after"][http.StatusOK] == 0 {
			t.Errorf("no 200 after Redis came back: %v", counts["after"])
		}
	})

	t.Run("a verifier restart loses no pending verification", func(t *testing.T) {
		c.t = t
		id, code := c.startVerification(a, "+14155550115")
		start := time.Now()
		if err := a.Restart(); err != nil {
			t.Fatal(err)
		}
		t.Logf("graceful stop and start took %v", time.Since(start))
		if w := c.check(a, id, code).what(); w != "200 valid:true" {
			t.Fatalf("check on the restarted instance: %s", w)
		}
	})
}
