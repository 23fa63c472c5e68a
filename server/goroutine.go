package server

// The goroutine engine is the Python original on Go's net package: one
// goroutine per connection, a blocking read of at most ReadSize bytes, the
// uppercase written back in full, repeat. It never reads while a write
// blocks, so a client that sends everything before it reads deadlocks with
// it once the socket buffers are full, exactly as with the original; in
// exchange it never holds more than one read per connection. WriteTimeout
// and IdleTimeout turn that deadlock into a logged close, and a graceful
// stop bounds it by DrainTimeout.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// startGoroutine binds cfg's address and serves it with the goroutine engine
// until ctx is cancelled.
func startGoroutine(ctx context.Context, cfg *Config, st *counters) (*goroutineEngine, net.Addr, error) {
	ln, err := listen(cfg.Network, cfg.Address, cfg.UnixMode)
	if err != nil {
		return nil, nil, err
	}
	return serveGoroutine(ctx, cfg, st, ln), ln.Addr(), nil
}

// goroutineEngine is a running goroutine engine.
type goroutineEngine struct {
	cfg      *Config
	st       *counters
	ln       net.Listener
	refusals refusalLog
	// reads holds ReadSize buffers for the connections that stream (see
	// goroutineConn.next).
	reads sync.Pool

	// stopped is closed when the stop begins, to cut an accept back-off
	// short; stopDone when stop has returned, so that wait does not return
	// while stop still logs.
	stopped    chan struct{}
	stopDone   chan struct{}
	acceptDone chan struct{}
	// serving counts connection goroutines; wait waits for them once the
	// accept loop, the only place that adds to it, has ended.
	serving sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	stopping bool
	drainBy  time.Time
	conns    map[*goroutineConn]struct{}
}

// serveGoroutine serves ln until ctx is cancelled. It is apart from
// startGoroutine so that tests can hand it a listener whose Accept fails.
func serveGoroutine(ctx context.Context, cfg *Config, st *counters, ln net.Listener) *goroutineEngine {
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns()
	}
	e := &goroutineEngine{
		cfg:        cfg,
		st:         st,
		ln:         ln,
		stopped:    make(chan struct{}),
		stopDone:   make(chan struct{}),
		acceptDone: make(chan struct{}),
		conns:      make(map[*goroutineConn]struct{}),
	}
	e.reads.New = func() any { b := make([]byte, cfg.ReadSize); return &b }
	cfg.Logger.Info("listening", "engine", engine.Goroutine, "addr", ln.Addr().String(), "read_size", cfg.ReadSize)
	go e.acceptLoop()
	go func() {
		<-ctx.Done()
		e.stop()
	}()
	return e
}

// wait blocks until the stop, the accept loop and every connection
// goroutine have ended, which a stop bounds by DrainTimeout.
func (e *goroutineEngine) wait() error {
	<-e.stopDone
	<-e.acceptDone
	e.serving.Wait()
	return nil
}

// acceptLoop accepts until the listener is closed by stop.
func (e *goroutineEngine) acceptLoop() {
	defer close(e.acceptDone)
	acceptLoop(e.ln, e.st, e.cfg.Logger, e.stopped, e.handle)
}

// handle admits c and starts its goroutine, or closes it at once when
// MaxConns are open.
func (e *goroutineEngine) handle(c net.Conn) {
	if !e.st.admit(e.cfg.MaxConns) {
		c.Close()
		e.refusals.refused(e.cfg.Logger, c.RemoteAddr(), e.cfg.MaxConns)
		return
	}
	g := &goroutineConn{e: e, c: c, buf: make([]byte, min(e.cfg.ReadSize, idleRead))}
	e.mu.Lock()
	e.conns[g] = struct{}{}
	if e.stopping {
		// Accepted in the instant before the listener closed: it drains
		// like the others.
		g.stop(e.drainBy)
	}
	e.serving.Add(1)
	e.mu.Unlock()
	g.opened()
	go g.serve()
}

