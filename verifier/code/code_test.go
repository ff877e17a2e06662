package code_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier/code"
)

type vector struct {
	counter uint64
	decimal uint64 // the truncated value before the modulo
	six     string
}

// readVectors loads RFC 4226 Appendix D from testdata.
func readVectors(t testing.TB) (secret []byte, vs []vector) {
	t.Helper()
	data, err := os.ReadFile("testdata/rfc4226-appendix-d.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "secret" && len(f) == 2:
			secret = []byte(f[1])
		case len(f) == 3:
			c, err1 := strconv.ParseUint(f[0], 10, 64)
			d, err2 := strconv.ParseUint(f[1], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad vector line %q", sc.Text())
			}
			vs = append(vs, vector{c, d, f[2]})
		default:
			t.Fatalf("bad vector line %q", sc.Text())
		}
	}
	if len(secret) == 0 || len(vs) != 10 {
		t.Fatalf("testdata holds secret %q and %d vectors, want a secret and 10", secret, len(vs))
	}
	return secret, vs
}

func TestHOTPMatchesRFC4226AppendixD(t *testing.T) {
	secret, vs := readVectors(t)
	for _, v := range vs {
		t.Run(fmt.Sprintf("counter %d gives %s", v.counter, v.six), func(t *testing.T) {
			got, err := code.HOTP(secret, v.counter, 6)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.six {
				t.Fatalf("HOTP = %s, want %s", got, v.six)
			}
		})
	}
}

func TestHOTPHonoursEveryDigitCountFrom4To10(t *testing.T) {
	secret, vs := readVectors(t)
	for digits := code.MinDigits; digits <= code.MaxDigits; digits++ {
		t.Run(fmt.Sprintf("%d digits", digits), func(t *testing.T) {
			mod := uint64(1)
			for range digits {
				mod *= 10
			}
			for _, v := range vs {
				want := fmt.Sprintf("%0*d", digits, v.decimal%mod)
				got, err := code.HOTP(secret, v.counter, digits)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("counter %d: HOTP = %s, want %s", v.counter, got, want)
				}
			}
		})
	}
}

func TestHOTPRefusesDigitCountsOutOfBounds(t *testing.T) {
	for _, digits := range []int{-1, 0, 3, 11} {
		if c, err := code.HOTP([]byte("secret"), 1, digits); err == nil {
			t.Errorf("%d digits gave %q, want an error", digits, c)
		}
	}
}

var key = bytes.Repeat([]byte{7}, 32)

func TestDeriveBindsEveryInputField(t *testing.T) {
	base := code.Input{ID: "AAAAAAAAAAAAAAAAAAAAAA", Phone: "+14155550123", Origin: "https://a.example", EmbeddedOrigin: "https://b.example"}
	variants := map[string]code.Input{
		"another id":                      {ID: "AAAAAAAAAAAAAAAAAAAAAQ", Phone: base.Phone, Origin: base.Origin, EmbeddedOrigin: base.EmbeddedOrigin},
		"another phone":                   {ID: base.ID, Phone: "+14155550124", Origin: base.Origin, EmbeddedOrigin: base.EmbeddedOrigin},
		"another origin":                  {ID: base.ID, Phone: base.Phone, Origin: "https://c.example", EmbeddedOrigin: base.EmbeddedOrigin},
		"no embedded origin":              {ID: base.ID, Phone: base.Phone, Origin: base.Origin},
		"the origins swapped":             {ID: base.ID, Phone: base.Phone, Origin: base.EmbeddedOrigin, EmbeddedOrigin: base.Origin},
		"a boundary moved between fields": {ID: base.ID, Phone: base.Phone, Origin: base.Origin + "https://b", EmbeddedOrigin: ".example"},
	}
	want := code.Secret(key, base)
	for name, in := range variants {
		if bytes.Equal(code.Secret(key, in), want) {
			t.Errorf("%s derives the same secret", name)
		}
	}
	other := bytes.Repeat([]byte{8}, 32)
	if bytes.Equal(code.Secret(other, base), want) {
		t.Error("another master key derives the same secret")
	}
}

func TestDeriveIsHOTPOfTheSecret(t *testing.T) {
	in := code.Input{ID: "AAAAAAAAAAAAAAAAAAAAAA", Phone: "+14155550123", Origin: "https://a.example"}
	for counter := uint64(1); counter <= 5; counter++ {
		got, err := code.Derive(key, in, counter, 6)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := code.HOTP(code.Secret(key, in), counter, 6)
		if got != want || len(got) != 6 {
			t.Fatalf("Derive(counter %d) = %q, want %q", counter, got, want)
		}
	}
}

func TestDeriveRefusesAShortKey(t *testing.T) {
	if _, err := code.Derive(make([]byte, 31), code.Input{}, 1, 6); err == nil {
		t.Fatal("a 31-byte master key was accepted")
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"123456", "123456", true},
		{"123456", "123457", false},
		{"123456", "12345", false},
		{"", "", true},
	} {
		if got := code.Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func BenchmarkDerive(b *testing.B) {
	in := code.Input{ID: "AAAAAAAAAAAAAAAAAAAAAA", Phone: "+14155550123", Origin: "https://a.example"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := code.Derive(key, in, 1, 6); err != nil {
			b.Fatal(err)
		}
	}
}

func TestADeriverDerivesWhatDeriveDoes(t *testing.T) {
	d, err := code.NewDeriver(key)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []code.Input{
		{ID: "AAAAAAAAAAAAAAAAAAAAAA", Phone: "+14155550123", Origin: "https://a.example"},
		{ID: "BBBBBBBBBBBBBBBBBBBBBB", Phone: "+33612345678", Origin: "https://a.example", EmbeddedOrigin: "https://b.example"},
		{},
	} {
		for counter := uint64(0); counter < 3; counter++ {
			want, err1 := code.Derive(key, in, counter, 6)
			got, err2 := d.Derive(in, counter, 6)
			if err1 != nil || err2 != nil || got != want {
				t.Fatalf("input %d counter %d: Deriver gives %q (%v), Derive %q (%v)", i, counter, got, err2, want, err1)
			}
		}
	}
	if _, err := code.NewDeriver(key[:31]); err == nil {
		t.Fatal("NewDeriver accepted a 31-byte key")
	}
}

func BenchmarkDeriver(b *testing.B) {
	d, _ := code.NewDeriver(key)
	in := code.Input{ID: "AAAAAAAAAAAAAAAAAAAAAA", Phone: "+14155550123", Origin: "https://a.example"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Derive(in, 1, 6); err != nil {
			b.Fatal(err)
		}
	}
}
