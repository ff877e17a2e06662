package verifier

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Config wires a Service. Zero Now, Rand and Logger mean time.Now,
// crypto/rand and slog.Default.
type Config struct {
	Store  Store
	Sender Sender
	// Keys are the master keys: Keys[0] derives new codes, every key still
	// checks the verifications it derived (rotation).
	Keys []MasterKey
	// Dev allows http://localhost origins.
	Dev    bool
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// MasterKey is a secret of at least 32 bytes with an id, stored on each
// verification so that keys can be rotated.
type MasterKey struct {
	ID     string
	Secret []byte
}

// StartRequest asks for a new verification of Phone bound to Origin.
type StartRequest struct {
	Phone          string // any format phonenumbers parses with a leading +; answered as E.164
	Origin         string // https://www.example.com
	EmbeddedOrigin string // optional: the iframe's origin
	ClientIP       string // optional: the end user's IP, for the per-IP limit
	Locale         string // optional, reserved for localized texts
}

// CheckResult is the answer to a check: Valid is true at most once per
// verification.
type CheckResult struct {
	Valid        bool
	Verification *Verification
}

// Service issues, sends and checks codes. It is safe for concurrent use.
type Service struct {
	cfg Config
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	panic("TODO(verifier helper)")
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// Start creates a verification and sends its first code.
func (s *Service) Start(ctx context.Context, app *App, req StartRequest) (*Verification, error) {
	panic("TODO")
}

// Get returns a verification of app.
func (s *Service) Get(ctx context.Context, app *App, id string) (*Verification, error) {
	panic("TODO")
}

// Resend sends a new code; the previous one no longer checks.
func (s *Service) Resend(ctx context.Context, app *App, id string) (*Verification, error) {
	panic("TODO")
}

// Check compares code with the verification's current code.
func (s *Service) Check(ctx context.Context, app *App, id, code string) (*CheckResult, error) {
	panic("TODO")
}

// CheckPhone checks code against the newest pending verification of phone in app.
func (s *Service) CheckPhone(ctx context.Context, app *App, phone, code string) (*CheckResult, error) {
	panic("TODO")
}

// Cancel cancels a pending verification.
func (s *Service) Cancel(ctx context.Context, app *App, id string) (*Verification, error) {
	panic("TODO")
}

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error { return s.cfg.Store.Ping(ctx) }

// MaskPhone masks every digit of an E.164 number but the country code and
// the last two: +14155550123 -> +1*******23.
func MaskPhone(e164 string) string {
	panic("TODO")
}
