package mail_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier/mail"
)

// addressCase is one case of testdata/addresses.json.
type addressCase struct {
	Name    string `json:"name"`
	Input   string `json:"input"`
	Address string `json:"address"`
	Error   string `json:"error"`
}

var addressErrors = map[string]error{
	"syntax":   mail.ErrAddressSyntax,
	"too_long": mail.ErrAddressTooLong,
	"local":    mail.ErrAddressLocal,
	"domain":   mail.ErrAddressDomain,
	"not_dns":  mail.ErrAddressNotDNSed,
}

func loadAddresses(tb testing.TB) []addressCase {
	tb.Helper()
	data, err := os.ReadFile("testdata/addresses.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []addressCase
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatal(err)
	}
	if len(cases) == 0 {
		tb.Fatal("testdata/addresses.json has no cases")
	}
	return cases
}

func TestNormalizeAddress(t *testing.T) {
	for _, c := range loadAddresses(t) {
		t.Run(c.Name, func(t *testing.T) {
			got, err := mail.NormalizeAddress(c.Input)
			if c.Error != "" {
				want, ok := addressErrors[c.Error]
				if !ok {
					t.Fatalf("unknown error name %q in testdata", c.Error)
				}
				if !errors.Is(err, want) || got != "" {
					t.Fatalf("NormalizeAddress(%q) = %q, %v; want error %v", c.Input, got, err, want)
				}
				return
			}
			if err != nil || got != c.Address {
				t.Fatalf("NormalizeAddress(%q) = %q, %v; want %q", c.Input, got, err, c.Address)
			}
		})
	}
}

// checkAddressInvariants is what FuzzNormalizeAddress asserts for any
// input: an accepted address is within the limits, lowercase ASCII with one
// '@', and normalising it again changes nothing.
func checkAddressInvariants(t *testing.T, s string) {
	got, err := mail.NormalizeAddress(s)
	if err != nil {
		if got != "" {
			t.Fatalf("NormalizeAddress(%q) = %q with error %v", s, got, err)
		}
		return
	}
	at := strings.LastIndexByte(got, '@')
	if len(got) > mail.MaxAddress || at < 1 || at > mail.MaxLocalPart || strings.Count(got, "@") != 1 {
		t.Fatalf("NormalizeAddress(%q) = %q: outside the limits", s, got)
	}
	for i := 0; i < len(got); i++ {
		if c := got[i]; c >= 0x80 || c <= ' ' || 'A' <= c && c <= 'Z' {
			t.Fatalf("NormalizeAddress(%q) = %q: byte %q is not lowercase printable ASCII", s, got, c)
		}
	}
	again, err := mail.NormalizeAddress(got)
	if err != nil || again != got {
		t.Fatalf("NormalizeAddress(%q) = %q, but again = %q, %v", s, got, again, err)
	}
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, c := range loadAddresses(f) {
		f.Add(c.Input)
	}
	f.Fuzz(checkAddressInvariants)
}

func TestMaskAddress(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"an address keeps its first character and its domain", "alice@example.com", "a***@example.com"},
		{"a one-character local part is hidden too", "a@example.com", "a***@example.com"},
		{"a string without @ is hidden whole", "alice", "***"},
		{"an empty local part shows only the domain", "@example.com", "***@example.com"},
		{"a non-ASCII first character is kept whole", "élise@example.com", "é***@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mail.MaskAddress(tt.in); got != tt.want {
				t.Errorf("MaskAddress(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
