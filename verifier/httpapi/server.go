package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
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
	CheckEmail(ctx context.Context, app *verifier.App, email, code string) (*verifier.CheckResult, error)
	Link(ctx context.Context, app *verifier.App, id string) (string, error)
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
	IdleTimeout    time.Duration // keep-alive connections (default 30 s)
	RequestTimeout time.Duration // for the store and sender work of one request (default 15 s)

	// MaxConns caps the connections open at once on Serve's listener;
	// further ones answer 503 server_busy and are closed. 0: no cap.
	MaxConns int
	// MaxConnsPerIP caps the connections open at once from one IP address;
	// further ones answer 429 rate_limited and are closed. 0: no cap.
	MaxConnsPerIP int
	// AllowHost, when set, is asked about every request's Host (and the
	// host of an absolute request URI); a host it refuses answers 421
	// host_not_allowed. Development mode answers loopback names only, so
	// that a DNS-rebinding page cannot reach it through a browser.
	AllowHost func(host []byte) bool
	// SeparateMetrics leaves /metrics out of Serve's routes: ServeMetrics
	// serves it on a listener of its own.
	SeparateMetrics bool
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
	msrv    *fasthttp.Server // ServeMetrics's

	metricsHandler fasthttp.RequestHandler

	// encodeCheck, when set, encodes the answers of checks instead of
	// appendCheck: BenchmarkCheckHandler sets encoding/json there to
	// measure the check path both ways in one run. Nil in production.
	encodeCheck func(valid bool, v *verifier.Verification, now time.Time) []byte
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
		cfg.IdleTimeout = 30 * time.Second
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
		// The router lists OPTIONS with every path; no route answers it.
		ctx.Response.Header.Set(fasthttp.HeaderAllow, withoutOptions(ctx.Response.Header.Peek(fasthttp.HeaderAllow)))
		writeError(ctx, s.log, errMethodNotAllowed)
	}
	r.NotFound = s.fallback
	s.router = r

	s.Handle(fasthttp.MethodPost, "/v1/verifications", s.authed(s.start))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/check", s.authed(s.checkNewest))
	s.Handle(fasthttp.MethodGet, "/v1/verifications/{id}", s.authed(s.get))
	s.Handle(fasthttp.MethodDelete, "/v1/verifications/{id}", s.authed(s.cancel))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/{id}/resend", s.authed(s.resend))
	s.Handle(fasthttp.MethodPost, "/v1/verifications/{id}/check", s.authed(s.check))
	s.Handle(fasthttp.MethodGet, "/v1/verifications/{id}/qr", s.authed(s.qr))
	s.Handle(fasthttp.MethodGet, "/healthz", s.healthz)
	s.Handle(fasthttp.MethodGet, "/readyz", s.readyz)
	s.metricsHandler = s.metrics.handler()
	if !cfg.SeparateMetrics {
		s.Handle(fasthttp.MethodGet, "/metrics", s.metricsHandler)
	}

	s.handler = s.instrument(r.Handler)
	s.srv = s.newFastHTTP(s.handler)
	s.msrv = s.newFastHTTP(s.instrument(s.metricsOnly))
	return s, nil
}

// newFastHTTP returns the fasthttp server of a listener.
func (s *Server) newFastHTTP(h fasthttp.RequestHandler) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:                      h,
		ErrorHandler:                 s.readError,
		Name:                         "webotp",
		MaxRequestBodySize:           MaxBodySize,
		ReadTimeout:                  s.cfg.ReadTimeout,
		WriteTimeout:                 s.cfg.WriteTimeout,
		IdleTimeout:                  s.cfg.IdleTimeout,
		CloseOnShutdown:              true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		// fasthttp's error messages would otherwise quote the bytes of a
		// malformed request: an API key or a code among them.
		SecureErrorLogMessage: true,
		Logger:                fasthttpLogger{s.log},
	}
}

// Handle adds a route, instrumented like the API's own (access log,
// metrics, panic recovery). The command uses it for the /dev routes. A GET
// route answers HEAD too, without the body.
func (s *Server) Handle(method, pattern string, h fasthttp.RequestHandler) {
	route := func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(routeKey, pattern)
		h(ctx)
	}
	s.router.Handle(method, pattern, route)
	if method == fasthttp.MethodGet {
		s.router.Handle(fasthttp.MethodHead, pattern, route)
	}
}

