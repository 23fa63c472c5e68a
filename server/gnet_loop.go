package server

import (
	"context"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// loop is the gnet engine's state of one event loop. Fields are owned by
// the event loop's goroutine unless said otherwise.
type loop struct {
	sh    *gshared
	el    gnet.EventLoop
	conns connList
	waits *writeWaits[*gconn]
	iov   [maxIov][]byte // writev scratch
	turns turns
	parks *parking

	readyMu     sync.Mutex // guards ready and readyQueued (watcher goroutine)
	ready       []int
	readySpare  []int
	readyQueued bool
}

func newLoop(sh *gshared, el gnet.EventLoop) (*loop, error) {
	w, err := newWriteWaits[*gconn]()
	if err != nil {
		return nil, err
	}
	l := &loop{sh: sh, el: el, waits: w}
	l.parks = newParking(sh, el, &l.conns, &l.turns)
	return l, nil
}

// open sets up the state of a connection gnet has just opened.
func (l *loop) open(c gnet.Conn) *gconn {
	gc := &gconn{sh: l.sh, c: c, fd: c.Fd(), remote: ownAddr(c.RemoteAddr()), waits: l.waits, iov: &l.iov, last: time.Now().UnixNano()}
	l.conns.link(gc)
	return gc
}

// resume flushes gc's output, closing the connection if the write fails.
// A parked connection that has sent everything is read again.
func (l *loop) resume(gc *gconn) {
	if err := gc.flush(); err != nil {
		if gc.park.parked {
			l.parks.closeConn(gc, ClosedError, err, "write failed")
			return
		}
		gc.fail(err)
		_ = l.el.Close(gc.c)
		return
	}
	gc.held()
	if gc.park.parked && gc.out.n == 0 && !l.sh.stopping.Load() {
		l.parks.readmit(gc)
	}
}

// writable, on the event loop, resumes the connections whose sockets the
// watcher reported writable.
func (l *loop) writable() {
	l.readyMu.Lock()
	fds := l.ready
	l.ready = l.readySpare[:0]
	l.readyQueued = false
	l.readyMu.Unlock()
	for _, fd := range fds {
		gc := l.waits.at(fd)
		if gc == nil || gc.closed || !gc.blocked {
			continue
		}
		l.waits.resumed(fd)
		gc.blocked = false
		l.resume(gc)
	}
	l.readyMu.Lock()
	l.readySpare = fds[:0]
	l.readyMu.Unlock()
}

// watchRun is the loop's watcher goroutine: it has the loop resume the
// sockets reported writable, one task for all that are ready, until the
// engine stops.
func (l *loop) watchRun(ctx context.Context) {
	watch := l.waits.watch
	defer watch.close()
	defer context.AfterFunc(ctx, watch.stop)()
	var buf []int
	for {
		var err error
		buf, err = watch.wait(buf[:0])
		if err != nil || ctx.Err() != nil {
			return
		}
		l.readyMu.Lock()
		l.ready = append(l.ready, buf...)
		queue := !l.readyQueued
		l.readyQueued = true
		l.readyMu.Unlock()
		if queue {
			if err := l.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
				l.writable()
				return nil
			})); err != nil {
				return
			}
		}
	}
}

// idleSweep, on the event loop, closes connections without traffic for
// Config.IdleTimeout: one pass over the list instead of a timer each.
func (l *loop) idleSweep() {
	cutoff := time.Now().Add(-l.sh.cfg.IdleTimeout).UnixNano()
	for gc := l.conns.head; gc != nil; {
		next := gc.next
		// One waiting its turn is not idle: its client has sent what the
		// loop will read at its turn.
		if gc.last < cutoff && !gc.closed && !gc.park.enrolling && !gc.park.turn {
			l.sh.log.Info("closing idle connection", "remote", addrString(gc.remote), "idle_timeout", l.sh.cfg.IdleTimeout)
			if gc.park.parked {
				l.parks.closeConn(gc, ClosedIdle, nil, "idle timeout with data unsent")
				gc = next
				continue
			}
			gc.reason = ClosedIdle
			if held := int64(gc.out.n); held > 0 {
				gc.lost(held, "idle timeout with data unsent", nil)
			}
			_ = l.el.Close(gc.c)
		}
		gc = next
	}
}

// run is the loop's sweeper goroutine, until ctx ends: the idle sweep and,
// while connections are parked, a look every readmitCheck whether they may
// be read again, and now and then whether their clients are done.
func (l *loop) run(ctx context.Context) {
	var idle <-chan time.Time
	if d := l.sh.cfg.IdleTimeout; d > 0 {
		t := time.NewTicker(min(max(d/4, 10*time.Millisecond), time.Second))
		defer t.Stop()
		idle = t.C
	}
	check := time.NewTimer(time.Hour)
	check.Stop()
	defer check.Stop()
	p := l.parks
	finishEvery := finishCheckEvery(l.sh.finishPatience())
	var finishNext time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle:
			if !l.exec(ctx, l.idleSweep) {
				return
			}
		case <-p.kick:
			check.Reset(readmitCheck)
		case <-check.C:
			if p.n.Load() == 0 {
				continue
			}
			ready := l.sh.memoryLow() || p.turnsWaiting.Load() > 0 || p.retry.Swap(false)
			if ready && !l.exec(ctx, p.readmitReady) {
				return
			}
			if now := time.Now(); now.After(finishNext) {
				if !l.exec(ctx, p.sweepShut) {
					return
				}
				finishNext = now.Add(finishEvery)
			}
			check.Reset(readmitCheck)
		}
	}
}

// exec runs f on the event loop and waits for it. It reports false once the
// engine has stopped.
func (l *loop) exec(ctx context.Context, f func()) bool {
	done := make(chan struct{})
	err := l.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
		f()
		close(done)
		return nil
	}))
	if err != nil {
		return false
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
