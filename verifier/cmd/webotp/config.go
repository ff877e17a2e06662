package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
)

// serveConfig is everything `webotp serve` is told by flags, WEBOTP_*
// environment variables and the config file.
type serveConfig struct {
	Addr            string
	Dev             bool
	Origins         []string // --origin: extra allowed origins of the dev app
	Store           string   // "memory" or a redis:// URL
	Secret          string   // base64, or "id:base64,id2:base64" (first issues)
	ConfigFile      string
	Sender          string // console, webhook or twilio
	WebhookURL      string
	WebhookSecret   string
	TwilioSID       string
	TwilioToken     string
	TwilioFrom      string
	TwilioService   string
	TwilioBaseURL   string
	TwilioCallFrom  string
	SMTPHost        string
	SMTPPort        int
	SMTPImplicitTLS bool
	SMTPStartTLS    string
	SMTPAuth        string
	SMTPUsername    string
	SMTPPassword    string
	SMTPFrom        string
	SMTPTimeout     time.Duration
	LogLevel        string
	LogFormat       string
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	MaxConns        int
	MaxConnsPerIP   int
	MetricsAddr     string
}

// envName is the environment variable of a flag: --twilio-from is
// WEBOTP_TWILIO_FROM.
func envName(flagName string) string {
	return "WEBOTP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// listFlag is a repeatable string flag; its environment variable is a
// comma-separated list.
type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l.values = append(*l.values, v)
		}
	}
	return nil
}

// newServeFlags returns the flag set of `webotp serve`, filling c.
func newServeFlags(c *serveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("webotp serve", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "", "listen address (default :8080, or 127.0.0.1:8080 with --dev)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode: loopback only, API key \"dev\", console + outbox sender, /dev pages, the demo at /")
	fs.Var(listFlag{&c.Origins}, "origin", "extra allowed origin of the dev app (repeatable; comma-separated in the environment)")
	fs.StringVar(&c.Store, "store", "memory", "where verifications are kept: memory, or redis://[[user]:password@]host[:port][/db] (also rediss://, redis+cluster://)")
	fs.StringVar(&c.Secret, "secret", "", "master key: at least 32 random bytes in base64, or id:base64,id2:base64 to rotate (the first issues); required outside dev mode")
	fs.StringVar(&c.ConfigFile, "config", "", "JSON file describing the apps (API key hashes, origins, texts, limits)")
	fs.StringVar(&c.Sender, "sender", "", "how messages are delivered: webhook, twilio or console (prints, delivers nothing); required outside dev mode")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "webhook sender: URL receiving a signed JSON POST per message")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", "", "webhook sender: secret of the X-Webotp-Signature HMAC")
	fs.StringVar(&c.TwilioSID, "twilio-account-sid", "", "twilio sender: account SID (AC...)")
	fs.StringVar(&c.TwilioToken, "twilio-auth-token", "", "twilio sender: auth token")
	fs.StringVar(&c.TwilioFrom, "twilio-from", "", "twilio sender: sending number or alphanumeric sender id")
	fs.StringVar(&c.TwilioService, "twilio-messaging-service-sid", "", "twilio sender: messaging service SID (MG...), instead of --twilio-from")
	fs.StringVar(&c.TwilioBaseURL, "twilio-base-url", "", "twilio sender: API base URL (default https://api.twilio.com)")
	fs.StringVar(&c.TwilioCallFrom, "twilio-call-from", "", "twilio sender: number voice calls come from (E.164; default --twilio-from when it is a number); without one, voice is not offered")
	fs.StringVar(&c.SMTPHost, "smtp-host", "", "email channel: SMTP server host; without it, email is not offered")
	fs.IntVar(&c.SMTPPort, "smtp-port", 0, "email channel: SMTP port (default 465 with --smtp-implicit-tls, else 587)")
	fs.BoolVar(&c.SMTPImplicitTLS, "smtp-implicit-tls", false, "email channel: TLS from the first byte (SMTPS, port 465)")
	fs.StringVar(&c.SMTPStartTLS, "smtp-starttls", "mandatory", "email channel without implicit TLS: STARTTLS mandatory, opportunistic or none")
	fs.StringVar(&c.SMTPAuth, "smtp-auth", "", "email channel: login mechanism plain, login or none (default plain with --smtp-username, else none)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", "", "email channel: SMTP login")
	fs.StringVar(&c.SMTPPassword, "smtp-password", "", "email channel: SMTP password (prefer WEBOTP_SMTP_PASSWORD to the command line)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "email channel: sender, no-reply@example.com or \"Example <no-reply@example.com>\"")
	fs.DurationVar(&c.SMTPTimeout, "smtp-timeout", 10*time.Second, "email channel: time allowed for one whole delivery")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 10*time.Second, "time allowed to read a request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 10*time.Second, "time allowed to write a response")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 30*time.Second, "time an idle keep-alive connection is kept open")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "time in-flight requests get to finish on SIGINT/SIGTERM")
	fs.IntVar(&c.MaxConns, "max-conns", 10000, "connections open at once, at most (lowered to fit the file descriptor limit; 0: that limit only)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", 256, "connections open at once from one IP address, at most; 0: no cap")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "serve /metrics on this address only, not on --addr (recommended in production)")
	return fs
}

