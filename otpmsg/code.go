package otpmsg

import (
	"errors"
	"unicode/utf8"
)

// MaxCodeInput bounds what NormalizeCode reads: a longer input is refused
// before any normalisation, whatever it holds.
const MaxCodeInput = 64

// Why NormalizeCode refuses an input. They are distinct so that the
// verifier can answer with a precise message and the client can leave a
// paste that is no code to the browser.
var (
	ErrCodeEmpty    = errors.New("otpmsg: the code is missing")
	ErrCodeTooLong  = errors.New("otpmsg: the code is too long")
	ErrCodeNotDigit = errors.New("otpmsg: the code must be digits")
)

// NormalizeCode returns the code a person typed or pasted as the ASCII
// digits a verifier compares: spaces (including no-break, thin and
// ideographic spaces), dashes (hyphen, en and em dashes, minus signs,
// full-width hyphen-minus) and invisible separators (zero-width characters,
// soft hyphen) are removed, and full-width, Arabic-Indic and extended
// Arabic-Indic digits become ASCII digits. Anything else, an empty result
// or an input over MaxCodeInput bytes is refused.
//
// Both ends apply this one rule: the verifier to the code a backend
// submits, the client to a pasted code, so a code the client accepts is
// never refused by the verifier as malformed.
func NormalizeCode(s string) (string, error) {
	if len(s) > MaxCodeInput {
		return "", ErrCodeTooLong
	}
	if isASCIIDigits(s) {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		case isCodeSeparator(r):
			continue
		default:
			return "", ErrCodeNotDigit
		}
		b = utf8.AppendRune(b, r)
	}
	if len(b) == 0 {
		return "", ErrCodeEmpty
	}
	return string(b), nil
}

// isASCIIDigits reports whether s is one or more ASCII digits: the common
// case, answered without a copy.
func isASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCodeSeparator reports whether r is a space, a dash or an invisible
// separator that people and SMS apps put inside codes ("123 456",
// "123-456").
func isCodeSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\v',
		'\u00a0',                               // no-break space
		'\u1680', '\u202f', '\u205f', '\u3000', // ogham, narrow no-break, math, ideographic spaces
		'\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', // zero-width characters
		'-', '\u00ad', // hyphen-minus, soft hyphen
		'\u2212', '\ufe63', '\uff0d', '\u2043': // minus, small and full-width hyphen-minus, hyphen bullet
		return true
	}
	return r >= '\u2000' && r <= '\u200a' || // en quad .. hair space
		r >= '\u2010' && r <= '\u2015' // hyphen .. horizontal bar
}
