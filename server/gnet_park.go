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

// parking is one loop's parked connections: out of gnet's loop, which cannot
// stop reading a socket, on a duplicate of it, until enrolled back
// (docs/design.md). n, kick and retry are the sweeper's; the rest the loop's.
type parking struct {
	sh    *gshared
	el    gnet.EventLoop
	conns *connList
	turns *turns
	set   map[*gconn]struct{}

	n            atomic.Int32  // len(set), for the sweeper
	turnsWaiting atomic.Int32  // of them, those waiting their turn
	kick         chan struct{} // the set is no longer empty
	retry        atomic.Bool   // a readmit failed for want of a descriptor
}

// readmitCheck is how often a sweeper with parked connections looks at them.
const readmitCheck = 10 * time.Millisecond

// readmitBurst bounds one check's enrolls, each holding two descriptors a moment.
const readmitBurst = 64

func newParking(sh *gshared, el gnet.EventLoop, conns *connList, t *turns) *parking {
	return &parking{sh: sh, el: el, conns: conns, turns: t,
		set: make(map[*gconn]struct{}), kick: make(chan struct{}, 1)}
}

// leave, in OnTraffic past MaxMemory, takes gc out of gnet's loop; OnClose calls enter.
func (p *parking) leave(gc *gconn) gnet.Action {
	if err := p.dup(gc); err != nil {
		// The socket dies with gnet's close: the bound wins over the connection.
		gc.reason = ClosedBudget
		gc.lost(int64(gc.out.n), "over max-memory, and cannot stop reading the connection", err, "max_memory", p.sh.cfg.MaxMemory)
	}
	return gnet.Close
}

// leaveForTurn takes a backlogged connection out of gnet's loop until its turn.
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
	// Never call the File's Fd: it makes the shared socket blocking.
	gc.park.parked, gc.park.fd, gc.park.file = true, fd, os.NewFile(uintptr(fd), "upcase-gnet-parked")
	return nil
}

// enter, in OnClose, keeps a connection that left gnet's loop on its duplicate.
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
	p.watchBlocked(gc)
}