// stop closes the listener first, so that the address is free at once,
// then tells every connection to drain by now + DrainTimeout.
func (e *goroutineEngine) stop() {
	defer close(e.stopDone)
	e.ln.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopping = true
	e.drainBy = time.Now().Add(e.cfg.DrainTimeout)
	close(e.stopped)
	for g := range e.conns {
		g.stop(e.drainBy)
	}
	e.cfg.Logger.Info("stopping: listener closed, draining connections",
		"engine", engine.Goroutine, "open", len(e.conns), "drain_timeout", e.cfg.DrainTimeout)
}

// forget removes a finished connection.
func (e *goroutineEngine) forget(g *goroutineConn) {
	e.mu.Lock()
	delete(e.conns, g)
	e.mu.Unlock()
	e.serving.Done()
}

// goroutineConn is one connection and the goroutine that serves it. Its
// size is a size class (128 bytes): keep it so.
type goroutineConn struct {
	e         *goroutineEngine
	c         net.Conn
	buf       []byte  // what a blocking read waits with: at most idleRead
	big       *[]byte // a ReadSize buffer from e.reads while streaming
	processed int64

	// mu orders the deadlines that the connection's goroutine sets with
	// those that stop sets from another goroutine, so that a refreshed idle
	// deadline never undoes the interruption of a stop.
	mu            sync.Mutex
	draining      bool
	drainBy       time.Time
	writeDeadline time.Time
}

// stop makes the connection drain: a blocked read returns at once, and a
// write in progress may go on until drainBy.
func (g *goroutineConn) stop(drainBy time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.draining {
		return
	}
	g.draining, g.drainBy = true, drainBy
	// A deadline in the past wakes the blocked read; echo tells this from an
	// idle timeout by the draining flag.
	g.c.SetReadDeadline(time.Now())
	if g.writeDeadline.IsZero() || drainBy.Before(g.writeDeadline) {
		g.c.SetWriteDeadline(drainBy)
		g.writeDeadline = drainBy
	}
}

// What an idle connection costs is mostly its goroutine's stack, which
// starts at 2 KiB and, once it has grown, stays grown: the garbage collector
// halves a stack only while a quarter of it would do, and a goroutine parked
// in a read uses more than a quarter of 4 KiB. So nothing with a large frame
// runs on a connection's goroutine before or between its reads: no log call
// (slog's Logger.log alone takes about 1 KiB of stack, before it even asks
// whether the level is enabled), no fmt, and the frames of the goroutine's
// own functions are kept small by moving what runs only at the end (logging,
// hooks) into functions of their own. The Open hook and the open log line
// run on the accept goroutine instead (Hooks may run on any of the engine's
// goroutines), and serve and write call theirs only once the connection is
// done. Hooks.Progress, where set, runs between reads and may still grow
// the stack. TestGoroutineIdleStack holds the engine to a bare goroutine
// echo's stack.

// remote is the client's address.
func (g *goroutineConn) remote() net.Addr { return g.c.RemoteAddr() }

// opened runs the Open hook and logs the new connection, on the accept
// goroutine, before the connection's goroutine starts.
func (g *goroutineConn) opened() {
	cfg := g.e.cfg
	if cfg.Hooks.Open != nil {
		cfg.Hooks.Open(g.remote())
	}
	if cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		cfg.Logger.Debug("connection open", "remote", addrString(g.remote()))
	}
}

// serve runs the connection from admission to close.
func (g *goroutineConn) serve() {
	reason, err := g.echo()
	g.closed(reason, err)
}

// closed ends the connection that echo has finished with for reason: it
// lingers if the connection drains, closes it, counts it, runs the Close
// hook and logs it. It is kept out of serve, whose frame is under every
// read (see above).
//
//go:noinline
func (g *goroutineConn) closed(reason CloseReason, err error) {
	defer g.e.forget(g)
	cfg := g.e.cfg
	g.releaseRead()
	if reason == ClosedDrain {
		g.linger()
	}
	g.c.Close()
	g.e.st.finish(reason)
	if cfg.Hooks.Close != nil {
		cfg.Hooks.Close(g.remote(), g.processed, reason, err)
	}
	level := slog.LevelDebug
	if reason == ClosedIdle || reason == ClosedError {
		level = slog.LevelInfo
	}
	cfg.Logger.Log(context.Background(), level, "connection closed",
		"remote", addrString(g.remote()), "reason", reason, "processed", g.processed, "err", err)
}

