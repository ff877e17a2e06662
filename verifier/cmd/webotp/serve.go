package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/redisstore"
	"github.com/webotp/webotp/verifier/sms"
	"github.com/webotp/webotp/web"
)

// devAPIKey is the API key of development mode's one app.
const devAPIKey = "dev"

// runServe runs `webotp serve` until SIGINT or SIGTERM: 0 after a clean
// shutdown, 1 on a failure, 2 on a usage or configuration error.
func runServe(args []string, stdout, stderr io.Writer) int {
	c, fs, err := parseServeFlags(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		serveUsage(stdout, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "webotp serve: %v\n", err)
		serveUsage(stderr, fs)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, c, stdout, stderr, nil)
}

func serveUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: webotp serve [flags]   (every flag also reads WEBOTP_<FLAG>, e.g. WEBOTP_TWILIO_FROM; flags win)")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// usageError is a configuration mistake: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// serve runs the verifier until ctx ends. When ready is not nil it
// receives the address listened on.
func serve(ctx context.Context, c *serveConfig, stdout, stderr io.Writer, ready chan<- string) int {
	err := serveErr(ctx, c, stdout, stderr, ready)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "webotp serve: %v\n", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

func serveErr(ctx context.Context, c *serveConfig, stdout, stderr io.Writer, ready chan<- string) error {
	log, err := newLogger(stderr, c.LogLevel, c.LogFormat)
	if err != nil {
		return err
	}
	if c.Dev {
		if err := checkLoopback(c.Addr); err != nil {
			return usageError{err}
		}
	}
	if c.MaxConns < 0 || c.MaxConnsPerIP < 0 {
		return usagef("--max-conns and --max-conns-per-ip are counts: 0 or more")
	}
	if c.IdleTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 {
		return usagef("--read-timeout, --write-timeout and --idle-timeout must not be negative")
	}
	maxConns := connCap(c.MaxConns, fileLimit())
	keys, err := masterKeys(c)
	if err != nil {
		return err
	}
	var apiKeys []httpapi.Key
	if c.ConfigFile != "" {
		if apiKeys, err = loadApps(c.ConfigFile, c.Dev); err != nil {
			return usageError{err}
		}
	}
	if !c.Dev && len(apiKeys) == 0 {
		return usagef("no app is configured: give --config with at least one app (or use --dev)")
	}
	if c.Dev {
		for _, o := range c.Origins {
			if err := checkOrigin(o, true); err != nil {
				return usageError{err}
			}
		}
	} else if len(c.Origins) > 0 {
		return usagef("--origin is for --dev; give origins per app in --config")
	}
	var outbox *sms.Outbox
	if c.Dev {
		outbox = sms.NewOutbox(sms.DefaultOutboxSize, nil)
	}
	sender, caller, err := newSender(c, stdout, outbox)
	if err != nil {
		return err
	}
	mailer, err := newMailer(c, outbox)
	if err != nil {
		return err
	}

	store, storeKind, err := openStore(c.Store, log)
	if err != nil {
		return err
	}
	defer func() {
		if cl, ok := store.(io.Closer); ok {
			if err := cl.Close(); err != nil {
				log.Warn("closing the store", "err", err)
			}
		}
	}()

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	var mln net.Listener
	if c.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", c.MetricsAddr); err != nil {
			return fmt.Errorf("listen on --metrics-addr: %w", err)
		}
		defer mln.Close()
	}
	if c.Dev {
		apiKeys = append(apiKeys, httpapi.Key{SHA256: httpapi.HashKey(devAPIKey), App: devApp(ln.Addr(), c.Origins)})
	}

	svc, err := verifier.NewService(verifier.Config{
		Store: store, Sender: sender, Caller: caller, Mailer: mailer, Keys: keys, Dev: c.Dev, Logger: log,
		SendTimeout: max(verifier.DefaultSendTimeout, c.SMTPTimeout),
	})
	if err != nil {
		return usageError{fmt.Errorf("verifier: %w", err)}
	}
	hc := httpapi.Config{
		Service:         svc,
		Keys:            apiKeys,
		Assets:          web.Dist(),
		Logger:          log,
		ReadTimeout:     c.ReadTimeout,
		WriteTimeout:    c.WriteTimeout,
		IdleTimeout:     c.IdleTimeout,
		MaxConns:        maxConns,
		MaxConnsPerIP:   c.MaxConnsPerIP,
		SeparateMetrics: mln != nil,
	}
	if c.Dev {
		hc.Site = web.Demo()
		hc.AllowHost = loopbackHost
	}
	srv, err := httpapi.New(hc)
	if err != nil {
		return err
	}
	if c.Dev {
		if err := mountDev(srv, outbox); err != nil {
			return err
		}
	}

	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	if mln != nil {
		go func() { served <- srv.ServeMetrics(mln) }()
	}
	log.Info("webotp listening", "addr", addr, "dev", c.Dev, "store", storeKind, "sender", senderKind(c), "apps", len(apiKeys),
		"max_conns", maxConns, "max_conns_per_ip", c.MaxConnsPerIP)
	if mln != nil {
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	if c.Dev {
		_, port, _ := net.SplitHostPort(addr)
		local := "http://localhost:" + port
		log.Info("development mode: API key \"dev\"", "demo", local+"/", "inbox", local+"/dev/inbox", "outbox", local+"/dev/outbox")
	}
	if ready != nil {
		ready <- addr
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("webotp shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: in-flight requests did not finish in %v: %w", c.ShutdownTimeout, err)
	}
	<-served
	if mln != nil {
		<-served
	}
	log.Info("webotp stopped")
	return nil
}

