package otpmsg

import (
	"strings"
	"unicode/utf8"
)

// Segments is how an SMS body travels: its encoding, its length in that
// encoding's units, and how many SMS parts it is sent (and billed) as.
type Segments struct {
	// Encoding is "GSM-7" when every character is in the GSM 03.38 default
	// alphabet or its extension table, else "UCS-2".
	Encoding string
	// Units are septets for GSM-7 (extension characters take two) or UTF-16
	// code units for UCS-2 (characters outside the BMP take two).
	Units int
	// Segments is 1 up to 160 septets or 70 UTF-16 units; longer bodies are
	// concatenated in parts of at most 153 septets or 67 units, never
	// splitting an escape sequence or a surrogate pair. An empty body counts
	// as one segment.
	Segments int
}

// Encodings Count reports.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// gsmBasic is the GSM 03.38 default alphabet (one septet each).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table (escape plus one septet).
const gsmExtension = "\f^{}\\[~]|€"

// Count returns the encoding, length and segment count of an SMS body.
func Count(body string) Segments {
	gsm := true
	for _, r := range body {
		if gsmUnits(r) == 0 {
			gsm = false
			break
		}
	}
	single, part, enc := 70, 67, UCS2
	unit := utf16Units
	if gsm {
		single, part, enc = 160, 153, GSM7
		unit = gsmUnits
	}
	total := 0
	for _, r := range body {
		total += unit(r)
	}
	s := Segments{Encoding: enc, Units: total, Segments: 1}
	if total <= single {
		return s
	}
	s.Segments = 0
	used := part
	for _, r := range body {
		u := unit(r)
		if used+u > part {
			s.Segments++
			used = 0
		}
		used += u
	}
	return s
}

// gsmUnits returns the septets r takes in GSM-7, or 0 when it has none.
func gsmUnits(r rune) int {
	if r == utf8.RuneError {
		return 0
	}
	if strings.ContainsRune(gsmBasic, r) {
		return 1
	}
	if strings.ContainsRune(gsmExtension, r) {
		return 2
	}
	return 0
}

// utf16Units returns the UTF-16 code units r takes (invalid UTF-8 counts as
// the one-unit U+FFFD it is sent as).
func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
