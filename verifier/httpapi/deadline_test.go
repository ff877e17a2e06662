package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTheRequestContextEndsAtItsDeadline(t *testing.T) {
	t.Run("Done closes at the deadline and Err then says so", func(t *testing.T) {
		c := newDeadlineCtx(20 * time.Millisecond)
		defer c.release()
		if err := c.Err(); err != nil {
			t.Fatalf("Err before the deadline: %v", err)
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed after the deadline")
		}
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err after the deadline: %v", err)
		}
	})
	t.Run("Err past the deadline closes Done though nobody waited", func(t *testing.T) {
		c := newDeadlineCtx(time.Millisecond)
		defer c.release()
		time.Sleep(5 * time.Millisecond)
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err: %v", err)
		}
		select {
		case <-c.Done():
		default:
			t.Fatal("Done open while Err is not nil")
		}
	})
	t.Run("a derived context inherits the deadline", func(t *testing.T) {
		c := newDeadlineCtx(time.Hour)
		defer c.release()
		d, cancel := context.WithCancel(c)
		defer cancel()
		if dl, ok := d.Deadline(); !ok || time.Until(dl) < 59*time.Minute {
			t.Fatalf("deadline %v %v", dl, ok)
		}
		cancel()
		if c.Err() != nil {
			t.Fatal("canceling a child ended the parent")
		}
	})
	t.Run("a deadline already passed is closed at once", func(t *testing.T) {
		c := newDeadlineCtx(-time.Second)
		defer c.release()
		select {
		case <-c.Done():
		default:
			t.Fatal("Done open past the deadline")
		}
	})
}
