package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// parking is one event loop's parked connections: out of gnet's loop, which
// cannot stop reading a socket, on a duplicate of the socket that its
// output drains through, until they are enrolled back (docs/design.md).
// Its fields are the loop's, but for n, kick and retry (the sweeper's).
type parking struct {
	sh    *gshared
	el    gnet.EventLoop
	conns *connList
	turns *turns
	set   map[*gconn]struct{}

	n     atomic.Int32  // len(set), for the sweeper
	kick  chan struct{} // the set is no longer empty
	retry atomic.Bool   // a readmit failed for want of a descriptor
}

// readmitCheck is how often the sweeper of a loop with parked connections
// looks whether they may be read again.
const readmitCheck = 10 * time.Millisecond

// readmitBurst bounds the connections one check enrolls back, and so the
// descriptors their enrolls hold for a moment (two each).
const readmitBurst = 64

func newParking(sh *gshared, el gnet.EventLoop, conns *connList, t *turns) *parking {
	return &parking{sh: sh, el: el, conns: conns, turns: t,
		set: make(map[*gconn]struct{}), kick: make(chan struct{}, 1)}
}

// leave, in OnTraffic past Config.MaxMemory, takes gc out of gnet's loop:
// gnet then calls OnClose, which hands gc to enter.
func (p *parking) leave(gc *gconn) gnet.Action {
	if err := p.dup(gc); err != nil {
		// Without a duplicate the socket dies with gnet's close: the bound
		// on memory wins over the connection.
		gc.reason = ClosedBudget
		gc.lost(int64(gc.out.n), "over max-memory, and cannot stop reading the connection", err, "max_memory", p.sh.cfg.MaxMemory)
	}
	return gnet.Close
}

// leaveForTurn, in OnTraffic, takes a backlogged connection out of gnet's
// loop until the sweeper hands it back (readmitReady).
func (p *parking) leaveForTurn(gc *gconn) gnet.Action {
	if p.dup(gc) != nil {
		return gnet.None // out of descriptors: read on at gnet's pace
	}
	gc.park.turn = true
	p.sh.turnWaits.Add(1)
	return gnet.Close
}

// dup duplicates gc's socket, so that it outlives gnet's close.
func (p *parking) dup(gc *gconn) error {
	fd, err := gc.c.Dup()
	if err != nil {
		return err
	}
	// Never call the File's Fd method: it would make the shared socket
	// blocking.
	gc.park.parked, gc.park.fd, gc.park.file = true, fd, os.NewFile(uintptr(fd), "upcase-gnet-parked")
	return nil
}

// enter, in OnClose, keeps a connection that left gnet's loop on its
// duplicate.
func (p *parking) enter(gc *gconn) {
	gc.c = nil
	gc.fd = gc.park.fd
	if p.sh.stopping.Load() {
		gc.park.parked, gc.closed = false, true
		p.conns.unlink(gc)
		finishFile(gc, gc.park.file, ClosedDrain)
		return
	}
	p.set[gc] = struct{}{}
	p.count(gc, 1)
	if !gc.park.turn {
		p.sh.parkLog.parked(p.sh.log, p.sh.cfg.MaxMemory, p.sh.st.memory.Load(), p.sh.st.parked.Load())
		if h := p.sh.cfg.park; h != nil && h.parked != nil {
			h.parked(gc.remote)
		}
	}
	p.grown()
	p.watch(gc)
}

