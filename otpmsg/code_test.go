package otpmsg_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

// codeInput is one case of testdata/code-inputs.json: what a person typed
// or pasted, and the code it is (or why it is none). The verifier's API
// and the client's paste path run the same file.
type codeInput struct {
	Name  string `json:"name"`
	Input string `json:"input"`
	Code  string `json:"code"`
	Error string `json:"error"` // "empty", "too_long", "not_digits" or ""
}

func loadCodeInputs(t testing.TB) []codeInput {
	t.Helper()
	b, err := os.ReadFile("testdata/code-inputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []codeInput
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("testdata/code-inputs.json holds no case")
	}
	return cases
}

var codeErrors = map[string]error{
	"empty":      otpmsg.ErrCodeEmpty,
	"too_long":   otpmsg.ErrCodeTooLong,
	"not_digits": otpmsg.ErrCodeNotDigit,
}

func TestNormalizeCode(t *testing.T) {
	for _, c := range loadCodeInputs(t) {
		t.Run(c.Name, func(t *testing.T) {
			got, err := otpmsg.NormalizeCode(c.Input)
			if c.Error != "" {
				want, ok := codeErrors[c.Error]
				if !ok {
					t.Fatalf("unknown error kind %q", c.Error)
				}
				if !errors.Is(err, want) {
					t.Errorf("NormalizeCode(%q) = %q, %v; want %v", c.Input, got, err, want)
				}
				return
			}
			if err != nil || got != c.Code {
				t.Errorf("NormalizeCode(%q) = %q, %v; want %q", c.Input, got, err, c.Code)
			}
		})
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, c := range loadCodeInputs(f) {
		f.Add(c.Input)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := otpmsg.NormalizeCode(s)
		if err != nil {
			if got != "" {
				t.Fatalf("NormalizeCode(%q) = %q with error %v", s, got, err)
			}
			return
		}
		if got == "" || len(got) > otpmsg.MaxCodeInput {
			t.Fatalf("NormalizeCode(%q) = %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < '0' || got[i] > '9' {
				t.Fatalf("NormalizeCode(%q) = %q: not ASCII digits", s, got)
			}
		}
		if again, err := otpmsg.NormalizeCode(got); err != nil || again != got {
			t.Fatalf("NormalizeCode is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
