package verifier

import (
	"errors"

	"github.com/webotp/webotp/otpmsg"
)

// normalizeCode returns the digits of a code as a person may type or paste
// it, by otpmsg.NormalizeCode (the rule the client applies too). Empty
// input, input over otpmsg.MaxCodeInput bytes and anything but digits are
// invalid_code and consume no attempt (no code is made of them); digits of
// the wrong length are a wrong guess like any other.
func normalizeCode(s string) (string, error) {
	c, err := otpmsg.NormalizeCode(s)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, otpmsg.ErrCodeTooLong):
		return "", Errorf(CodeInvalidCode, "The code is too long.")
	case errors.Is(err, otpmsg.ErrCodeEmpty):
		return "", Errorf(CodeInvalidCode, "The code is missing.")
	}
	return "", Errorf(CodeInvalidCode, "The code must be digits.")
}
