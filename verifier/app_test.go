package verifier_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
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
		return &verifier.App{ID: "shop", Name: "Shop", Origins: []string{"https://www.example.com", "https://pay.example.net:8443"},
			Countries: []string{"US", "fr"}, AppHash: "FA+9qCX9VSu", Text: "Your {app} code is {code}.",
			Limits: verifier.Limits{CodeLength: 8, Lifetime: 5 * time.Minute, AppSends: 1000}}
	}
	if err := good().Validate(false); err != nil {
		t.Fatalf("a good app: %v", err)
	}
	for _, link := range []string{"https://www.example.com/verify", "https://pay.example.net:8443/v?app=1", "https://www.example.com"} {
		a := good()
		a.LinkURL = link
		if err := a.Validate(false); err != nil {
			t.Errorf("link_url %q on an origin: %v", link, err)
		}
	}
	for _, tt := range []struct {
		name   string
		change func(a *verifier.App)
		dev    bool
		field  string // the start of the message
	}{
		{"an app without an id", func(a *verifier.App) { a.ID = "" }, false, "id: "},
		{"a link_url on no origin of the app", func(a *verifier.App) { a.LinkURL = "https://evil.example/verify" }, false, "link_url: "},
		{"a link_url on another port of an origin's host", func(a *verifier.App) { a.LinkURL = "https://www.example.com:444/verify" }, false, "link_url: "},
		{"a link_url with a fragment", func(a *verifier.App) { a.LinkURL = "https://www.example.com/verify#x" }, false, "link_url: "},
		{"a link_url with a user", func(a *verifier.App) { a.LinkURL = "https://me@www.example.com/verify" }, false, "link_url: "},
		{"an http link_url outside dev mode", func(a *verifier.App) { a.Origins[0] = "https://localhost"; a.LinkURL = "http://localhost/verify" }, false, "link_url: "},
		{"a link_url too long for an SMS", func(a *verifier.App) { a.LinkURL = "https://www.example.com/" + strings.Repeat("v", 200) }, false, "link_url: "},
		{"an id with a brace, which store keys use", func(a *verifier.App) { a.ID = "shop}" }, false, "id: "},
		{"an id of 65 characters", func(a *verifier.App) { a.ID = strings.Repeat("a", 65) }, false, "id: "},
		{"an app without origins", func(a *verifier.App) { a.Origins = nil }, false, "origins: "},
		{"an origin with a path", func(a *verifier.App) { a.Origins[1] = "https://pay.example.net/checkout" }, false, "origins[1]: "},
		{"an origin with a trailing slash", func(a *verifier.App) { a.Origins[0] = "https://www.example.com/" }, false, "origins[0]: "},
		{"an origin with a query", func(a *verifier.App) { a.Origins[0] = "https://www.example.com?x=1" }, false, "origins[0]: "},
		{"an origin with a fragment", func(a *verifier.App) { a.Origins[0] = "https://www.example.com#x" }, false, "origins[0]: "},
		{"an origin with a user", func(a *verifier.App) { a.Origins[0] = "https://me@www.example.com" }, false, "origins[0]: "},
		{"an origin with a trailing dot", func(a *verifier.App) { a.Origins[0] = "https://www.example.com." }, false, "origins[0]: "},
		{"an origin in capitals", func(a *verifier.App) { a.Origins[0] = "https://WWW.example.com" }, false, `origins[0]: "https://WWW.example.com" is not written as browsers send it: write "https://www.example.com"`},
		{"an origin with its default port", func(a *verifier.App) { a.Origins[0] = "https://www.example.com:443" }, false, `origins[0]: "https://www.example.com:443" is not written as browsers send it: write "https://www.example.com"`},
		{"an origin with a Unicode host", func(a *verifier.App) { a.Origins[0] = "https://bücher.example" }, false, `origins[0]: "https://bücher.example" is not written as browsers send it: write "https://xn--bcher-kva.example"`},
		{"an origin without a scheme", func(a *verifier.App) { a.Origins[0] = "www.example.com" }, false, "origins[0]: "},
		{"an origin listed twice", func(a *verifier.App) { a.Origins[1] = a.Origins[0] }, false, "origins[1]: "},
		{"an http origin", func(a *verifier.App) { a.Origins[0] = "http://www.example.com" }, true, "origins[0]: "},
		{"http localhost outside dev mode", func(a *verifier.App) { a.Origins[0] = "http://localhost" }, false, "origins[0]: "},
		{"an unknown country", func(a *verifier.App) { a.Countries = []string{"US", "XX"} }, false, "countries[1]: "},
		{"a three-letter country", func(a *verifier.App) { a.Countries = []string{"USA"} }, false, "countries[0]: "},
		{"the world as a country", func(a *verifier.App) { a.Countries = []string{"001"} }, false, "countries[0]: "},
		{"an app hash of 10 characters", func(a *verifier.App) { a.AppHash = "FA+9qCX9VS" }, false, "app_hash: "},
		{"an app hash with a '-'", func(a *verifier.App) { a.AppHash = "FA-9qCX9VSu" }, false, "app_hash: "},
		{"a text that binds the code to another site", func(a *verifier.App) { a.Text = "Your code: @evil.example #{code}" }, false, "text: "},
		{"a text with an OTP line of its own", func(a *verifier.App) { a.Text = "Code {code}\n@evil.example #123" }, false, "text: "},
		{"a name that binds the code to another site", func(a *verifier.App) { a.Name = "@evil.example #1" }, false, "name: "},
		{"a text that is not UTF-8", func(a *verifier.App) { a.Text = "Code {code} \xff" }, false, "text: "},
		{"a code of 3 digits", func(a *verifier.App) { a.Limits.CodeLength = 3 }, false, "limits.code_length: "},
		{"a code of 11 digits", func(a *verifier.App) { a.Limits.CodeLength = 11 }, false, "limits.code_length: "},
		{"a negative number of attempts", func(a *verifier.App) { a.Limits.MaxAttempts = -1 }, false, "limits.max_attempts: "},
		{"a lifetime of an hour", func(a *verifier.App) { a.Limits.Lifetime = time.Hour }, false, "limits.lifetime: "},
		{"a lifetime of a second", func(a *verifier.App) { a.Limits.Lifetime = time.Second }, false, "limits.lifetime: "},
		{"a thousand failures per phone", func(a *verifier.App) { a.Limits.PhoneFailures = 1000 }, false, "limits.phone_failures: "},
		{"a failure window of a month", func(a *verifier.App) { a.Limits.PhoneFailureWindow = 30 * 24 * time.Hour }, false, "limits.phone_failure_window: "},
	} {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			a := good()
			tt.change(a)
			err := a.Validate(tt.dev)
			var e *verifier.Error
			if !errors.As(err, &e) || e.Code != verifier.CodeInvalidRequest || !strings.HasPrefix(e.Message, tt.field) {
				t.Fatalf("Validate: %v; want invalid_request starting %q", err, tt.field)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		change func(a *verifier.App)
		dev    bool
	}{
		{"http localhost with a port in dev mode", func(a *verifier.App) { a.Origins = []string{"http://localhost:8080", "http://127.0.0.1:8080"} }, true},
		{"lowercase countries", func(a *verifier.App) { a.Countries = []string{"gb", "de"} }, false},
		{"no text, hash or countries", func(a *verifier.App) { a.Text, a.AppHash, a.Countries = "", "", nil }, false},
		{"a text without the code", func(a *verifier.App) { a.Text = "Your {app} code is below." }, false},
		{"an @ in the text that is not an OTP line", func(a *verifier.App) { a.Text = "Questions? help@example.com. Code {code}" }, false},
		{"the limits at their bounds", func(a *verifier.App) {
			a.Limits = verifier.Limits{CodeLength: 10, Lifetime: 30 * time.Second, MaxAttempts: 100, MaxSends: 1, PhoneFailures: 100, PhoneFailureWindow: 7 * 24 * time.Hour}
		}, false},
	} {
		t.Run(tt.name+" is accepted", func(t *testing.T) {
			a := good()
			tt.change(a)
			if err := a.Validate(tt.dev); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

// TestAppValidateBoundsEveryLimit sets each limit far beyond any bound, so
// that a limit added later cannot escape validation.
func TestAppValidateBoundsEveryLimit(t *testing.T) {
	typ := reflect.TypeFor[verifier.Limits]()
	for i := range typ.NumField() {
		t.Run(typ.Field(i).Name, func(t *testing.T) {
			a := &verifier.App{ID: "shop", Origins: []string{"https://www.example.com"}}
			f := reflect.ValueOf(&a.Limits).Elem().Field(i)
			f.SetInt(math.MaxInt64)
			if err := a.Validate(false); err == nil || !strings.Contains(err.Error(), "limits.") {
				t.Fatalf("Validate with %s = MaxInt64: %v", typ.Field(i).Name, err)
			}
		})
	}
}

func TestCheckOrigin(t *testing.T) {
	for _, tt := range []struct {
		origin string
		dev    bool
		ok     bool
	}{
		{"https://www.example.com", false, true},
		{"https://www.example.com:8443", false, true},
		{"https://xn--bcher-kva.example", false, true},
		{"http://localhost:3000", true, true},
		{"http://localhost:3000", false, false},
		{"http://www.example.com", true, false},
		{"https://www.example.com.", false, false},
		{"https://www.example.com:443", false, false},
		{"HTTPS://www.example.com", false, false},
		{"https://[::1]", false, false},
		{"https://www.example.com:99999", false, false},
		{"", false, false},
	} {
		err := verifier.CheckOrigin(tt.origin, tt.dev)
		if (err == nil) != tt.ok || err != nil && verifier.ErrorCode(err) != verifier.CodeInvalidOrigin {
			t.Errorf("CheckOrigin(%q, dev %v) = %v, want ok %v", tt.origin, tt.dev, err, tt.ok)
		}
	}
}
