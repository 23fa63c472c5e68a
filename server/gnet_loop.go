package server

import (
	"context"
	"runtime"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// retryBlocked is how long the sweeper waits before it retries writes that
// met a full socket buffer. gnet calls no handler when a socket drains, so
// this poll is what resumes a connection whose client reads slowly; the
// socket buffer (megabytes on loopback) covers the wait.
const retryBlocked = time.Millisecond

// passBudget bounds the output one sweep produces for one connection, so a
// long backlog cannot hold the loop from its other connections.
const passBudget = 4 * highWater

// loop is the gnet engine's state of one event loop: its connections, and
// the connections that need work gnet will not call back for. Everything but
// kick is owned by the event loop's goroutine.
type loop struct {
	e    *gnetEngine
	el   gnet.EventLoop
	kick chan struct{} // wakes the sweeper

	head    *gconn   // open connections, for the idle sweep
	pending []*gconn // blocked writes and unprocessed backlogs
	spare   []*gconn

	deferred      []*gconn // output held back until the end of the pass
	deferredSpare []*gconn
	deferQueued   bool // flushDeferred is queued on the loop
}

func newLoop(e *gnetEngine, el gnet.EventLoop) *loop {
	return &loop{e: e, el: el, kick: make(chan struct{}, 1)}
}

func (l *loop) link(gc *gconn) {
	gc.next = l.head
	if l.head != nil {
		l.head.prev = gc
	}
	l.head = gc
}

func (l *loop) unlink(gc *gconn) {
	if gc.prev != nil {
		gc.prev.next = gc.next
	} else if l.head == gc {
		l.head = gc.next
	}
	if gc.next != nil {
		gc.next.prev = gc.prev
	}
	gc.prev, gc.next = nil, nil
}

// enqueue puts gc on the sweeper's list.
func (l *loop) enqueue(gc *gconn) {
	if gc.queued {
		return
	}
	gc.queued = true
	l.pending = append(l.pending, gc)
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// deferMax is the most output a connection holds back while more input
// waits in its socket.
const deferMax = 32 << 10

// flushLater defers gc's pending output to the end of this poll pass (gnet
// runs queued tasks after it has handled every ready socket), when
// flushDeferred sends it unless more input is already waiting. One task per
// loop and pass serves every deferred connection; it queues no task itself
// (a task queued from a task runs in the same pass and would starve the
// poller).
func (l *loop) flushLater(gc *gconn) {
	if !gc.flushAt {
		gc.flushAt = true
		l.deferred = append(l.deferred, gc)
	}
	if l.deferQueued {
		return
	}
	l.deferQueued = true
	if err := l.el.Execute(context.Background(), l); err != nil {
		// The engine is stopping: OnClose hands the output to a finisher.
		l.deferQueued = false
	}
}

// Run is flushDeferred as a gnet.Runnable, so that queuing it allocates
// nothing.
func (l *loop) Run(context.Context) error {
	l.flushDeferred()
	return nil
}

// flushDeferred, at the end of a poll pass, sends the deferred output of
// each connection unless the connection has more input waiting in its
// socket and less than deferMax held: level-triggered, gnet reads that
// input next pass and the OnTraffic for it defers the output again.
func (l *loop) flushDeferred() {
	l.deferQueued = false
	work := l.deferred
	l.deferred = l.deferredSpare[:0]
	for _, gc := range work {
		gc.flushAt = false
		if gc.closed || len(gc.out) == 0 {
			continue
		}
		if len(gc.out) < deferMax {
			if n, err := unreadBytes(gc.fd); err == nil && n > 0 {
				continue
			}
		}
		if err := l.e.flush(gc); err != nil {
			l.e.fail(gc, err)
			_ = l.el.Close(gc.c)
			continue
		}
		l.e.held(gc)
	}
	clear(work)
	l.deferredSpare = work
}

// sweepResult tells the sweeper what is left after a sweep.
type sweepResult struct {
	ready   bool // backlog the socket can take: sweep again next pass
	blocked bool // waiting for a socket to drain: sweep again after a while
}

// sweep, on the event loop, retries blocked writes and processes the
// backlog of every connection on the list, at most passBudget each.
func (l *loop) sweep() sweepResult {
	var res sweepResult
	work := l.pending
	l.pending = l.spare[:0]
	for _, gc := range work {
		gc.queued = false
		if gc.closed {
			continue
		}
		if err := l.e.drain(gc); err != nil {
			l.e.fail(gc, err)
			_ = l.el.Close(gc.c)
			continue
		}
		switch {
		case gc.blocked:
			res.blocked = true
			gc.loop.enqueue(gc)
		case gc.in > 0:
			res.ready = true
			gc.loop.enqueue(gc)
		}
	}
	clear(work)
	l.spare = work
	return res
}

// drain flushes gc's output and, while the socket takes it, processes its
// backlog in Config.ReadSize steps.
func (e *gnetEngine) drain(gc *gconn) error {
	if err := e.flush(gc); err != nil || gc.blocked {
		return err
	}
	gc.in = gc.c.InboundBuffered()
	for sent := 0; gc.in > 0 && !gc.blocked && sent < passBudget; {
		n := min(gc.in, e.cfg.ReadSize)
		if err := e.process(gc, n, sendByCaller); err != nil {
			return err
		}
		sent += n
		if len(gc.out) >= highWater {
			if err := e.flush(gc); err != nil {
				return err
			}
		}
	}
	err := e.flush(gc)
	e.held(gc)
	return err
}

// idleSweep, on the event loop, closes connections without traffic for
// Config.IdleTimeout: one pass over the loop's list instead of a timer per
// connection.
func (l *loop) idleSweep() {
	cutoff := time.Now().Add(-l.e.cfg.IdleTimeout).UnixNano()
	for gc := l.head; gc != nil; {
		next := gc.next
		if gc.last < cutoff && !gc.closed {
			gc.reason = ClosedIdle
			l.e.log.Info("closing idle connection", "remote", addrString(gc.remote), "idle_timeout", l.e.cfg.IdleTimeout)
			if held := int64(gc.in) + int64(len(gc.out)); held > 0 {
				l.e.lost(gc, held, "idle timeout with data unsent", nil)
			}
			_ = l.el.Close(gc.c)
		}
		gc = next
	}
}

// run is the loop's sweeper goroutine: it asks the event loop to sweep
// whenever connections need it, and for the idle sweep, until ctx ends.
func (l *loop) run(ctx context.Context) {
	var idle <-chan time.Time
	if d := l.e.cfg.IdleTimeout; d > 0 {
		t := time.NewTicker(min(max(d/4, 10*time.Millisecond), time.Second))
		defer t.Stop()
		idle = t.C
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle:
			if !l.exec(ctx, l.idleSweep) {
				return
			}
			continue
		case <-l.kick:
		}
		for {
			res, ok := l.execSweep(ctx)
			if !ok {
				return
			}
			if res.ready {
				runtime.Gosched() // let the loop poll its sockets first
				continue
			}
			if !res.blocked {
				break
			}
			retry.Reset(retryBlocked)
			select {
			case <-ctx.Done():
				return
			case <-retry.C:
			}
		}
	}
}

func (l *loop) execSweep(ctx context.Context) (sweepResult, bool) {
	var res sweepResult
	ok := l.exec(ctx, func() { res = l.sweep() })
	return res, ok
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
