package otpmsg_test

import (
	"strings"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

func TestCountGivesEncodingUnitsAndSegments(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		want otpmsg.Segments
	}{
		{"an empty body is one GSM-7 segment", "", otpmsg.Segments{Encoding: "GSM-7", Units: 0, Segments: 1}},
		{"a plain OTP message is GSM-7", "Your code is 123456.\n\n@example.com #123456", otpmsg.Segments{Encoding: "GSM-7", Units: 42, Segments: 1}},
		{"GSM accented letters stay GSM-7", "éèùìòÇÅåÄÖÑÜäöñüàßÆæØøΔΩ¿¡£¥§¤", otpmsg.Segments{Encoding: "GSM-7", Units: 30, Segments: 1}},
		{"extension characters take two septets", "{}[]~|^€\\\f", otpmsg.Segments{Encoding: "GSM-7", Units: 20, Segments: 1}},
		{"160 septets fit one segment", strings.Repeat("a", 160), otpmsg.Segments{Encoding: "GSM-7", Units: 160, Segments: 1}},
		{"161 septets need two parts", strings.Repeat("a", 161), otpmsg.Segments{Encoding: "GSM-7", Units: 161, Segments: 2}},
		{"306 septets fit two parts", strings.Repeat("a", 306), otpmsg.Segments{Encoding: "GSM-7", Units: 306, Segments: 2}},
		{"307 septets need three parts", strings.Repeat("a", 307), otpmsg.Segments{Encoding: "GSM-7", Units: 307, Segments: 3}},
		{"an escape sequence is not split across parts", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), otpmsg.Segments{Encoding: "GSM-7", Units: 164, Segments: 2}},
		{"an escape sequence at a part boundary moves to the next part", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), otpmsg.Segments{Encoding: "GSM-7", Units: 306, Segments: 3}},
		{"a lowercase c cedilla is not GSM-7", "ç", otpmsg.Segments{Encoding: "UCS-2", Units: 1, Segments: 1}},
		{"a curly quote makes UCS-2", "It’s 123456", otpmsg.Segments{Encoding: "UCS-2", Units: 11, Segments: 1}},
		{"70 UCS-2 units fit one segment", strings.Repeat("é", 69) + "ж", otpmsg.Segments{Encoding: "UCS-2", Units: 70, Segments: 1}},
		{"71 UCS-2 units need two parts", strings.Repeat("ж", 71), otpmsg.Segments{Encoding: "UCS-2", Units: 71, Segments: 2}},
		{"134 UCS-2 units fit two parts", strings.Repeat("ж", 134), otpmsg.Segments{Encoding: "UCS-2", Units: 134, Segments: 2}},
		{"an emoji takes two UTF-16 units", "🤷", otpmsg.Segments{Encoding: "UCS-2", Units: 2, Segments: 1}},
		{"a surrogate pair is not split across parts", strings.Repeat("ж", 66) + "🤷" + "ж", otpmsg.Segments{Encoding: "UCS-2", Units: 69, Segments: 1}},
		{"a surrogate pair at a part boundary moves to the next part", strings.Repeat("ж", 66) + "🤷" + strings.Repeat("ж", 66), otpmsg.Segments{Encoding: "UCS-2", Units: 134, Segments: 3}},
		{"invalid UTF-8 is sent as UCS-2", "a\xffb", otpmsg.Segments{Encoding: "UCS-2", Units: 3, Segments: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := otpmsg.Count(c.body); got != c.want {
				t.Errorf("Count(%q) = %+v, want %+v", c.body, got, c.want)
			}
		})
	}
}
