// Package httpapi serves the verifier's HTTP API (API.md §2) on fasthttp:
// the /v1 verification endpoints behind bearer API keys, health and
// readiness probes, Prometheus metrics and the client assets.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/fasthttp/router"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// MaxBodySize is the largest request body accepted; larger ones answer 413
// payload_too_large.
const MaxBodySize = 16 << 10

// Service is what the API needs of the domain; *verifier.Service is the
// one implementation (tests use fakes to reach rare failures).
type Service interface {
	Now() time.Time
	Start(ctx context.Context, app *verifier.App, req verifier.StartRequest) (*verifier.Verification, error)
	Get(ctx context.Context, app *verifier.App, id string) (*verifier.Verification, error)
	Resend(ctx context.Context, app *verifier.App, id string) (*verifier.Verification, error)
	Check(ctx context.Context, app *verifier.App, id, code string) (*verifier.CheckResult, error)
	CheckPhone(ctx context.Context, app *verifier.App, phone, code string) (*verifier.CheckResult, error)
	Cancel(ctx context.Context, app *verifier.App, id string) (*verifier.Verification, error)
	Ready(ctx context.Context) error
}

var _ Service = (*verifier.Service)(nil)

// Config wires a Server. Zero durations mean the defaults noted.
type Config struct {
	Service Service
	// Keys are the API keys, as SHA-256 hashes, and the app each opens.
	Keys []Key
	// Assets are the client assets (webotp.js, webotp.wasm and their .br
	// and .gz siblings) served at the root to any origin; nil serves none.
	Assets fs.FS
	// Site is an optional web site served at the root after Assets
	// (development mode's demo); index.html answers for directories.
	Site fs.FS
	// Logger receives access logs and internal errors (default
	// slog.Default()).
	Logger *slog.Logger
	// Registry receives the metrics served at /metrics (default: a new
	// registry with the Go and process collectors). The global default
	// registry is never used.
	Registry *prometheus.Registry

	ReadTimeout    time.Duration // to read a request (default 10 s)
	WriteTimeout   time.Duration // to write a response (default 10 s)
	IdleTimeout    time.Duration // keep-alive connections (default 60 s)
	RequestTimeout time.Duration // for the store and sender work of one request (default 15 s)
}

// Server is the HTTP API. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	keys    []Key
	router  *router.Router
	metrics *metrics
	assets  *static
	site    *static
	handler fasthttp.RequestHandler
	srv     *fasthttp.Server
}

// routeKey is the user value under which a handler's route pattern is kept
// for the access log and metrics.
const routeKey = "webotp.route"

// New returns a Server for cfg. It fails when an asset cannot be read or
// cfg lacks a Service.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("httpapi: a Service is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, keys: cfg.Keys}
	var err error
	if s.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, err
	}
	if cfg.Assets != nil {
		if s.assets, err = loadStatic(cfg.Assets, staticOptions{cors: true, cacheControl: "public, max-age=300"}); err != nil {
			return nil, err
		}
	}
	if cfg.Site != nil {
		if s.site, err = loadStatic(cfg.Site, staticOptions{index: true, cacheControl: "no-cache"}); err != nil {
			return nil, err
		}
	}

	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleOPTIONS = false
	r.HandleMethodNotAllowed = true
	r.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(routeKey, "method_not_allowed")
		writeError(ctx, s.log, errMethodNotAllowed)
	}
	r.NotFound = s.fallback
	s.router = r

	s.Handle(fasthttp.MethodPost, "/v1/verifications", s.authed(s.start))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/check", s.authed(s.checkPhone))
	s.Handle(fasthttp.MethodGet, "/v1/verifications/{id}", s.authed(s.get))
	s.Handle(fasthttp.MethodDelete, "/v1/verifications/{id}", s.authed(s.cancel))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/{id}/resend", s.authed(s.resend))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/{id}/check", s.authed(s.check))
	s.Handle(fasthttp.MethodGet, "/healthz", s.healthz)
	s.Handle(fasthttp.MethodGet, "/readyz", s.readyz)
	s.Handle(fasthttp.MethodGet, "/metrics", s.metrics.handler())

	s.handler = s.instrument(r.Handler)
	s.srv = &fasthttp.Server{
		Handler:                      s.handler,
		ErrorHandler:                 s.readError,
		Name:                         "webotp",
		MaxRequestBodySize:           MaxBodySize,
		ReadTimeout:                  cfg.ReadTimeout,
		WriteTimeout:                 cfg.WriteTimeout,
		IdleTimeout:                  cfg.IdleTimeout,
		CloseOnShutdown:              true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		Logger:                       fasthttpLogger{cfg.Logger},
	}
	return s, nil
}

