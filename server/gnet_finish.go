package server

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// finish, in OnClose, hands the connection's unsent output (its chunks,
// not a copy) and a duplicate of its socket to a finisher goroutine. gnet
// closes its own descriptor right after OnClose returns; the duplicate keeps
// the socket open until the finisher is done
// (TestGnetAssumesOnCloseBeforeFdClose). gnet's own outbound queue is
// empty (this engine never uses it), so gnet's close writes nothing and
// drops nothing.
func (e *gnetEngine) finish(gc *gconn, c gnet.Conn, r CloseReason) {
	fd, err := c.Dup()
	if err != nil {
		if gc.out.n > 0 {
			e.lost(gc, int64(gc.out.n), "cannot duplicate the socket to finish the echo", err)
		}
		e.done(gc, ClosedError, err)
		return
	}
	// Dup shares the O_NONBLOCK socket, so os.NewFile puts it on Go's
	// poller. (File.Fd would switch the shared socket to blocking mode and
	// block gnet's loop: never call it here.)
	e.finishFile(gc, os.NewFile(uintptr(fd), "upcase-gnet-finisher"), r)
}

// finishFile hands gc and its socket f to a finisher, which closes f.
func (e *gnetEngine) finishFile(gc *gconn, f *os.File, r CloseReason) {
	e.fin.start(&finisher{e: e, gc: gc, f: f, reason: r})
}

// finisher completes one connection's echo on Go's poller. It owns gc from
// OnClose on.
type finisher struct {
	e      *gnetEngine
	gc     *gconn
	f      *os.File
	reason CloseReason
}

func (fn *finisher) run() {
	e, gc := fn.e, fn.gc
	defer fn.f.Close()
	rc, rcErr := fn.f.SyscallConn()
	stop := fn.reason == ClosedDrain && rcErr == nil
	if err := fn.write(); err != nil {
		e.lost(gc, int64(gc.out.n), "could not finish the echo", err)
		// An echo cut short ends in a reset, not a clean end, so that its
		// client cannot take it for whole; what is left unsent goes with it
		// (counted lost above).
		if rcErr == nil && (!stop || !unreadAtStop(rc, e.st, e.log, gc.remote, e.oobSlack, time.Now())) {
			resetOnClose(rc)
		}
		e.done(gc, ClosedError, err)
		return
	}
	if stop && unreadAtStop(rc, e.st, e.log, gc.remote, e.oobSlack, fn.drainBy()) {
		e.done(gc, fn.reason, nil)
		return
	}
	// The client sees EOF after the last byte. Then a lingering close: read
	// and drop until the client closes (or the deadline), so that closing
	// with unread input does not reset the connection under a reply the
	// client has not read yet.
	if rcErr == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_WR) })
	}
	e.fin.setDeadline(fn.f.SetReadDeadline, time.Now().Add(e.cfg.DrainTimeout))
	var sink [4096]byte
	var dropped int64
	for {
		n, err := fn.f.Read(sink[:])
		dropped += int64(n)
		if err != nil {
			break
		}
	}
	if fn.reason == ClosedDrain {
		discardedAtStop(e.st, e.log, gc.remote, dropped)
	}
	e.done(gc, fn.reason, nil)
}

// drainBy is when the stop's drain ends (the drain timeout from now if the
// finishers are not bounded yet).
func (fn *finisher) drainBy() time.Time {
	fs := &fn.e.fin
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() {
		return fs.stopBy
	}
	return time.Now().Add(fn.e.cfg.DrainTimeout)
}

// write sends the connection's held output chunk by chunk, freeing each
// once sent, until it is all gone, a write fails, or no progress is made
// for Config.FinishTimeout (or the idle timeout, when set and shorter) or
// by the drain deadline. What is left unsent stays held.
func (fn *finisher) write() error {
	e, gc := fn.e, fn.gc
	patience := e.finishPatience()
	for gc.out.n > 0 {
		e.fin.setDeadline(fn.f.SetWriteDeadline, time.Now().Add(patience))
		n, err := fn.f.Write(gc.out.bufs[0][gc.out.off:])
		gc.out.consume(n, &e.st.memory)
		e.st.bytesOut.Add(uint64(n))
		e.held(gc)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if e.fin.stopped() {
					return fmt.Errorf("the server stopped and the drain timeout passed: %w", err)
				}
				return fmt.Errorf("the client read none of its replies for %v: %w", patience, err)
			}
			return err
		}
	}
	return nil
}

// finishers tracks the running finishers so that a graceful stop can bound
// them by the drain deadline and wait for them.
type finishers struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	running map[*finisher]struct{}
	stopBy  time.Time // zero until the server stops
}

func (fs *finishers) start(fn *finisher) {
	fs.mu.Lock()
	if fs.running == nil {
		fs.running = make(map[*finisher]struct{})
	}
	fs.running[fn] = struct{}{}
	fs.wg.Add(1)
	fs.mu.Unlock()
	go func() {
		defer fs.wg.Done()
		fn.run()
		fs.mu.Lock()
		delete(fs.running, fn)
		fs.mu.Unlock()
	}()
}

// setDeadline sets d, or the drain deadline when the server is stopping
// and that comes first (a zero d means none), with set. Under the lock that
// stop holds while it bounds the running finishers: a deadline looked up
// before a stop and set after it would undo the stop's bound (a finisher's
// write waited for FinishTimeout, not the drain timeout).
func (fs *finishers) setDeadline(set func(time.Time) error, d time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() && (d.IsZero() || fs.stopBy.Before(d)) {
		d = fs.stopBy
	}
	_ = set(d)
}

// stop bounds every running and future finisher by the drain deadline; of
// two stops (asked, and gnet stopping by itself), the earlier bound holds.
func (fs *finishers) stop(by time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() && fs.stopBy.Before(by) {
		return
	}
	fs.stopBy = by
	for fn := range fs.running {
		_ = fn.f.SetDeadline(by)
	}
}

// stopped reports whether the finishers are bounded by a stop.
func (fs *finishers) stopped() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return !fs.stopBy.IsZero()
}

func (fs *finishers) wait() { fs.wg.Wait() }
