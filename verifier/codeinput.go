package verifier

import "strings"

// maxCodeInput bounds a submitted code before normalisation.
const maxCodeInput = 64

// normalizeCode returns the digits of a code as a person may type or paste
// it: spaces and dashes removed, full-width digits made ASCII. Empty input,
// input over 64 bytes and anything but digits are invalid_code and consume
// no attempt (no code is made of them); digits of the wrong length are a
// wrong guess like any other.
func normalizeCode(s string) (string, *Error) {
	if len(s) > maxCodeInput {
		return "", Errorf(CodeInvalidCode, "The code is too long.")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + r - '０'))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '-' || r == '\u00a0' ||
			r == '\u3000' || r == '－' || r == '\u2010' || r == '\u2011' || r == '\u2012' ||
			r == '\u2013' || r == '\u2014' || r == '\u2212' || r == '\u202f' || r == '\u2009':
		default:
			return "", Errorf(CodeInvalidCode, "The code must be digits.")
		}
	}
	if b.Len() == 0 {
		return "", Errorf(CodeInvalidCode, "The code is missing.")
	}
	return b.String(), nil
}
