// Package code derives a verification's one-time codes: never stored, so
// a leaked store reveals none.
//
// A verification's secret is HMAC-SHA256(master key, id | phone | origin |
// embedded origin), every field length-prefixed so that no two inputs
// encode alike; its code for send number n is HOTP(secret, n) (RFC 4226)
// computed by github.com/pquerna/otp/hotp.
//
// HOTP runs with SHA-1, as RFC 4226 defines it: HMAC needs no collision
// resistance, so HMAC-SHA1 remains a sound PRF, and it keeps the RFC's
// test vectors applicable to our exact options. The secret itself is
// derived with HMAC-SHA256, so the master key's strength carries through.
package code

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// Digits bounds: Android's SMS User Consent API needs 4 to 10 characters.
const (
	MinDigits = 4
	MaxDigits = 10
)

// MinKeyLen is the shortest master key Derive accepts.
const MinKeyLen = 32

// Input is what a verification's code is bound to.
type Input struct {
	ID             string
	Phone          string // E.164
	Origin         string
	EmbeddedOrigin string
}

// label separates this derivation from any other use of the master key.
const label = "webotp code v1"

// Secret returns the HOTP secret of in under key.
func Secret(key []byte, in Input) []byte {
	return newDeriver(key).Secret(in)
}

// Derive returns the code of digits digits for send number counter of the
// verification in, under the master key key.
func Derive(key []byte, in Input, counter uint64, digits int) (string, error) {
	d, err := NewDeriver(key)
	if err != nil {
		return "", err
	}
	return d.Derive(in, counter, digits)
}

// Deriver derives codes under one master key. It keeps HMAC states for
// reuse, so a long-lived Deriver is cheaper than Derive; it is safe for
// concurrent use.
type Deriver struct {
	pool sync.Pool // of *macState
}

type macState struct {
	mac hash.Hash
	buf []byte
}

// NewDeriver returns a Deriver for key, which must have at least
// MinKeyLen bytes.
func NewDeriver(key []byte) (*Deriver, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("code: master key of %d bytes, want at least %d", len(key), MinKeyLen)
	}
	return newDeriver(key), nil
}

func newDeriver(key []byte) *Deriver {
	k := bytes.Clone(key)
	d := &Deriver{}
	d.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, k)} }
	return d
}

// Secret returns the HOTP secret of in.
func (d *Deriver) Secret(in Input) []byte {
	st := d.pool.Get().(*macState)
	defer d.pool.Put(st)
	st.mac.Reset()
	b := st.buf[:0]
	for _, f := range [...]string{label, in.ID, in.Phone, in.Origin, in.EmbeddedOrigin} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	st.mac.Write(b)
	st.buf = b
	return st.mac.Sum(nil)
}

// Derive returns the code of digits digits for send number counter of the
// verification in.
func (d *Deriver) Derive(in Input, counter uint64, digits int) (string, error) {
	return HOTP(d.Secret(in), counter, digits)
}

// HOTP returns the RFC 4226 HOTP value of secret at counter, with digits
// digits and SHA-1, through pquerna/otp.
func HOTP(secret []byte, counter uint64, digits int) (string, error) {
	if digits < MinDigits || digits > MaxDigits {
		return "", fmt.Errorf("code: %d digits, want %d to %d", digits, MinDigits, MaxDigits)
	}
	if len(secret) == 0 {
		return "", errors.New("code: empty secret")
	}
	c, err := hotp.GenerateCodeCustom(base32.StdEncoding.EncodeToString(secret), counter, hotp.ValidateOpts{
		Digits:    otp.Digits(digits),
		Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("code: hotp: %w", err)
	}
	return c, nil
}

// Equal reports whether two codes are equal, in time that depends only on
// their lengths.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
