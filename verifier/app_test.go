package verifier_test

import (
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
)

func TestNormalizeFillsDefaultsAndHoldsBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   verifier.Limits
		want func(l *verifier.Limits)
	}{
		{"zero limits are the defaults", verifier.Limits{}, func(*verifier.Limits) {}},
		{"negative limits are the defaults", verifier.Limits{CodeLength: -1, Lifetime: -time.Second, MaxAttempts: -5}, func(*verifier.Limits) {}},
		{"a 3-digit code becomes 4 digits", verifier.Limits{CodeLength: 3}, func(l *verifier.Limits) { l.CodeLength = 4 }},
		{"a 12-digit code becomes 10 digits", verifier.Limits{CodeLength: 12}, func(l *verifier.Limits) { l.CodeLength = 10 }},
		{"an 8-digit code stays", verifier.Limits{CodeLength: 8}, func(l *verifier.Limits) { l.CodeLength = 8 }},
		{"a lifetime of an hour becomes 10 minutes", verifier.Limits{Lifetime: time.Hour}, func(*verifier.Limits) {}},
		{"a lifetime of 5 minutes stays", verifier.Limits{Lifetime: 5 * time.Minute}, func(l *verifier.Limits) { l.Lifetime = 5 * time.Minute }},
		{"a lifetime of a second becomes 30 seconds", verifier.Limits{Lifetime: time.Second}, func(l *verifier.Limits) { l.Lifetime = 30 * time.Second }},
		{"1000 attempts become 100", verifier.Limits{MaxAttempts: 1000}, func(l *verifier.Limits) { l.MaxAttempts = 100 }},
		{"1000 phone failures become 100", verifier.Limits{PhoneFailures: 1000}, func(l *verifier.Limits) { l.PhoneFailures = 100 }},
		{"50 sends become 10", verifier.Limits{MaxSends: 50}, func(l *verifier.Limits) { l.MaxSends = 10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := verifier.DefaultLimits()
			tc.want(&want)
			if got := tc.in.Normalize(); got != want {
				t.Fatalf("Normalize() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNormalizeKeepsTheDefaults(t *testing.T) {
	if d := verifier.DefaultLimits(); d.Normalize() != d {
		t.Fatalf("the defaults are out of their own bounds: %+v", d.Normalize())
	}
}

func TestAppValidate(t *testing.T) {
	good := func() *verifier.App {
		return &verifier.App{ID: "shop", Origins: []string{"https://www.example.com"}, Countries: []string{"US", "fr"}}
	}
	if err := good().Validate(false); err != nil {
		t.Fatalf("a good app: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(a *verifier.App)
		dev    bool
	}{
		{"an app without an id", func(a *verifier.App) { a.ID = "" }, false},
		{"an app without origins", func(a *verifier.App) { a.Origins = nil }, false},
		{"an origin with a path", func(a *verifier.App) { a.Origins = []string{"https://www.example.com/x"} }, false},
		{"an http origin", func(a *verifier.App) { a.Origins = []string{"http://www.example.com"} }, true},
		{"http localhost outside dev mode", func(a *verifier.App) { a.Origins = []string{"http://localhost"} }, false},
		{"an unknown country", func(a *verifier.App) { a.Countries = []string{"XX"} }, false},
		{"a text that reads as an OTP line", func(a *verifier.App) { a.Text = "Code {code}\n@evil.example #123" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := good()
			tc.change(a)
			if err := a.Validate(tc.dev); err == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
	dev := good()
	dev.Origins = []string{"http://localhost:8080"}
	if err := dev.Validate(true); err != nil {
		t.Fatalf("http localhost in dev mode: %v", err)
	}
}