// grown counts one more connection in the set for the sweeper, and wakes
// its checks for the first.
func (p *parking) grown() {
	if p.n.Add(1) == 1 {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// watch has the watcher resume a blocked parked connection's output.
func (p *parking) watch(gc *gconn) {
	if gc.blocked {
		if err := gc.watch(); err != nil {
			p.close(gc, ClosedError, err, "cannot watch a parked connection")
		}
	}
}

// count adds d to Stats.Parked, which counts only connections parked past
// Config.MaxMemory, not those waiting their turn.
func (p *parking) count(gc *gconn, d int64) {
	if !gc.park.turn {
		p.sh.st.parked.Add(d)
	}
}

// remove takes gc out of the set.
func (p *parking) remove(gc *gconn) {
	delete(p.set, gc)
	p.n.Add(-1)
	p.count(gc, -1)
	gc.park.parked = false
}

// close closes a parked connection for good, logging why with attrs when
// it held output or attrs say more.
func (p *parking) close(gc *gconn, r CloseReason, err error, why string, attrs ...any) {
	gc.unwatch()
	p.remove(gc)
	_ = gc.park.file.Close()
	gc.closed = true
	p.conns.unlink(gc)
	if gc.out.n > 0 || len(attrs) > 0 {
		gc.lost(int64(gc.out.n), why, err, attrs...)
	}
	gc.done(r, err)
}

// readmitReady, on the loop, enrolls back the connections that may be read
// again: any that holds nothing; once memory is low, those parked for it,
// and those waiting their turn, turnsPerCheck a check while the loop is
// contended.
func (p *parking) readmitReady() {
	low := p.sh.memoryLow()
	contended := p.turns.check()
	n, turns := 0, 0
	for gc := range p.set {
		if n == readmitBurst || p.sh.stopping.Load() {
			return
		}
		switch {
		case gc.out.n == 0:
		case !low:
			continue
		case !gc.park.turn, !contended:
		case turns < turnsPerCheck:
			turns++
		default:
			continue
		}
		p.readmit(gc)
		n++
	}
}

// readmit enrolls gc back into gnet's loop, where OnOpen adopts it (its
// context is gc).
func (p *parking) readmit(gc *gconn) {
	if err := socketError(gc.fd); err != nil {
		p.close(gc, ClosedError, err, "connection failed") // reset while parked
		return
	}
	nc, err := netConn(gc.park.fd)
	if err != nil {
		p.retry.Store(true) // out of descriptors for a moment, most likely
		return
	}
	if nc.RemoteAddr() == nil {
		_ = nc.Close() // gnet's enroll would fail on it
		p.close(gc, ClosedError, unix.ENOTCONN, "connection failed")
		return
	}
	gc.unwatch()
	p.remove(gc)
	gc.park.enrolling = true
	gc.park.readmits++
	n := gc.park.readmits
	hooks := p.sh.cfg.park
	if hooks != nil && hooks.enrolling != nil {
		hooks.enrolling(gc.remote)
	}
	var ch <-chan gnet.RegisteredResult
	if hooks != nil && hooks.dropEnroll != nil && hooks.dropEnroll(gc.remote) {
		_ = nc.Close() // as gnet's dropped task: never opened, never answered
	} else if ch, err = p.el.Enroll(gnet.NewContext(context.Background(), gc), nc); err != nil {
		_ = nc.Close()
		p.restore(gc)
		return
	}
	p.sh.unparks.Go(func() { p.await(gc, n, ch) })
}

// await, in a goroutine of its own, waits for gnet's answer to gc's
// readmit number n and has the loop take gc back if gnet did not open it.
// gnet answers once its loop ran the enroll, and drops the tasks queued
// behind its shutdown: once gnet has stopped, nothing else touches gc.
func (p *parking) await(gc *gconn, n uint64, ch <-chan gnet.RegisteredResult) {
	// OnOpen ran before the answer if gnet opened gc: one still enrolling
	// was not opened, whatever the answer says; unless it is a later
	// readmit's, which this answer must not undo.
	stale := func() bool { return !gc.park.enrolling || gc.park.readmits != n }
	finish := func() {
		if !stale() {
			finishFile(gc, gc.park.file, ClosedDrain)
		}
	}
	select {
	case <-ch:
	case <-p.sh.ran:
		finish()
		return
	}
	done := make(chan struct{})
	queue := func() error {
		return p.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			defer close(done)
			if !stale() {
				p.restore(gc)
			}
			return nil
		}))
	}
	if h := p.sh.cfg.park; h != nil && h.enrolled != nil {
		direct := queue
		queue = func() error { return h.enrolled(gc.remote, direct) }
	}
	if queue() == nil {
		select {
		case <-done:
			return
		case <-p.sh.ran:
			select { // the loops are gone: the task ran to its end, or never will
			case <-done:
				return
			default:
			}
		}
	}
	finish() // opened, it is gnet's to close
}

// netConn makes a net.Conn of its own duplicate of fd, for Enroll. Its File
// is thrown away: net.FileConn calls File.Fd, which leaves the File's Go
// state blocking.
func netConn(fd int) (net.Conn, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	f := os.NewFile(uintptr(dup), "upcase-gnet-resume")
	defer f.Close()
	return net.FileConn(f)
}

// restore puts gc back in the set after a failed readmit, or hands it to a
// finisher when the engine is stopping.
func (p *parking) restore(gc *gconn) {
	gc.park.enrolling = false
	if p.sh.stopping.Load() {
		gc.closed = true
		p.conns.unlink(gc)
		finishFile(gc, gc.park.file, ClosedDrain)
		return
	}
	gc.park.parked = true
	p.set[gc] = struct{}{}
	p.count(gc, 1)
	p.grown()
	if gc.out.n == 0 {
		// No watcher will resume it, and memory may stay over the bound.
		p.retry.Store(true)
	}
	p.watch(gc)
}

// adopt, in OnOpen, takes gc back from its readmit onto the new gnet.Conn.
func (p *parking) adopt(gc *gconn, c gnet.Conn) gnet.Action {
	gc.c, gc.fd, gc.park.enrolling = c, c.Fd(), false
	if gc.park.turn {
		gc.touch() // its client sent what it is back to read: not idle
	}
	gc.park.turn, gc.turnReads = false, 0
	_ = gc.park.file.Close()
	gc.park.file = nil
	gc.blocked = false
	if err := gc.flush(); err != nil {
		return gc.fail(err)
	}
	gc.held()
	return gnet.None
}

// finishAll, on the loop when the engine stops, hands every parked
// connection to a finisher, as gnet's close does for the others.
func (p *parking) finishAll() {
	for gc := range p.set {
		gc.unwatch()
		p.remove(gc)
		gc.closed = true
		p.conns.unlink(gc)
		finishFile(gc, gc.park.file, ClosedDrain)
	}
}
