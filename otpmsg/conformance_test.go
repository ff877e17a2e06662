package otpmsg_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

// reading is how one grammar reads a conformance message.
type reading struct {
	Valid        bool   `json:"valid"`
	Host         string `json:"host"`
	Code         string `json:"code"`
	EmbeddedHost string `json:"embedded_host"`
}

// conformanceCase is one case of testdata/sms-messages.json.
type conformanceCase struct {
	ID       string  `json:"id"`
	Message  string  `json:"message"`
	Source   string  `json:"source"`
	Spec     reading `json:"spec"`
	Chromium reading `json:"chromium"`
}

// loadConformance reads the shared conformance vectors, copied from
// ../shared/conformance so that a clone tests on its own.
func loadConformance(tb testing.TB) []conformanceCase {
	tb.Helper()
	data, err := os.ReadFile("testdata/sms-messages.json")
	if err != nil {
		tb.Fatalf("read conformance vectors: %v", err)
	}
	var file struct {
		Cases []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		tb.Fatalf("decode conformance vectors: %v", err)
	}
	if len(file.Cases) == 0 {
		tb.Fatal("testdata/sms-messages.json has no cases")
	}
	return file.Cases
}

// checkReading compares what Parse returned with the expected reading.
func checkReading(t *testing.T, msg string, rules otpmsg.Rules, want reading) {
	t.Helper()
	got, err := otpmsg.Parse(msg, rules)
	if !want.Valid {
		if err == nil {
			t.Errorf("Parse(%q, %v) = %+v, want invalid", msg, rules, got)
			return
		}
		var pe *otpmsg.ParseError
		if !errors.As(err, &pe) || pe.Reason == "" {
			t.Errorf("Parse(%q, %v) error = %#v, want a *ParseError with a reason", msg, rules, err)
		}
		return
	}
	if err != nil {
		t.Errorf("Parse(%q, %v) error = %v, want %+v", msg, rules, err, want)
		return
	}
	w := otpmsg.OTP{Host: want.Host, Code: want.Code, EmbeddedHost: want.EmbeddedHost}
	if got != w {
		t.Errorf("Parse(%q, %v) = %+v, want %+v", msg, rules, got, w)
	}
}

func TestConformanceVectors(t *testing.T) {
	for _, c := range loadConformance(t) {
		t.Run(c.ID, func(t *testing.T) {
			t.Run("spec", func(t *testing.T) { checkReading(t, c.Message, otpmsg.Spec, c.Spec) })
			t.Run("chromium", func(t *testing.T) { checkReading(t, c.Message, otpmsg.Chromium, c.Chromium) })
		})
	}
}