// parseServeFlags parses args, then gives every flag not on the command
// line the value of its environment variable, if set: flags win.
func parseServeFlags(args []string, getenv func(string) string) (*serveConfig, *flag.FlagSet, error) {
	c := &serveConfig{}
	fs := newServeFlags(c)
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	if fs.NArg() > 0 {
		return nil, fs, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	if err != nil {
		return nil, fs, err
	}
	if c.Addr == "" {
		c.Addr = ":8080"
		if c.Dev {
			c.Addr = "127.0.0.1:8080"
		}
	}
	return c, fs, nil
}

// checkLoopback refuses a dev address that is not loopback only.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--dev listens on loopback only (127.0.0.1, ::1 or localhost), not %q: development mode gives every visitor the API key \"dev\" and shows the codes", addr)
}

// parseKeys reads --secret: one base64 key (its id derived from it), or a
// comma list of id:base64 whose first issues new codes.
func parseKeys(s string) ([]verifier.MasterKey, error) {
	var keys []verifier.MasterKey
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			id, b64 = "", part
		}
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, fmt.Errorf("secret %d is not base64", i+1)
		}
		if len(secret) < 32 {
			return nil, fmt.Errorf("secret %d has %d bytes; at least 32 random bytes are needed (openssl rand -base64 32)", i+1, len(secret))
		}
		if id == "" {
			sum := sha256.Sum256(secret)
			id = hex.EncodeToString(sum[:4])
		}
		if seen[id] {
			return nil, fmt.Errorf("secret id %q is given twice", id)
		}
		seen[id] = true
		keys = append(keys, verifier.MasterKey{ID: id, Secret: secret})
	}
	return keys, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// fileConfig is the JSON of --config.
type fileConfig struct {
	Apps []appConfig `json:"apps"`
}

type appConfig struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// APIKeySHA256 is the hex SHA-256 of the app's API key; APIKeysSHA256
	// adds more (to rotate a key without downtime).
	APIKeySHA256  string       `json:"api_key_sha256"`
	APIKeysSHA256 []string     `json:"api_keys_sha256"`
	Origins       []string     `json:"origins"`
	Text          string       `json:"text"`
	AppHash       string       `json:"app_hash"`
	Countries     []string     `json:"countries"`
	LinkURL       string       `json:"link_url"`
	Limits        limitsConfig `json:"limits"`
}

// limitsConfig is verifier.Limits in JSON; durations are Go durations
// ("10m", "30s"). Zero or absent means the default.
type limitsConfig struct {
	CodeLength         int      `json:"code_length"`
	Lifetime           duration `json:"lifetime"`
	MaxAttempts        int      `json:"max_attempts"`
	MaxSends           int      `json:"max_sends"`
	ResendCooldown     duration `json:"resend_cooldown"`
	PhoneFailures      int      `json:"phone_failures"`
	PhoneFailureWindow duration `json:"phone_failure_window"`
	PhoneStarts        int      `json:"phone_starts"`
	PhoneStartWindow   duration `json:"phone_start_window"`
	IPStarts           int      `json:"ip_starts"`
	IPStartWindow      duration `json:"ip_start_window"`
	AppSends           int      `json:"app_sends"`
	AppSendWindow      duration `json:"app_send_window"`
}

