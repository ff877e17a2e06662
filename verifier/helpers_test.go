package verifier_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/code"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// counterRand is a deterministic io.Reader: each 16-byte read is a
// distinct id.
type counterRand struct{ n uint64 }

func (r *counterRand) Read(b []byte) (int, error) {
	for i := 0; i < len(b); i += 8 {
		r.n++
		var w [8]byte
		binary.BigEndian.PutUint64(w[:], r.n*0x9E3779B97F4A7C15)
		copy(b[i:], w[:])
	}
	return len(b), nil
}

var (
	key1 = verifier.MasterKey{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}
	key2 = verifier.MasterKey{ID: "k2", Secret: bytes.Repeat([]byte{2}, 32)}
)

// env is one service over a memstore with an injected clock and sender.
type env struct {
	t     *testing.T
	svc   *verifier.Service
	store verifier.Store
	clock *fakes.Clock
	out   *fakes.Sender
	log   *bytes.Buffer
	app   *verifier.App
}

func newEnv(t *testing.T, opts ...func(*verifier.Config)) *env {
	t.Helper()
	e := &env{
		t:     t,
		store: memstore.New(memstore.Options{SweepInterval: -1}),
		clock: fakes.NewClock(t0),
		out:   &fakes.Sender{},
		log:   &bytes.Buffer{},
		app: &verifier.App{
			ID:      "shop",
			Name:    "Shop",
			Origins: []string{"https://www.example.com", "https://pay.example.net"},
		},
	}
	cfg := verifier.Config{
		Store:  e.store,
		Sender: e.out,
		Keys:   []verifier.MasterKey{key1},
		Now:    e.clock.Now,
		Rand:   &counterRand{},
		Logger: slog.New(slog.NewTextHandler(e.log, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := verifier.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) start(phone string) *verifier.Verification {
	e.t.Helper()
	v, err := e.svc.Start(e.t.Context(), e.app, verifier.StartRequest{Phone: phone, Origin: "https://www.example.com"})
	if err != nil {
		e.t.Fatalf("Start(%s): %v", phone, err)
	}
	return v
}

// codeOf returns the code of the last message sent.
func (e *env) codeOf() string {
	e.t.Helper()
	body := e.out.Last(e.t).Body
	i := strings.LastIndex(body, "#")
	c, _, _ := strings.Cut(body[i+1:], " ")
	return c
}

// wrong returns a code of the right length that is not c.
func wrong(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func (e *env) check(id, c string) *verifier.CheckResult {
	e.t.Helper()
	r, err := e.svc.Check(e.t.Context(), e.app, id, c)
	if err != nil {
		e.t.Fatalf("Check(%s, %s): %v", id, c, err)
	}
	return r
}

func wantCode(t *testing.T, err error, want verifier.Code) *verifier.Error {
	t.Helper()
	var e *verifier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a *verifier.Error with code %s", err, want)
	}
	if e.Code != want {
		t.Fatalf("error %v, want code %s", err, want)
	}
	return e
}

func derive(t *testing.T, key verifier.MasterKey, v *verifier.Verification, digits int) string {
	t.Helper()
	c, err := code.Derive(key.Secret, code.Input{ID: v.ID, Phone: v.Phone, Origin: v.Origin, EmbeddedOrigin: v.EmbeddedOrigin}, uint64(v.Sends), digits)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