// echo is the original's loop: read at most ReadSize bytes, uppercase them,
// write them all back, until the peer's EOF, an error, a timeout or a stop.
func (g *goroutineConn) echo() (CloseReason, error) {
	st, hooks := g.e.st, &g.e.cfg.Hooks
	for {
		if g.armRead() {
			return ClosedDrain, nil
		}
		buf := g.readBuffer()
		n, err := g.c.Read(buf)
		if n > 0 {
			st.bytesIn.Add(uint64(n))
			st.events.Add(1)
			st.buffered.Add(int64(n))
			codec.Upper(buf[:n])
			// The original's sendall: write all n bytes back, bounded only
			// by the timeouts that are set. The deadline is armed from
			// here rather than from write, one frame shallower: setting
			// it is the deepest call a connection makes (see serve).
			start := time.Now()
			for p := buf[:n]; len(p) > 0; {
				g.armWrite(start)
				var reason CloseReason
				var werr error
				if p, reason, werr = g.write(p, start); reason != "" {
					return reason, werr
				}
			}
			g.processed += int64(n)
			if hooks.Progress != nil {
				hooks.Progress(g.remote(), g.processed)
			}
		}
		g.next(n) // buf is free again
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return ClosedPeer, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			if g.isDraining() {
				return ClosedDrain, nil
			}
			return ClosedIdle, err
		default:
			return ClosedError, err
		}
	}
}

// idleRead is the most a connection holds for a read while it waits for
// input: with a large ReadSize, thousands of idle connections must not
// each hold ReadSize (1 MiB x 20,000 connections is 20 GiB).
const idleRead = 4 << 10

// readBuffer is the buffer of the next read: the small one a connection
// waits with, or a ReadSize one while it streams.
func (g *goroutineConn) readBuffer() []byte {
	if g.big != nil {
		return *g.big
	}
	return g.buf
}

// next picks the next read's buffer after a read of n bytes: a read that
// filled the small buffer likely left more, so the following reads take a
// ReadSize buffer from the pool, given back after the first read that does
// not fill it. So every read is still at most ReadSize, and the first of a
// burst at most idleRead.
func (g *goroutineConn) next(n int) {
	switch {
	case g.big == nil && n == len(g.buf) && len(g.buf) < g.e.cfg.ReadSize:
		g.big = g.e.reads.Get().(*[]byte)
	case g.big != nil && n < len(*g.big):
		g.releaseRead()
	}
}

// releaseRead gives the ReadSize buffer back to the pool.
func (g *goroutineConn) releaseRead() {
	if g.big != nil {
		g.e.reads.Put(g.big)
		g.big = nil
	}
}

// armRead refreshes the idle deadline before a read, unless the connection
// is draining, which it reports.
func (g *goroutineConn) armRead() (draining bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.draining {
		return true
	}
	if idle := g.e.cfg.IdleTimeout; idle > 0 {
		g.c.SetReadDeadline(time.Now().Add(idle))
	}
	return false
}

func (g *goroutineConn) isDraining() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.draining
}

// write makes one attempt, under the deadline armWrite set, at writing p,
// part of a reply whose write began at start, and returns what is left of
// it. Only the timeouts that are set bound it: none by default, so a client
// that does not read blocks it for ever, which is the original's deadlock.
// When it fails, the reason is empty if the write should go on (see
// writeFailure), else the bytes left are counted as undelivered and logged
// with the reason.
func (g *goroutineConn) write(p []byte, start time.Time) ([]byte, CloseReason, error) {
	st := g.e.st
	n, err := g.c.Write(p)
	st.bytesOut.Add(uint64(n))
	st.buffered.Add(-int64(n))
	p = p[n:]
	if err == nil {
		return p, "", nil
	}
	return p, g.failed(err, start, n > 0, len(p)), err
}