// Handle adds a route, instrumented like the API's own (access log,
// metrics, panic recovery). The command uses it for the /dev routes.
func (s *Server) Handle(method, pattern string, h fasthttp.RequestHandler) {
	s.router.Handle(method, pattern, func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(routeKey, pattern)
		h(ctx)
	})
}

// Handler returns the request handler of every route; Serve uses it.
func (s *Server) Handler() fasthttp.RequestHandler { return s.handler }

// Registry returns the registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Serve serves ln until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting connections and waits for in-flight requests
// to finish, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }

// instrument wraps every request: panic recovery, metrics and the access
// log. The log names the route pattern, never the raw path, query, body or
// headers, so it holds no code, phone number or key.
func (s *Server) instrument(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in handler", "route", routeOf(ctx), "panic", p, "stack", string(debug.Stack()))
				ctx.Response.Reset()
				writeError(ctx, s.log, verifier.Errorf(verifier.CodeInternal, "Internal error."))
			}
			s.observe(ctx, routeOf(ctx), time.Since(start))
		}()
		next(ctx)
	}
}

func (s *Server) observe(ctx *fasthttp.RequestCtx, route string, d time.Duration) {
	status := ctx.Response.StatusCode()
	s.metrics.observe(route, ctx.Method(), status, d)
	if s.log.Enabled(context.Background(), slog.LevelInfo) {
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", string(ctx.Method())),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.String("remote", ctx.RemoteIP().String()))
	}
}

func routeOf(ctx *fasthttp.RequestCtx) string {
	if r, ok := ctx.UserValue(routeKey).(string); ok {
		return r
	}
	return "unmatched"
}

// readError answers requests fasthttp could not read (too large, bad
// syntax, timeouts) with the API's JSON errors.
func (s *Server) readError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, s.log, errPayloadTooLarge)
	case errors.As(err, &small):
		writeError(ctx, s.log, errHeadersTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		writeError(ctx, s.log, errRequestTimeout)
	default:
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeInvalidRequest, "The request could not be read as HTTP."))
	}
	s.observe(ctx, "unreadable", 0)
}

// fallback serves what no route matched: an asset, a site page, a 405 for
// a file with a wrong method, or the 404 JSON error.
func (s *Server) fallback(ctx *fasthttp.RequestCtx) {
	for _, st := range []*static{s.assets, s.site} {
		f := st.lookup(ctx.Path())
		if f == nil {
			continue
		}
		ctx.SetUserValue(routeKey, st.route)
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
			writeError(ctx, s.log, errMethodNotAllowed)
			return
		}
		st.serve(ctx, f)
		return
	}
	writeError(ctx, s.log, verifier.Errorf(verifier.CodeNotFound, "No such route."))
}

func (s *Server) healthz(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, fasthttp.StatusOK, []byte(`{"status":"ok"}`))
}

func (s *Server) readyz(ctx *fasthttp.RequestCtx) {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Service.Ready(c); err != nil {
		s.log.Warn("store not ready", "err", err)
		writeError(ctx, s.log, verifier.StoreUnavailable(err))
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, []byte(`{"status":"ok"}`))
}

// fasthttpLogger sends fasthttp's own messages to slog.
type fasthttpLogger struct{ log *slog.Logger }

// Printf logs at debug level only: fasthttp's messages may quote bytes of
// a malformed request, which could hold a key or a code.
func (l fasthttpLogger) Printf(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("fasthttp", "message", fmt.Sprintf(format, args...))
	}
}
