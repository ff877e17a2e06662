package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/servetest"
	"github.com/webotp/webotp/verifier/sms"
)

const (
	shopKey  = "shop-key-0123456789"
	otherKey = "other-key-0123456789"
	origin   = "https://www.example.com"
	iframe   = "https://pay.example.net"
	phone    = "+14155550123"
)

// env is a Server on the real verifier.Service and memstore, reached over
// an in-memory listener with a real fasthttp client.
type env struct {
	t      *testing.T
	srv    *Server
	clock  *fakes.Clock
	outbox *sms.Outbox
	log    *servetest.Buffer
	client *fasthttp.Client
	addr   string // of the listener
}

type envOptions struct {
	sender  verifier.Sender // in front of the outbox
	caller  verifier.Caller // the voice channel's; nil offers none
	mailer  verifier.Mailer // the email channel's; nil offers none
	linkURL string          // the shop app's link_url
	store   verifier.Store
	service Service // replaces the real one
	assets  fs.FS
	limits  verifier.Limits
	tcp     bool // listen on 127.0.0.1 rather than in memory
	config  func(*Config)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	clk := fakes.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	outbox := sms.NewOutbox(1000, clk.Now)
	var sender verifier.Sender = outbox
	if o.sender != nil {
		sender = sms.Multi{o.sender, outbox}
	}
	store := o.store
	if store == nil {
		ms := memstore.New(memstore.Options{SweepInterval: -1})
		t.Cleanup(func() { ms.Close() })
		store = ms
	}
	logBuf := &servetest.Buffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := o.service
	if svc == nil {
		s, err := verifier.NewService(verifier.Config{
			Store:  store,
			Sender: sender,
			Caller: o.caller,
			Mailer: o.mailer,
			Keys:   []verifier.MasterKey{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}},
			Now:    clk.Now,
			Logger: log,
		})
		if err != nil {
			t.Fatalf("NewService: %v", err)
		}
		svc = s
	}
	shop := &verifier.App{ID: "shop", Name: "Shop", Origins: []string{origin, iframe}, LinkURL: o.linkURL, Limits: o.limits}
	other := &verifier.App{ID: "other", Name: "Other", Origins: []string{"https://other.example"}}
	cfg := Config{
		Service: svc,
		Keys:    []Key{{SHA256: HashKey(shopKey), App: shop}, {SHA256: HashKey(otherKey), App: other}},
		Assets:  o.assets,
		Logger:  log,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var ln net.Listener = fasthttputil.NewInmemoryListener()
	if o.tcp {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = ln.Close() // in case Serve had not started when Shutdown ran
		<-done
	})
	client := &fasthttp.Client{}
	if iml, ok := ln.(*fasthttputil.InmemoryListener); ok {
		client.Dial = func(string) (net.Conn, error) { return iml.Dial() }
	}
	e := &env{srv: srv, clock: clk, outbox: outbox, log: logBuf, client: client, addr: ln.Addr().String()}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

// answer is one HTTP response, decoded when it is JSON.
type answer struct {
	status int
	header map[string]string
	raw    []byte
	json   map[string]any
}

func (a answer) errorCode() string {
	e, _ := a.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a answer) verification() map[string]any {
	if v, ok := a.json["verification"].(map[string]any); ok {
		return v
	}
	return a.json
}

type req struct {
	method, path, key, body string
	header                  map[string]string
}

func toAnswer(resp *fasthttp.Response) answer {
	a := answer{status: resp.StatusCode(), header: map[string]string{}, raw: append([]byte(nil), resp.Body()...)}
	for k, v := range resp.Header.All() {
		a.header[strings.ToLower(string(k))] = string(v)
	}
	if strings.HasPrefix(a.header["content-type"], "application/json") {
		_ = json.Unmarshal(a.raw, &a.json)
	}
	return a
}

func (e *env) buildRequest(r req, rq *fasthttp.Request) {
	rq.Header.SetMethod(r.method)
	rq.SetRequestURI("http://" + e.addr + r.path)
	if r.key != "" {
		rq.Header.Set("Authorization", "Bearer "+r.key)
	}
	for k, v := range r.header {
		rq.Header.Set(k, v)
	}
	if r.body != "" {
		if _, given := r.header["Content-Type"]; !given {
			rq.Header.SetContentType("application/json")
		}
		rq.SetBodyString(r.body)
	}
}

// do sends r over the listener.
func (e *env) do(t testing.TB, r req) answer {
	t.Helper()
	rq := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(rq)
	defer fasthttp.ReleaseResponse(resp)
	e.buildRequest(r, rq)
	if err := e.client.DoTimeout(rq, resp, 10*time.Second); err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return toAnswer(resp)
}

// direct calls the handler with a RequestCtx, without any connection.
func (e *env) direct(t testing.TB, r req) answer {
	t.Helper()
	var rq fasthttp.Request
	e.buildRequest(r, &rq)
	var ctx fasthttp.RequestCtx
	ctx.Init(&rq, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234}, nil)
	e.srv.Handler()(&ctx)
	return toAnswer(&ctx.Response)
}

// start creates a verification and returns its id.
func (e *env) start(t testing.TB, phone string) string {
	t.Helper()
	a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey,
		body: `{"phone":"` + phone + `","origin":"` + origin + `"}`})
	if a.status != 201 {
		t.Fatalf("start: %d %s", a.status, a.raw)
	}
	return a.json["id"].(string)
}

// code returns the code of the newest message sent for verification id.
func (e *env) code(t testing.TB, id string) string {
	t.Helper()
	for _, m := range e.outbox.Messages() {
		if m.VerificationID == id {
			lines := strings.Split(m.Body, "\n")
			_, code, ok := strings.Cut(lines[len(lines)-1], " #")
			if !ok {
				t.Fatalf("message %q has no code line", m.Body)
			}
			code, _, _ = strings.Cut(code, " ")
			return code
		}
	}
	t.Fatalf("no message for %s", id)
	return ""
}

func (e *env) check(t testing.TB, id, code string) answer {
	t.Helper()
	return e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/check", key: shopKey, body: `{"code":"` + code + `"}`})
}

// wrong returns a code of the same length that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