// connCap is the connection cap: --max-conns, lowered when the file
// descriptor limit is lower, so that a connection flood leaves the store,
// the sender and the listener descriptors to work with (and connections
// past the cap an answer).
func connCap(maxConns, fileLimit int) int {
	if fileLimit <= 0 {
		return maxConns
	}
	fit := fileLimit - max(64, fileLimit/8)
	if fit < 1 {
		fit = 1
	}
	if maxConns == 0 || maxConns > fit {
		return fit
	}
	return maxConns
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usagef("--log-format %q: want text or json", format)
	}
}

// masterKeys returns the --secret keys; in dev mode without one, a random
// key that lives as long as the process.
func masterKeys(c *serveConfig) ([]verifier.MasterKey, error) {
	if c.Secret != "" {
		keys, err := parseKeys(c.Secret)
		if err != nil {
			return nil, usagef("--secret (WEBOTP_SECRET): %w", err)
		}
		return keys, nil
	}
	if !c.Dev {
		return nil, usagef("a master key is required: set WEBOTP_SECRET to at least 32 random bytes in base64 (openssl rand -base64 32)")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate a master key: %w", err)
	}
	return []verifier.MasterKey{{ID: "dev", Secret: secret}}, nil
}

// openStore opens --store and names its kind for the logs (a Redis URL
// may hold a password: it is never logged).
func openStore(spec string, log *slog.Logger) (verifier.Store, string, error) {
	switch {
	case spec == "memory" || spec == "":
		return memstore.New(memstore.Options{}), "memory", nil
	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"),
		strings.HasPrefix(spec, "redis+cluster://"), strings.HasPrefix(spec, "rediss+cluster://"):
		// go-redis logs failed dials on its own; route them through slog
		// (debug level) instead of raw lines on stderr while Redis is down.
		redis.SetLogger(redisstore.Logger{Logger: log})
		s, err := redisstore.Open(spec, redisstore.Options{})
		if err != nil {
			return nil, "", usageError{fmt.Errorf("--store: %w", err)}
		}
		return s, "redis", nil
	default:
		return nil, "", usagef("--store %q: want memory or a redis:// URL", redactURL(spec))
	}
}

// redactURL drops anything that could be a password.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

func senderKind(c *serveConfig) string {
	kind := c.Sender
	if kind == "" {
		kind = "console"
	}
	if c.Dev {
		kind += "+outbox"
	}
	return kind
}

// newSender builds --sender, and the Caller of the voice channel (nil
// when the sender cannot call; see newCaller). Development mode always
// prints whole messages (codes included) and keeps them in the outbox,
// besides any other sender configured.
func newSender(c *serveConfig, stdout io.Writer, outbox *sms.Outbox) (verifier.Sender, verifier.Caller, error) {
	s, err := baseSender(c, stdout)
	if err != nil {
		return nil, nil, err
	}
	caller := newCaller(c, s, stdout, outbox)
	if !c.Dev {
		return s, caller, nil
	}
	m := sms.Multi{outbox}
	if c.Sender != "console" {
		m = append(m, sms.NewConsole(stdout, true))
	}
	if s != nil {
		m = append(m, s)
	}
	return m, caller, nil
}

// baseSender is the sender --sender names, nil in development mode
// without one.
func baseSender(c *serveConfig, stdout io.Writer) (verifier.Sender, error) {
	var s verifier.Sender
	switch c.Sender {
	case "":
		if !c.Dev {
			return nil, usagef("a sender is required: --sender webhook or twilio (or console, which only prints)")
		}
	case "console":
		s = sms.NewConsole(stdout, c.Dev)
	case "webhook":
		if c.WebhookURL == "" || c.WebhookSecret == "" {
			return nil, usagef("--sender webhook needs --webhook-url and --webhook-secret")
		}
		w, err := sms.NewWebhook(sms.WebhookConfig{URL: c.WebhookURL, Secret: []byte(c.WebhookSecret)})
		if err != nil {
			return nil, usageError{err}
		}
		s = w
	case "twilio":
		t, err := sms.NewTwilio(sms.TwilioConfig{
			AccountSID: c.TwilioSID, AuthToken: c.TwilioToken, From: c.TwilioFrom,
			MessagingServiceSID: c.TwilioService, BaseURL: c.TwilioBaseURL, CallFrom: c.TwilioCallFrom,
		})
		if err != nil {
			return nil, usageError{fmt.Errorf("%w (--twilio-account-sid, --twilio-auth-token, --twilio-from or --twilio-messaging-service-sid)", err)}
		}
		s = t
	default:
		return nil, usagef("--sender %q: want console, webhook or twilio", c.Sender)
	}
	return s, nil
}

// devApp is development mode's one app: API key "dev", origins on
// localhost and on 127.0.0.1 at the port listened on, plus --origin.
func devApp(addr net.Addr, extra []string) *verifier.App {
	port := ""
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
	}
	origins := []string{"http://localhost", "https://localhost"}
	if port != "" {
		origins = append(origins, "http://localhost:"+port, "http://127.0.0.1:"+port)
	}
	origins = append(origins, extra...)
	app := &verifier.App{ID: "dev", Name: "webotp demo", Origins: origins, Limits: verifier.DefaultLimits()}
	if port != "" {
		// Its messages link to the demo, which reads the code from the link.
		app.LinkURL = "http://localhost:" + port + "/"
	}
	return app
}
