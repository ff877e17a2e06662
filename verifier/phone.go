package verifier

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds what is handed to the phone number parser.
const maxPhoneInput = 64

// refusedNumberTypes are the numbers no code is sent to: premium-rate and
// shared-cost numbers cost the sender money per message (SMS pumping);
// UANs are often charged alike; voicemail and pager numbers cannot show
// a code to a person who then types it.
var refusedNumberTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.PREMIUM_RATE,
	phonenumbers.SHARED_COST,
	phonenumbers.UAN,
	phonenumbers.VOICEMAIL,
	phonenumbers.PAGER,
}

// parsePhone reads an international number written with a leading "+" in
// any format phonenumbers accepts and returns it as E.164 with its region.
func parsePhone(s string) (n *phonenumbers.PhoneNumber, e164, region string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", "", Errorf(CodeInvalidPhone, "The phone number is missing.")
	}
	if len(s) > maxPhoneInput || !strings.HasPrefix(s, "+") {
		return nil, "", "", Errorf(CodeInvalidPhone, "The phone number must be international, starting with + and the country code.")
	}
	n, perr := phonenumbers.Parse(s, "")
	if perr != nil || n == nil || !phonenumbers.IsValidNumber(n) {
		return nil, "", "", Errorf(CodeInvalidPhone, "The phone number is not a valid international number.")
	}
	return n, phonenumbers.Format(n, phonenumbers.E164), phonenumbers.GetRegionCodeForNumber(n), nil
}

// checkPhone parses s and applies app's country allowlist and the refused
// number types.
func checkPhone(app *App, s string) (string, error) {
	n, e164, region, err := parsePhone(s)
	if err != nil {
		return "", err
	}
	if len(app.Countries) > 0 && !slices.ContainsFunc(app.Countries, func(c string) bool { return strings.EqualFold(c, region) }) {
		return "", Errorf(CodeCountryNotAllowed, "Phone numbers of this country are not accepted.")
	}
	if slices.Contains(refusedNumberTypes, phonenumbers.GetNumberType(n)) {
		return "", Errorf(CodeNumberTypeNotAllowed, "Codes are not sent to premium-rate, shared-cost or other numbers that cannot receive them.")
	}
	return e164, nil
}

// MaskPhone masks every digit of an E.164 number but the country code and
// the last two: +14155550123 -> +1********23. Anything else keeps only its
// last two characters.
func MaskPhone(e164 string) string {
	if len(e164) < 2 || e164[0] != '+' {
		return maskFrom(e164, 0)
	}
	digits := e164[1:]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return maskFrom(e164, 0)
		}
	}
	cc := 0
	for l := 1; l <= 3 && l < len(digits); l++ {
		n, _ := strconv.Atoi(digits[:l])
		if len(phonenumbers.GetRegionCodesForCountryCode(n)) > 0 {
			cc = l
			break
		}
	}
	return maskFrom(e164, 1+cc)
}

// maskFrom replaces with * every byte of s from keep on but the last two.
func maskFrom(s string, keep int) string {
	if len(s) <= keep+2 {
		return s
	}
	b := []byte(s)
	for i := keep; i < len(b)-2; i++ {
		b[i] = '*'
	}
	return string(b)
}
