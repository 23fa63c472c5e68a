package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Past Config.MaxMemory, the engine parks each connection whose socket takes
// no more output as soon as it reads from it again: gnet v2.9.7 cannot stop
// reading a socket, so the connection leaves gnet's loop (a duplicate of its
// descriptor keeps the socket open; gnet's close sends no FIN), its output
// goes on draining through the loop's writability watcher, and nothing more
// is read from it: its client blocks, as with the original server. Once the
// engine holds at most seven eighths of the bound, or the connection has
// sent everything it held, it is enrolled back into the same loop
// (EventLoop.Enroll) and read again.
//
// Parking rather than cutting: a client that merely reads slowly, or the
// original's sequential client, is served in full once memory allows, and
// no byte already read is lost. Only connections that are not reading are
// parked: one that reads keeps its output flowing and holds next to
// nothing, so it is served whatever the others hold.

// unparkCheck is how often a loop with parked connections looks whether
// memory has freed (one atomic load; nothing while none is parked).
const unparkCheck = 10 * time.Millisecond

// memoryOver reports whether the engine holds more than Config.MaxMemory.
func (e *gnetEngine) memoryOver() bool {
	return e.cfg.MaxMemory != NoLimit && e.st.memory.Load() > e.cfg.MaxMemory
}

// memoryLow reports whether parked connections may be read again.
func (e *gnetEngine) memoryLow() bool {
	return e.cfg.MaxMemory == NoLimit || e.st.memory.Load() <= e.cfg.MaxMemory/8*7
}

// park, in OnTraffic, takes gc out of gnet's loop. gnet then calls
// OnClose, which hands gc to parkedOut instead of closing it.
func (e *gnetEngine) park(gc *gconn) gnet.Action {
	if err := gc.leaveLoop(); err != nil {
		// Without a duplicate the socket cannot outlive gnet's close: the
		// bound on memory wins over the connection.
		gc.reason = ClosedBudget
		e.lost(gc, int64(gc.out.n), "over max-memory, and cannot stop reading the connection", err, "max_memory", e.cfg.MaxMemory)
		return gnet.Close
	}
	return gnet.Close
}

// leaveLoop duplicates gc's socket, so that it outlives gnet's close, and
// marks gc parked on the duplicate.
func (gc *gconn) leaveLoop() error {
	fd, err := gc.c.Dup()
	if err != nil {
		return err
	}
	// Dup shares the O_NONBLOCK socket: os.NewFile puts it on Go's poller
	// (never call its Fd method, which would make it blocking).
	gc.parked, gc.parkRaw, gc.parkFile = true, fd, os.NewFile(uintptr(fd), "upcase-gnet-parked")
	return nil
}

// parkedOut, in OnClose, keeps a parked connection on the duplicate.
func (l *loop) parkedOut(gc *gconn) {
	gc.c = nil
	gc.fd = gc.parkRaw
	if l.e.stopping.Load() {
		gc.parked, gc.closed = false, true
		l.unlink(gc)
		l.e.finishFile(gc, gc.parkFile, ClosedDrain)
		return
	}
	l.parked[gc] = struct{}{}
	l.countParked(gc, 1)
	if !gc.turn {
		l.e.parkLog.parked(l.e)
		if h := l.e.cfg.park; h != nil && h.parked != nil {
			h.parked(gc.remote)
		}
	}
	l.kickIfFirst()
	if gc.blocked {
		if err := l.watchWritable(gc); err != nil {
			l.closeParked(gc, ClosedError, err, "cannot watch a parked connection")
		}
	}
}

// kickIfFirst counts one more parked connection and, for the first, starts
// the sweeper's checks for memory freed.
func (l *loop) kickIfFirst() {
	if l.parkedN.Add(1) == 1 {
		select {
		case l.parkKick <- struct{}{}:
		default:
		}
	}
}

// countParked adds d to Stats.Parked for gc, unless it waits its turn
// (gnet_turns.go): Parked counts the connections past Config.MaxMemory.
func (l *loop) countParked(gc *gconn, d int64) {
	if !gc.turn {
		l.e.st.parked.Add(d)
	}
}

// unparked takes gc off the loop's parked set.
func (l *loop) unparked(gc *gconn) {
	delete(l.parked, gc)
	l.parkedN.Add(-1)
	l.countParked(gc, -1)
	gc.parked = false
}