// failed handles a write that began at start and failed with err, left
// bytes short: it returns an empty reason when the write should go on, or
// counts and logs the bytes lost and says why. It is kept out of write,
// whose frame is under every write (see serve).
//
//go:noinline
func (g *goroutineConn) failed(err error, start time.Time, progressed bool, left int) CloseReason {
	reason, why := g.writeFailure(err, start, progressed)
	if reason == "" {
		return ""
	}
	st := g.e.st
	st.buffered.Add(-int64(left))
	st.undelivered.Add(uint64(left))
	g.e.cfg.Logger.Warn("bytes read but not written back",
		"remote", addrString(g.remote()), "bytes", left, "why", why, "err", err)
	return reason
}

// armWrite sets the write deadline to the earliest of the idle timeout from
// now, the write timeout from the start of this write and the drain
// deadline, or none.
//
// It runs under a write, deep in the connection's stack, and sets a timer
// deeper still, so its frame is kept small (no closure, no defer): see
// serve.
func (g *goroutineConn) armWrite(start time.Time) {
	cfg := g.e.cfg
	var d time.Time
	if cfg.IdleTimeout > 0 {
		d = time.Now().Add(cfg.IdleTimeout)
	}
	if cfg.WriteTimeout > 0 {
		if t := start.Add(cfg.WriteTimeout); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	g.mu.Lock()
	if g.draining && (d.IsZero() || g.drainBy.Before(d)) {
		d = g.drainBy
	}
	if !d.Equal(g.writeDeadline) {
		g.c.SetWriteDeadline(d)
		g.writeDeadline = d
	}
	g.mu.Unlock()
}

// writeFailure says why a write that began at start failed, or returns an
// empty reason when it should go on: under an idle timeout, a write that
// moved bytes before its deadline is traffic, not idleness.
func (g *goroutineConn) writeFailure(err error, start time.Time, progressed bool) (reason CloseReason, why string) {
	cfg := g.e.cfg
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return ClosedError, "the write failed (the client reset or closed the connection)"
	}
	now := time.Now()
	g.mu.Lock()
	draining, drainBy := g.draining, g.drainBy
	g.mu.Unlock()
	switch {
	case draining && !now.Before(drainBy):
		return ClosedDrain, "the drain timeout passed before the client read its replies"
	case cfg.WriteTimeout > 0 && now.Sub(start) >= cfg.WriteTimeout:
		return ClosedError, "deadlock: the client has not read its replies for the write timeout " +
			cfg.WriteTimeout.String() + ", and this server, like the original, does not read while a write blocks"
	case cfg.IdleTimeout > 0 && progressed:
		return "", ""
	case cfg.IdleTimeout > 0:
		return ClosedIdle, "no traffic either way for the idle timeout " + cfg.IdleTimeout.String() +
			": the client reads none of its replies"
	}
	return ClosedError, "the write deadline passed"
}

// drainDeadline is when the stop's drain ends.
func (g *goroutineConn) drainDeadline() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.drainBy
}

// linger ends a connection at a stop. With input the server has not read,
// its echo would be cut short: it is counted and the connection reset
// (unreadAtStop), so that the client sees an error, not a clean end.
// Otherwise it shuts down the sending side, so the client reads every reply
// and then EOF, and reads and drops what the client still sends until its
// EOF or the drain deadline, counting it: closing with unread input would
// reset the connection under replies the client has not read yet.
func (g *goroutineConn) linger() {
	if sc, ok := g.c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil && unreadAtStop(rc, g.e.st, g.e.cfg.Logger, g.remote(), oobSlack(g.e.cfg.Network), g.drainDeadline()) {
			return // closed next, and reset
		}
	}
	_ = codec.CloseWrite(g.c)
	g.mu.Lock()
	g.c.SetReadDeadline(g.drainBy)
	g.mu.Unlock()
	var discarded int64
	for {
		n, err := g.c.Read(g.buf)
		discarded += int64(n)
		if err != nil {
			break
		}
	}
	discardedAtStop(g.e.st, g.e.cfg.Logger, g.remote(), discarded)
}