// HandleFiles serves the files of fsys under prefix, for GET and HEAD, as
// the site is served: from memory, precompressed variants chosen by
// Accept-Encoding, strong ETags, revalidated on every use; index.html
// answers for its directory, named without a trailing slash (the router
// takes "/dir" and "/dir/" for one path). The command serves development
// mode's pages with it. It fails when a file cannot be read.
func (s *Server) HandleFiles(prefix string, fsys fs.FS) error {
	st, err := loadStatic(fsys, staticOptions{index: true, cacheControl: "no-cache"})
	if err != nil {
		return err
	}
	prefix = strings.TrimSuffix(prefix, "/")
	for name, f := range st.files {
		if len(name) > 1 && strings.HasSuffix(name, "/") {
			continue
		}
		s.Handle(fasthttp.MethodGet, prefix+name, func(ctx *fasthttp.RequestCtx) { st.serve(ctx, f) })
	}
	return nil
}

// WriteError answers err as the API answers its own errors: a
// *verifier.Error, or an error wrapping one, with its code's status and
// the JSON {"error":{"code","message"}}; anything else as 500 internal,
// its cause logged, never shown. Routes added with Handle answer their
// errors with it, so that every error of the server has one shape.
func (s *Server) WriteError(ctx *fasthttp.RequestCtx, err error) { writeError(ctx, s.log, err) }

// withoutOptions returns an Allow list without OPTIONS.
func withoutOptions(allow []byte) string {
	var b strings.Builder
	for m := range strings.SplitSeq(string(allow), ",") {
		if m = strings.TrimSpace(m); m == "" || m == fasthttp.MethodOptions {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m)
	}
	return b.String()
}

// Handler returns the request handler of every route; Serve uses it.
func (s *Server) Handler() fasthttp.RequestHandler { return s.handler }

// Registry returns the registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Serve serves ln until Shutdown; it returns nil after a Shutdown. Accept
// errors that go away by themselves (out of file descriptors) are retried,
// never returned; connections over MaxConns or MaxConnsPerIP are answered
// with an error and closed.
func (s *Server) Serve(ln net.Listener) error {
	return s.srv.Serve(newGuardListener(ln, s.log, s.cfg.MaxConns, s.cfg.MaxConnsPerIP))
}

// ServeMetrics serves /metrics alone on ln until Shutdown, for a listener
// that only the monitoring can reach (see Config.SeparateMetrics).
func (s *Server) ServeMetrics(ln net.Listener) error {
	return s.msrv.Serve(newGuardListener(ln, s.log, 0, 0))
}

// Shutdown stops accepting connections and waits for in-flight requests
// to finish, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.ShutdownWithContext(ctx)
	return errors.Join(err, s.msrv.ShutdownWithContext(ctx))
}

// metricsOnly is the handler of ServeMetrics's listener.
func (s *Server) metricsOnly(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != "/metrics" {
		writeError(ctx, s.log, verifier.Errorf(verifier.CodeNotFound, "No such route."))
		return
	}
	ctx.SetUserValue(routeKey, "/metrics")
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		writeError(ctx, s.log, errMethodNotAllowed)
		return
	}
	s.metricsHandler(ctx)
}

// instrument wraps every request: panic recovery, metrics and the access
// log. The log names the route pattern, never the raw path, query, body or
// headers, so it holds no code, phone number or key.
func (s *Server) instrument(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		start := time.Now()
		if s.cfg.AllowHost != nil && !s.hostAllowed(ctx) {
			ctx.SetUserValue(routeKey, "host_not_allowed")
			writeError(ctx, s.log, errHostNotAllowed)
			s.observe(ctx, routeOf(ctx), time.Since(start))
			return
		}
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

// hostAllowed asks AllowHost about the Host header and, when the request
// line carries an absolute URI, about its host too.
func (s *Server) hostAllowed(ctx *fasthttp.RequestCtx) bool {
	if !s.cfg.AllowHost(ctx.Request.Header.Host()) {
		return false
	}
	return s.cfg.AllowHost(ctx.Host())
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
	if gc := connOf(ctx); gc != nil {
		// fasthttp closes the connection after this answer, maybe with
		// much of the request unread (a body over the limit): closing at
		// once would reset the connection before the client reads.
		gc.lingerOnClose()
	}
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

// Printf logs at debug level only, with request bytes taken out: the
// errors fasthttp reports quote the parts of a malformed request they
// could not parse (a header holding an API key, a body holding a code),
// even with SecureErrorLogMessage set.
func (l fasthttpLogger) Printf(format string, args ...any) {
	if !l.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case error:
			safe[i] = redactQuoted(v.Error())
		case string:
			safe[i] = redactQuoted(v)
		case []byte:
			safe[i] = redactQuoted(string(v))
		default:
			safe[i] = a
		}
	}
	l.log.Debug("fasthttp", "message", fmt.Sprintf(format, safe...))
}

// redactQuoted replaces every double-quoted part of s (fasthttp quotes
// request bytes with %q) by "…", and drops anything after "contents:".
func redactQuoted(s string) string {
	s, _, _ = strings.Cut(s, "contents:")
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(`"…"`)
		s = s[i+1:]
		end := -1
		for j := 0; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return b.String()
		}
		s = s[end+1:]
	}
}
