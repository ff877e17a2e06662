package sms

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/webotp/webotp/verifier"
)

var (
	_ verifier.Sender = (*Console)(nil)
	_ Caller          = (*Console)(nil)
)

// Console prints each message to a writer. With Reveal (development mode
// only) it prints the number and the whole body, code included; without it
// it prints one line with the masked number and no body, so a production
// log never holds a code.
type Console struct {
	mu     sync.Mutex
	w      io.Writer
	reveal bool
}

// NewConsole returns a Console writing to w. reveal prints bodies and full
// numbers: pass true in development mode only.
func NewConsole(w io.Writer, reveal bool) *Console {
	return &Console{w: w, reveal: reveal}
}

// Send prints m.
func (c *Console) Send(_ context.Context, m verifier.Message) error {
	var b strings.Builder
	if c.reveal {
		fmt.Fprintf(&b, "sms to %s (verification %s, send %d, %s, %d segment%s):\n",
			m.To, m.VerificationID, m.Send, m.Encoding, m.Segments, plural(m.Segments))
		for line := range strings.SplitSeq(m.Body, "\n") {
			b.WriteString("  | ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
	} else {
		fmt.Fprintf(&b, "sms to %s (verification %s, send %d, %s, %d segment%s)\n",
			verifier.MaskPhone(m.To), m.VerificationID, m.Send, m.Encoding, m.Segments, plural(m.Segments))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// Call prints c as Send prints a message: with Reveal, the number and the
// call's transcript; without it, one line with the masked number.
func (c *Console) Call(_ context.Context, v VoiceCall) error {
	var b strings.Builder
	if c.reveal {
		lang, sentences := VoiceScript(v)
		fmt.Fprintf(&b, "call to %s (verification %s, send %d, %s):\n", v.To, v.VerificationID, v.Send, lang)
		for _, s := range sentences {
			b.WriteString("  | ")
			b.WriteString(s)
			b.WriteByte('\n')
		}
	} else {
		fmt.Fprintf(&b, "call to %s (verification %s, send %d, %s)\n", verifier.MaskPhone(v.To), v.VerificationID, v.Send, SayLanguage(v.Locale))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
