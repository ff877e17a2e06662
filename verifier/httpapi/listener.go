package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// Connection handling bounds. A lingering close gives a client that is
// still writing its request time to finish, so that it reads the answer
// instead of a connection reset.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
	lingerTimeout    = 5 * time.Second
	lingerMaxBytes   = 8 << 20
	// rejectLingers bounds the refused connections lingering at once; past
	// it a refused connection is closed at once (its client may then see
	// a reset instead of the JSON answer).
	rejectLingers = 64
)

// guardListener wraps the listener Serve is given: accept errors that
// come and go (out of file descriptors, a connection aborted before it was
// accepted) are retried with a backoff instead of ending Serve; the
// connections from one IP address and in all are capped, connections over
// a cap answered with a JSON error; connections closed after a request
// error linger so the client reads the answer.
type guardListener struct {
	net.Listener
	log        *slog.Logger
	maxConns   int // 0: no cap
	maxPerIP   int // 0: no cap
	busy       []byte
	tooMany    []byte
	rejectSlot chan struct{}
	closed     chan struct{}
	closeOnce  sync.Once

	mu    sync.Mutex
	open  int
	perIP map[netip.Addr]int
	// refusals are logged at most once a minute, with their count
	refusedLogged time.Time
	refused       int
}

func newGuardListener(ln net.Listener, log *slog.Logger, maxConns, maxPerIP int) *guardListener {
	return &guardListener{
		Listener:   ln,
		log:        log,
		maxConns:   maxConns,
		maxPerIP:   maxPerIP,
		busy:       rejection(errServerBusy),
		tooMany:    rejection(errTooManyConns),
		rejectSlot: make(chan struct{}, rejectLingers),
		closed:     make(chan struct{}),
		perIP:      map[netip.Addr]int{},
	}
}

// rejection is the whole HTTP answer of err to a connection over a cap,
// written by writeError like every other error.
func rejection(err error) []byte {
	var ctx fasthttp.RequestCtx
	writeError(&ctx, slog.New(slog.DiscardHandler), err)
	ctx.Response.Header.SetServer("webotp")
	ctx.Response.SetConnectionClose()
	return []byte(ctx.Response.String())
}

// Accept returns the next connection under the caps. Errors that come
// and go are retried (5 ms doubling to 1 s, as net/http does) and logged
// once per burst; it returns an error only when the listener is closed or
// fails for good.
func (l *guardListener) Accept() (net.Conn, error) {
	var delay time.Duration
	failures := 0
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryable(err) {
				return nil, err
			}
			failures++
			if delay == 0 {
				delay = acceptBackoffMin
				l.log.Warn("accepting connections fails; retrying", "err", err)
			} else if delay *= 2; delay > acceptBackoffMax {
				delay = acceptBackoffMax
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		if failures > 0 {
			l.log.Info("accepting connections again", "failed_accepts", failures)
			failures, delay = 0, 0
		}
		if gc := l.admit(c); gc != nil {
			return gc, nil
		}
	}
}

// retryable reports whether an accept error may go away by itself.
func retryable(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EAGAIN, syscall.EINTR} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// admit counts c against the caps, or answers it with the cap's error
// and returns nil.
func (l *guardListener) admit(c net.Conn) net.Conn {
	var ip netip.Addr
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr().Unmap()
	}
	l.mu.Lock()
	switch {
	case l.maxConns > 0 && l.open >= l.maxConns:
		l.mu.Unlock()
		l.refuse(c, l.busy, "the connection cap is reached", ip)
		return nil
	case l.maxPerIP > 0 && ip.IsValid() && l.perIP[ip] >= l.maxPerIP:
		l.mu.Unlock()
		l.refuse(c, l.tooMany, "the per-IP connection cap is reached", ip)
		return nil
	}
	l.open++
	if ip.IsValid() {
		l.perIP[ip]++
	}
	l.mu.Unlock()
	return &guardConn{Conn: c, l: l, ip: ip}
}

// refuse answers c with answer and closes it, lingering when a slot is
// free. Refusals are logged at most once a minute, with their count.
func (l *guardListener) refuse(c net.Conn, answer []byte, why string, ip netip.Addr) {
	l.mu.Lock()
	l.refused++
	n, logIt := l.refused, time.Since(l.refusedLogged) >= time.Minute
	if logIt {
		l.refusedLogged, l.refused = time.Now(), 0
	}
	l.mu.Unlock()
	if logIt {
		l.log.Warn("refusing connections: "+why, "remote", ip.String(), "refused", n,
			"max_conns", l.maxConns, "max_conns_per_ip", l.maxPerIP)
	}
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(answer)
	select {
	case l.rejectSlot <- struct{}{}:
		go func() {
			defer func() { <-l.rejectSlot }()
			lingerClose(c, time.Second, 64<<10)
		}()
	default:
		_ = c.Close()
	}
}

// Close closes the listener and ends a backoff under way.
func (l *guardListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *guardListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if ip.IsValid() {
		if l.perIP[ip]--; l.perIP[ip] <= 0 {
			delete(l.perIP, ip)
		}
	}
}

// guardConn is an admitted connection: it holds its place under the caps
// until it is closed.
type guardConn struct {
	net.Conn
	l  *guardListener
	ip netip.Addr

	mu      sync.Mutex
	closed  bool
	linger  bool
	release sync.Once
}

// lingerOnClose makes Close drain what the client still sends before
// closing, in the background, up to lingerMaxBytes for lingerTimeout.
func (c *guardConn) lingerOnClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.linger = true
}

// Close closes the connection, after a lingering drain when asked for;
// the connection keeps its place under the caps until it is really
// closed.
func (c *guardConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	linger := c.linger
	c.mu.Unlock()
	if linger {
		go func() {
			lingerClose(c.Conn, lingerTimeout, lingerMaxBytes)
			c.release.Do(func() { c.l.release(c.ip) })
		}()
		return nil
	}
	err := c.Conn.Close()
	c.release.Do(func() { c.l.release(c.ip) })
	return err
}

// lingerClose half-closes c's write side (the answer is then complete for
// the client), reads and discards what the client still sends, up to max
// bytes for at most d, then closes c.
func lingerClose(c net.Conn, d time.Duration, max int64) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, _ = io.CopyN(io.Discard, c, max)
	_ = c.Close()
}

// connOf returns the guardConn under a request, if it came through one.
func connOf(ctx *fasthttp.RequestCtx) *guardConn {
	gc, _ := ctx.Conn().(*guardConn)
	return gc
}
