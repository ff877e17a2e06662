package otpmsg_test

import (
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

var benchMessage = otpmsg.Message{
	Text:         "Your Example verification code is 123456. Do not share it.",
	Host:         "www.example.com",
	Code:         "123456",
	EmbeddedHost: "pay.example.net",
}

func BenchmarkFormat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := otpmsg.Format(benchMessage); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkParse(b *testing.B, rules otpmsg.Rules) {
	body, err := otpmsg.Format(benchMessage)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := otpmsg.Parse(body, rules); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSpec(b *testing.B)     { benchmarkParse(b, otpmsg.Spec) }
func BenchmarkParseChromium(b *testing.B) { benchmarkParse(b, otpmsg.Chromium) }