// closeParked closes a parked connection for good, logging why with attrs
// when it held output or attrs say more.
func (l *loop) closeParked(gc *gconn, r CloseReason, err error, why string, attrs ...any) {
	l.unwatch(gc)
	l.unparked(gc)
	_ = gc.parkFile.Close()
	gc.closed = true
	l.unlink(gc)
	if gc.out.n > 0 || len(attrs) > 0 {
		l.e.lost(gc, int64(gc.out.n), why, err, attrs...)
	}
	l.e.done(gc, r, err)
}

// unparkReady, on the loop, enrolls back every parked connection that may
// be read again: once memory is low, those parked for it, and those
// waiting their turn (gnet_turns.go) while the loop is not contended,
// turnsPerCheck of them while it is; and any that holds nothing.
func (l *loop) unparkReady() {
	low := l.e.memoryLow()
	contended := l.markChecked()
	n, turns := 0, 0
	for gc := range l.parked {
		if n == unparkBurst || l.e.stopping.Load() {
			return
		}
		switch {
		case gc.out.n == 0:
		case !low:
			continue
		case !gc.turn, !contended:
		case turns < turnsPerCheck:
			turns++
		default:
			continue
		}
		l.unpark(gc)
		n++
	}
}

// unparkBurst bounds the connections one check enrolls back, and so the
// descriptors their enrolls hold for a moment (two each).
const unparkBurst = 64

// unpark enrolls gc back into its gnet loop: OnOpen adopts the new gnet
// connection (its context is gc) and closes the parked duplicate.
func (l *loop) unpark(gc *gconn) {
	if err := socketError(gc.fd); err != nil {
		// Reset while parked (a watched socket would have said so).
		l.closeParked(gc, ClosedError, err, "connection failed")
		return
	}
	nc, err := netConn(gc.parkRaw)
	if err != nil {
		// Out of descriptors for a moment, most likely: it stays parked,
		// and the sweeper's next check tries again.
		l.unparkRetry.Store(true)
		return
	}
	if nc.RemoteAddr() == nil {
		// No peer any more (gnet's enroll would fail on the address).
		_ = nc.Close()
		l.closeParked(gc, ClosedError, unix.ENOTCONN, "connection failed")
		return
	}
	l.unwatch(gc)
	l.unparked(gc)
	gc.resuming = true
	gc.enrolls++
	enroll := gc.enrolls
	if h := l.e.cfg.park; h != nil && h.enrolling != nil {
		h.enrolling(gc.remote)
	}
	var ch <-chan gnet.RegisteredResult
	if h := l.e.cfg.park; h != nil && h.dropEnroll != nil && h.dropEnroll(gc.remote) {
		_ = nc.Close() // as gnet's dropped task: never opened, never answered
	} else if ch, err = l.el.Enroll(gnet.NewContext(context.Background(), gc), nc); err != nil {
		_ = nc.Close()
		l.reparked(gc)
		return
	}
	l.e.unparks.Go(func() { l.enrolled(gc, enroll, ch) })
}

// enrolled, in a goroutine of its own, waits for the answer to gc's enroll
// number enroll and has the loop take back a connection gnet did not open.
// gnet answers only once its loop has run the enroll's task, and drops the
// tasks queued behind its shutdown: once gnet has stopped (e.ran), its
// loops run no more and nothing else touches gc, which goes to a finisher
// if gnet did not open it.
func (l *loop) enrolled(gc *gconn, enroll uint64, ch <-chan gnet.RegisteredResult) {
	// OnOpen, if gnet opened it, ran on the loop before the result came: a
	// connection still resuming was not opened, whatever the result says
	// (gnet reports no error when it cannot poll it). Unless it is
	// resuming from a later unpark: this result may reach the loop after
	// gc was opened, read, parked and unparked again, and must not take
	// the later enroll's connection for a failed one (parked and in gnet's
	// loop at once, its duplicate closed).
	stale := func() bool { return !gc.resuming || gc.enrolls != enroll }
	finish := func() {
		if !stale() {
			l.e.finishFile(gc, gc.parkFile, ClosedDrain)
		}
	}
	select {
	case <-ch:
	case <-l.e.ran:
		finish()
		return
	}
	done := make(chan struct{})
	queue := func() error {
		return l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			defer close(done)
			if !stale() {
				l.reparked(gc)
			}
			return nil
		}))
	}
	if h := l.e.cfg.park; h != nil && h.enrolled != nil {
		direct := queue
		queue = func() error { return h.enrolled(gc.remote, direct) }
	}
	if queue() == nil {
		select {
		case <-done:
			return
		case <-l.e.ran:
			// The loops are gone: the task ran to its end, or never will.
			select {
			case <-done:
				return
			default:
			}
		}
	}
	// The engine is stopping and this loop runs no more tasks. (Opened,
	// it is gnet's to close.)
	finish()
}

