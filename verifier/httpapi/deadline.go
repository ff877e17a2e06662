package httpapi

import (
	"context"
	"sync"
	"time"
)

// deadlineCtx is a context that ends at a deadline, like the one of
// context.WithTimeout, but arms no timer until someone waits on Done: the
// memstore never does (it only asks Err), so a request on it pays for no
// timer. Its parent is context.Background, never the fasthttp.RequestCtx,
// so in-flight requests finish during a graceful shutdown.
type deadlineCtx struct {
	deadline time.Time

	mu    sync.Mutex
	done  chan struct{}
	timer *time.Timer
	ended bool
}

func newDeadlineCtx(d time.Duration) *deadlineCtx {
	return &deadlineCtx{deadline: time.Now().Add(d)}
}

// Deadline reports the deadline.
func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns a channel closed at the deadline, arming the timer that
// closes it on the first call.
func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if d := time.Until(c.deadline); d <= 0 {
			c.endLocked()
		} else {
			c.timer = time.AfterFunc(d, c.end)
		}
	}
	return c.done
}

// Err is context.DeadlineExceeded once the deadline has passed (Done is
// then closed, as the Context contract asks), nil before.
func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return context.DeadlineExceeded
	}
	if time.Now().Before(c.deadline) {
		return nil
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	c.endLocked()
	return context.DeadlineExceeded
}

// Value has no values.
func (c *deadlineCtx) Value(any) any { return nil }

func (c *deadlineCtx) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked()
}

func (c *deadlineCtx) endLocked() {
	if !c.ended {
		c.ended = true
		close(c.done)
	}
}

// release stops the timer, if one was armed, once the request is done.
func (c *deadlineCtx) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
}

var _ context.Context = (*deadlineCtx)(nil)
