package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/redisstore"
)

// benchOrigin is the bench app's one allowed origin.
const benchOrigin = "https://bench.example"

// runServe runs one server under test until it is signalled:
//
//	--impl webotp   httpapi (fasthttp) on a Service over memstore or Redis
//	--impl nethttp  the check route written with net/http on the same Service
//	--impl ceiling  a bare fasthttp handler answering --size bytes of JSON
//
// With --preload it first creates that many pending verifications and
// writes "id wrong-code" lines to --ids. It prints "ready" when it accepts
// connections.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	impl := fs.String("impl", "webotp", "webotp, nethttp or ceiling")
	addr := fs.String("addr", "127.0.0.1:8080", "loopback address to listen on")
	store := fs.String("store", "memory", "memory or redis://host:port/db")
	preload := fs.Int("preload", 0, "pending verifications to create first")
	ids := fs.String("ids", "", `file to write "id wrong-code" lines to`)
	size := fs.Int("size", 400, "ceiling: body size in bytes")
	speed := fs.Float64("speed", 1, "clock speed: 60 makes an hour pass in a minute (memstore only)")
	accessLog := fs.Bool("access-log", false, "log every request (to standard error)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run after the preload to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || host != "127.0.0.1" {
		return fmt.Errorf("--addr %q: only 127.0.0.1 is allowed", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()

	if *impl == "ceiling" {
		stopProfile, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
		body := ceilingBody(*size)
		srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("application/json")
			ctx.SetBody(body)
		}, Name: "webotp"}
		return serveUntil(ctx, stdout, func() error { return srv.Serve(ln) }, srv.ShutdownWithContext)
	}

	level := slog.LevelWarn
	if *accessLog {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	now := clock(*speed)
	st, closeStore, err := openStore(*store, now, *speed, 0)
	if err != nil {
		return err
	}
	defer closeStore()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	svc, err := verifier.NewService(verifier.Config{
		Store:  st,
		Sender: discardSender{},
		Keys:   []verifier.MasterKey{{ID: "bench", Secret: secret}},
		Now:    now,
		Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	app := benchApp()
	if *preload > 0 {
		ts, err := preloadVerifications(ctx, st, svc, app, *preload)
		if err != nil {
			return err
		}
		if err := writeTargets(*ids, ts); err != nil {
			return err
		}
		// Collect the preload's garbage now rather than during the first
		// measurement.
		runtime.GC()
	}
	// The profile covers the load, not the preload.
	stopProfile, err := startProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	switch *impl {
	case "webotp":
		api, err := httpapi.New(httpapi.Config{
			Service: svc,
			Keys:    []httpapi.Key{{SHA256: httpapi.HashKey(benchKey), App: app}},
			Logger:  logger,
		})
		if err != nil {
			return fmt.Errorf("httpapi: %w", err)
		}
		return serveUntil(ctx, stdout, func() error { return api.Serve(ln) }, api.Shutdown)
	case "nethttp":
		api, err := httpapi.New(httpapi.Config{Service: svc, Logger: logger})
		if err != nil {
			return fmt.Errorf("httpapi: %w", err)
		}
		srv := &http.Server{
			Handler:      netHTTPHandler(svc, api, map[string]*verifier.App{benchKey: app}),
			ReadTimeout:  10 * time.Second,
			WriteTimeout: 10 * time.Second,
			IdleTimeout:  60 * time.Second,
		}
		serve := func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
		return serveUntil(ctx, stdout, serve, srv.Shutdown)
	default:
		return fmt.Errorf("--impl %q: want webotp, nethttp or ceiling", *impl)
	}
}

// startProfile starts a CPU profile written to path, if path is not
// empty, and returns the function that stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// serveUntil runs serve, says "ready", and shuts down when ctx ends.
func serveUntil(ctx context.Context, stdout io.Writer, serve func() error, shutdown func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	fmt.Fprintln(stdout, "ready")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return shutdown(sctx)
}

// ceilingBody is a JSON object of exactly n bytes (at least 12).
func ceilingBody(n int) []byte {
	const head, tail = `{"pad":"`, `"}`
	pad := max(0, n-len(head)-len(tail))
	return []byte(head + strings.Repeat("x", pad) + tail)
}

// clock returns a wall clock running speed times faster than real time
// from now on.
func clock(speed float64) func() time.Time {
	if speed == 1 {
		return time.Now
	}
	t0 := time.Now()
	return func() time.Time {
		return t0.Add(time.Duration(float64(time.Since(t0)) * speed))
	}
}

// openStore opens memstore (swept on the given clock, every simulated
// minute) or Redis (with redisstore's defaults, or the given timeout).
func openStore(spec string, now func() time.Time, speed float64, redisTimeout time.Duration) (verifier.Store, func(), error) {
	if spec == "memory" {
		st := memstore.New(memstore.Options{Now: now, SweepInterval: time.Duration(float64(time.Minute) / speed)})
		return st, func() { _ = st.Close() }, nil
	}
	if speed != 1 {
		return nil, nil, errors.New("--speed needs --store memory: Redis expires keys on its own clock")
	}
	st, err := redisstore.Open(spec, redisstore.Options{Timeout: redisTimeout})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := st.Ping(ctx); err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	return st, func() { _ = st.Close() }, nil
}

// benchApp is the app behind the bench key: the default limits, except
// the per-app send ceiling (600 a minute), which a start benchmark would
// hit at once: it is raised to the most Normalize allows, a million a second.
func benchApp() *verifier.App {
	l := verifier.DefaultLimits()
	l.AppSends, l.AppSendWindow = 1_000_000, time.Second
	return &verifier.App{ID: "bench", Name: "Bench", Origins: []string{benchOrigin}, Limits: l}
}

// discardSender delivers nothing: the bench measures the verifier, not an
// SMS provider.
type discardSender struct{}

func (discardSender) Send(context.Context, verifier.Message) error { return nil }

// preloadVerifications stores n pending verifications, each for its own
// phone number, that accept more wrong codes than any run sends (the
// per-phone failure budget still applies, so the check path is the one a
// real wrong guess takes), and returns each with a code known to be wrong.
func preloadVerifications(ctx context.Context, st verifier.Store, svc *verifier.Service, app *verifier.App, n int) ([]target, error) {
	ts := make([]target, n)
	now := svc.Now().Truncate(time.Millisecond)
	limits := verifier.DefaultLimits()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				v := &verifier.Verification{
					ID:          randomID(),
					AppID:       app.ID,
					KeyID:       "bench",
					Phone:       fmt.Sprintf("+1415%07d", 2000000+i),
					PhoneKey:    randomID(),
					Origin:      benchOrigin,
					CreatedAt:   now,
					ExpiresAt:   now.Add(limits.Lifetime),
					ResendAfter: now.Add(limits.ResendCooldown),
					Sends:       1,
					MaxAttempts: 60000,
					MaxSends:    limits.MaxSends,
					Lifetime:    limits.Lifetime,
					Cooldown:    limits.ResendCooldown,
					Stored:      verifier.StatusPending,
				}
				if err := st.Create(ctx, v, nil); err != nil {
					errs[w] = fmt.Errorf("preload: %w", err)
					return
				}
				// "000000" is wrong for all but one in a million: one
				// check tells, and the rare right one is left out.
				res, err := svc.Check(ctx, app, v.ID, wrongGuess)
				if err != nil {
					errs[w] = fmt.Errorf("preload: first check: %w", err)
					return
				}
				if !res.Valid {
					ts[i] = target{v.ID, wrongGuess}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ts, func(t target) bool { return t.id == "" }), nil
}

// wrongGuess is the code the bench checks with.
const wrongGuess = "000000"

// randomID is a 128-bit base64url id, the form Service gives ids and phone keys.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