// netConn makes a net.Conn of its own duplicate of fd, for Enroll (which
// duplicates it again and closes it). net.FileConn calls File.Fd, which
// makes the socket blocking for a moment (FileConn makes it non-blocking
// again): so it gets a throwaway File, never parkFile, whose Go state would
// stay blocking.
func netConn(fd int) (net.Conn, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	f := os.NewFile(uintptr(dup), "upcase-gnet-resume")
	defer f.Close()
	return net.FileConn(f)
}

// reparked puts gc back in the parked set after a failed enroll, or hands it
// to a finisher when the engine is stopping.
func (l *loop) reparked(gc *gconn) {
	gc.resuming = false
	if l.e.stopping.Load() {
		gc.closed = true
		l.unlink(gc)
		l.e.finishFile(gc, gc.parkFile, ClosedDrain)
		return
	}
	gc.parked = true
	l.parked[gc] = struct{}{}
	l.countParked(gc, 1)
	l.kickIfFirst()
	if gc.out.n == 0 {
		// It holds nothing: no watcher will resume it, and memory may stay
		// over the bound for ever; the sweeper's next check tries again.
		l.unparkRetry.Store(true)
	}
	if gc.blocked {
		if err := l.watchWritable(gc); err != nil {
			l.closeParked(gc, ClosedError, err, "cannot watch a parked connection")
		}
	}
}

// adopt, in OnOpen, takes a resumed connection back from the enroll.
func (e *gnetEngine) adopt(gc *gconn, c gnet.Conn) gnet.Action {
	gc.c, gc.fd, gc.resuming = c, c.Fd(), false
	if gc.turn {
		// Its client has sent what it is back to read: not idle, though
		// nothing was read while it waited.
		e.touch(gc)
	}
	gc.turn, gc.turnReads = false, 0
	_ = gc.parkFile.Close()
	gc.parkFile = nil
	gc.blocked = false
	if err := e.flush(gc); err != nil {
		return e.fail(gc, err)
	}
	e.held(gc)
	return gnet.None
}

// finishAllParked, when the engine stops, has each loop hand its parked
// connections to finishers. (gnet is told to stop after this, so its loops
// still run tasks.)
func (e *gnetEngine) finishAllParked() {
	e.loopsMu.Lock()
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	e.loopsMu.Unlock()
	for _, l := range loops {
		if l.parkedN.Load() > 0 {
			l.exec(e.ctx, l.finishParked)
		}
	}
}

// finishParkedAfterRun hands the parked connections to finishers once gnet
// has stopped by itself: its loops run no more, so nothing else touches
// them.
func (e *gnetEngine) finishParkedAfterRun() {
	e.loopsMu.Lock()
	defer e.loopsMu.Unlock()
	for _, l := range e.loops {
		l.finishParked()
	}
}

// finishParked, on the loop, when the engine stops, hands every parked
// connection to a finisher, as gnet's close does for the others.
func (l *loop) finishParked() {
	for gc := range l.parked {
		l.unwatch(gc)
		l.unparked(gc)
		gc.closed = true
		l.unlink(gc)
		l.e.finishFile(gc, gc.parkFile, ClosedDrain)
	}
}

// parkLog logs parking without flooding: the first at once, then one line
// a second with the count since the last line.
type parkLog struct{ lines countedLog }

// parked counts a parked connection and logs it unless a line went out less
// than a second ago.
func (p *parkLog) parked(e *gnetEngine) {
	n, ok := p.lines.note()
	if !ok {
		return
	}
	e.log.Warn("max-memory reached: stopped reading from clients whose sockets take no more replies, until memory frees",
		"max_memory", e.cfg.MaxMemory, "memory", e.st.memory.Load(), "parked_now", e.st.parked.Load(), "parked_since_last_line", n)
}