type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`a duration is a string like "10m" or "30s"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a string like \"10m\" or \"30s\"", s)
	}
	*d = duration(v)
	return nil
}

func (l limitsConfig) limits() verifier.Limits {
	return verifier.Limits{
		CodeLength: l.CodeLength, Lifetime: time.Duration(l.Lifetime), MaxAttempts: l.MaxAttempts,
		MaxSends: l.MaxSends, ResendCooldown: time.Duration(l.ResendCooldown),
		PhoneFailures: l.PhoneFailures, PhoneFailureWindow: time.Duration(l.PhoneFailureWindow),
		PhoneStarts: l.PhoneStarts, PhoneStartWindow: time.Duration(l.PhoneStartWindow),
		IPStarts: l.IPStarts, IPStartWindow: time.Duration(l.IPStartWindow),
		AppSends: l.AppSends, AppSendWindow: time.Duration(l.AppSendWindow),
	}
}

// loadApps reads the config file into API keys. Each app must pass
// verifier.App.Validate (dev allows http origins on localhost); a refusal
// names the app and the field: config apps.json: app "shop": app_hash: ...
func loadApps(path string, dev bool) ([]httpapi.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// Read as strictly as API requests: exact-case keys, none twice, none
	// unknown, so that a typo does not fall back to a default.
	var fc fileConfig
	if err := json.Unmarshal(b, &fc, json.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("config %s: %s", path, jsonProblem(err))
	}
	var keys []httpapi.Key
	ids := map[string]int{} // app id: its position, from 1
	hashes := map[[sha256.Size]byte]string{}
	for i, a := range fc.Apps {
		where := fmt.Sprintf("config %s: app %q", path, a.ID)
		if a.ID == "" {
			where = fmt.Sprintf("config %s: app %d", path, i+1)
		}
		app := &verifier.App{
			ID: a.ID, Name: a.Name, Origins: a.Origins, Text: a.Text, AppHash: a.AppHash,
			Countries: a.Countries, LinkURL: a.LinkURL, Limits: a.Limits.limits(),
		}
		if app.Name == "" {
			app.Name = app.ID
		}
		if err := app.Validate(dev); err != nil {
			return nil, fmt.Errorf("%s: %s", where, message(err))
		}
		if j, dup := ids[a.ID]; dup {
			return nil, fmt.Errorf("%s: id: is also the id of app %d", where, j)
		}
		ids[a.ID] = i + 1
		hexes := a.APIKeysSHA256
		if a.APIKeySHA256 != "" {
			hexes = append([]string{a.APIKeySHA256}, hexes...)
		}
		if len(hexes) == 0 {
			return nil, fmt.Errorf("%s: api_key_sha256 is required (printf %%s \"$KEY\" | sha256sum)", where)
		}
		for _, h := range hexes {
			sum, err := httpapi.ParseKeyHash(strings.ToLower(strings.TrimSpace(h)))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if other, dup := hashes[sum]; dup {
				return nil, fmt.Errorf("%s: its API key is also the key of app %q", where, other)
			}
			hashes[sum] = a.ID
			keys = append(keys, httpapi.Key{SHA256: sum, App: app})
		}
	}
	return keys, nil
}

// checkOrigin applies verifier.CheckOrigin, the rule of every app's
// origins, to an --origin value.
func checkOrigin(o string, dev bool) error {
	if err := verifier.CheckOrigin(o, dev); err != nil {
		return fmt.Errorf("--origin: %s", message(err))
	}
	return nil
}

// jsonProblem words an error of the apps file's JSON by its place in the
// file ("/apps/0/limits/lifetime") rather than by Go type.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SemanticError](err); ok && se.JSONPointer != "" {
		kinds := map[reflect.Kind]string{reflect.String: "a string", reflect.Int: "a whole number", reflect.Slice: "an array", reflect.Struct: "an object"}
		switch {
		case errors.Is(se.Err, json.ErrUnknownName):
			return fmt.Sprintf("%s: unknown key (keys are case-sensitive)", se.JSONPointer)
		case se.GoType != nil && kinds[se.GoType.Kind()] != "":
			return fmt.Sprintf("%s: want %s", se.JSONPointer, kinds[se.GoType.Kind()])
		case se.Err != nil:
			return fmt.Sprintf("%s: %v", se.JSONPointer, se.Err)
		}
	}
	if se, ok := errors.AsType[*jsontext.SyntacticError](err); ok && errors.Is(se.Err, jsontext.ErrDuplicateName) {
		return fmt.Sprintf("%s: key given twice", se.JSONPointer)
	}
	return err.Error()
}

// message is the human message of a *verifier.Error, without its code.
func message(err error) string {
	if e, ok := errors.AsType[*verifier.Error](err); ok {
		return e.Message
	}
	return err.Error()
}