// grown counts one more for the sweeper, and wakes its checks for the first.
func (p *parking) grown() {
	if p.n.Add(1) == 1 {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// watchBlocked has the watcher resume a blocked parked connection's output.
func (p *parking) watchBlocked(gc *gconn) {
	if gc.blocked {
		if err := gc.watch(); err != nil {
			p.closeConn(gc, ClosedError, err, "cannot watch a parked connection")
		}
	}
}

// count keeps Stats.Parked to connections parked for memory, and
// turnsWaiting to those waiting their turn.
func (p *parking) count(gc *gconn, d int64) {
	if gc.park.turn {
		p.turnsWaiting.Add(int32(d))
		return
	}
	p.sh.st.parked.Add(d)
}

// turnPastMemory parks for memory one waiting its turn past the bound (read,
// it would be at once): counted and logged as the others, not idle.
func (p *parking) turnPastMemory(gc *gconn) {
	p.count(gc, -1)
	gc.park.turn = false
	p.count(gc, 1)
	gc.touch()
	p.sh.parkLog.parked(p.sh.log, p.sh.cfg.MaxMemory, p.sh.st.memory.Load(), p.sh.st.parked.Load())
}

func (p *parking) remove(gc *gconn) {
	delete(p.set, gc)
	p.n.Add(-1)
	p.count(gc, -1)
	gc.park.parked = false
}

// closeConn ends a parked connection, logging why when it held output or attrs say more.
func (p *parking) closeConn(gc *gconn, r CloseReason, err error, why string, attrs ...any) {
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

// readmitReady enrolls back any that holds nothing; once memory is low,
// those parked for it; and those waiting their turn, turnsPerCheck while
// contended, unless memory is over the bound, which parks them for it.
func (p *parking) readmitReady() {
	low, over := p.sh.memoryLow(), p.sh.memoryOver()
	contended := p.turns.check()
	n, turns := 0, 0
	for gc := range p.set {
		if n == readmitBurst || p.sh.stopping.Load() {
			return
		}
		switch {
		case gc.out.n == 0:
		case gc.park.turn && over:
			p.turnPastMemory(gc)
			continue
		case !gc.park.turn && !low:
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

// readmit enrolls gc back into gnet's loop, where OnOpen adopts it.
func (p *parking) readmit(gc *gconn) {
	if err := socketError(gc.fd); err != nil {
		p.closeConn(gc, ClosedError, err, "connection failed") // reset while parked
		return
	}
	nc, err := netConn(gc.park.fd)
	if err != nil {
		p.retry.Store(true) // out of descriptors for a moment, most likely
		return
	}
	if nc.RemoteAddr() == nil {
		_ = nc.Close() // gnet's enroll would fail on it
		p.closeConn(gc, ClosedError, unix.ENOTCONN, "connection failed")
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
	if ch != nil {
		p.sh.unanswered.Add(1)
	}
	p.sh.awaiting.Go(func() { p.await(gc, n, ch) })
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
	toFinisher := func() {
		if !stale() {
			finishFile(gc, gc.park.file, ClosedDrain)
		}
	}
	select {
	case <-ch:
		p.sh.unanswered.Done()
	case <-p.sh.ran:
		// gnet stopped by itself (a stop waits for the answer), or no
		// enroll was made (ch is nil).
		if ch != nil {
			p.sh.unanswered.Done()
		}
		toFinisher()
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
	toFinisher() // opened, it is gnet's to close
}

// netConn makes a net.Conn of a duplicate of fd for Enroll, through a File
// thrown away: net.FileConn calls File.Fd, which leaves it blocking.
func netConn(fd int) (net.Conn, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	f := os.NewFile(uintptr(dup), "upcase-gnet-resume")
	defer f.Close()
	return net.FileConn(f)
}

// restore parks gc again after a failed readmit, or finishes it at a stop.
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
	p.watchBlocked(gc)
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

// finishAll, at a stop, hands every parked connection to a finisher.
func (p *parking) finishAll() {
	for gc := range p.set {
		gc.unwatch()
		p.remove(gc)
		gc.closed = true
		p.conns.unlink(gc)
		finishFile(gc, gc.park.file, ClosedDrain)
	}
}

// finishCheckEvery is how often the sweeper looks for parked connections
// past the finish patience: a quarter of it, within bounds.
func finishCheckEvery(patience time.Duration) time.Duration {
	return min(max(patience/4, 10*time.Millisecond), time.Second)
}

// sweepShut cuts parked connections whose clients shut down their side and
// read nothing for the finish patience: no finisher sees a half-close unread.
func (p *parking) sweepShut() {
	patience := p.sh.finishPatience()
	now := time.Now().UnixNano()
	for gc := range p.set {
		if gc.park.turn || p.sh.stopping.Load() {
			continue
		}
		if !peerShutWrite(gc.fd) {
			gc.park.shutSince = 0
			continue
		}
		if gc.park.shutSince == 0 || gc.out.n < gc.park.shutOut {
			gc.park.shutSince, gc.park.shutOut = now, gc.out.n
			continue
		}
		if time.Duration(now-gc.park.shutSince) >= patience {
			p.cut(gc, patience)
		}
	}
}

// cut resets gc, as a finisher does, so that its client cannot take the
// echo for whole, counting what it was not sent and what it sent unread.
func (p *parking) cut(gc *gconn, patience time.Duration) {
	unread := 0
	if n, err := unreadBytes(gc.fd); err == nil && n > p.sh.oobSlack {
		unread = n
	}
	if rc, err := gc.park.file.SyscallConn(); err == nil {
		resetOnClose(rc)
	}
	p.sh.st.unread.Add(uint64(unread))
	err := fmt.Errorf("the client shut down its side and read none of its replies for %v: %w", patience, os.ErrDeadlineExceeded)
	p.closeConn(gc, ClosedError, err, "could not finish the echo", "unread_bytes", unread)
}
