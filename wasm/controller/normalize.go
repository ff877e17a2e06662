package controller

import "unicode/utf8"

// Normalize turns a code as a person pastes or types it into the code a
// verifier expects: spaces (including no-break and ideographic spaces),
// dashes (hyphen, en and em dashes, minus signs, full-width hyphen-minus)
// and the invisible separators are removed, and full-width, Arabic-Indic
// and extended Arabic-Indic digits become ASCII digits. Every other
// character is kept as it is.
func Normalize(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case isSeparator(r):
			continue
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		case r >= 'Ａ' && r <= 'Ｚ':
			r = 'A' + (r - 'Ａ')
		case r >= 'ａ' && r <= 'ｚ':
			r = 'a' + (r - 'ａ')
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// isSeparator reports whether r is a space, a dash or an invisible
// separator that people and SMS apps put inside codes ("123 456",
// "123-456").
func isSeparator(r rune) bool {
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

// IsCode reports whether s, already normalised, looks like a one-time
// code on its own: 1 to 16 ASCII letters and digits with at least one
// digit. Longer or mixed text is left to the browser's own paste.
func IsCode(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return digit
}
