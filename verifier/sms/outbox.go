package sms

import (
	"context"
	"sync"
	"time"

	"github.com/webotp/webotp/verifier"
)

var (
	_ verifier.Sender = (*Outbox)(nil)
	_ Caller          = (*Outbox)(nil)
)

// OutboxMessage is one message kept by an Outbox, in the JSON shape of
// GET /dev/outbox.
type OutboxMessage struct {
	// Channel is "sms" for a message, "voice" for a call, whose Body is
	// the transcript, "email" for an email, whose Body is the text part.
	Channel string `json:"channel"`
	To      string `json:"to"`
	Body    string `json:"body"`
	// Subject and HTML are an email's subject line and HTML part.
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	// Link is the verification link the message carries, if any.
	Link           string    `json:"link,omitempty"`
	VerificationID string    `json:"verification_id"`
	SentAt         time.Time `json:"sent_at"`
}

// DefaultOutboxSize is the number of messages an Outbox keeps when asked
// for zero.
const DefaultOutboxSize = 100

// Outbox keeps the last messages sent, for the development inbox and the
// client's dev emulation. It holds codes: use it in development mode only.
// It is safe for concurrent use.
type Outbox struct {
	now func() time.Time

	mu      sync.Mutex
	ring    []OutboxMessage
	next    int // index the next message goes to
	count   int // messages held, at most len(ring)
	sent    uint64
	changed chan struct{} // closed and replaced at every Send
}

// NewOutbox returns an Outbox keeping the last size messages (0 means
// DefaultOutboxSize), stamped with now (nil means time.Now).
func NewOutbox(size int, now func() time.Time) *Outbox {
	if size <= 0 {
		size = DefaultOutboxSize
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{now: now, ring: make([]OutboxMessage, size), changed: make(chan struct{})}
}

// Send keeps m, dropping the oldest message when the outbox is full, and
// wakes every Wait.
func (o *Outbox) Send(_ context.Context, m verifier.Message) error {
	o.keep(OutboxMessage{Channel: "sms", To: m.To, Body: m.Body, Link: m.Link, VerificationID: m.VerificationID, SentAt: o.now().UTC()})
	return nil
}

// KeepEmail keeps an email, composed (its subject, text and HTML parts),
// as an "email" message.
func (o *Outbox) KeepEmail(e verifier.Email, subject, text, html string) {
	o.keep(OutboxMessage{Channel: "email", To: e.To, Subject: subject, Body: text, HTML: html, Link: e.Link,
		VerificationID: e.VerificationID, SentAt: o.now().UTC()})
}

// Call keeps c's transcript as a "voice" message, as Send keeps a message.
func (o *Outbox) Call(_ context.Context, c VoiceCall) error {
	o.keep(OutboxMessage{Channel: "voice", To: c.To, Body: Transcript(c), VerificationID: c.VerificationID, SentAt: o.now().UTC()})
	return nil
}

// keep adds msg to the ring and wakes every Wait.
func (o *Outbox) keep(msg OutboxMessage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ring[o.next] = msg
	o.next = (o.next + 1) % len(o.ring)
	if o.count < len(o.ring) {
		o.count++
	}
	o.sent++
	close(o.changed)
	o.changed = make(chan struct{})
}

// Messages returns the messages kept, newest first.
func (o *Outbox) Messages() []OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]OutboxMessage, 0, o.count)
	for i := 1; i <= o.count; i++ {
		out = append(out, o.ring[(o.next-i+len(o.ring))%len(o.ring)])
	}
	return out
}

// Sent returns how many messages were ever sent through the outbox; it is
// the version a poller passes to Wait.
func (o *Outbox) Sent() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent
}

// Wait blocks until more than seen messages have been sent, or ctx ends,
// and returns Sent. Long-polling pages call it with the last Sent they saw.
func (o *Outbox) Wait(ctx context.Context, seen uint64) (uint64, error) {
	for {
		o.mu.Lock()
		sent, changed := o.sent, o.changed
		o.mu.Unlock()
		if sent > seen {
			return sent, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return sent, ctx.Err()
		}
	}
}
