package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// loop is the gnet engine's state of one event loop: its connections and
// those waiting for their sockets to drain. Fields are owned by the event loop's goroutine
// unless said otherwise.
type loop struct {
	e  *gnetEngine
	el gnet.EventLoop

	head *gconn // open connections, for the idle sweep

	// watch reports when full sockets can take more: gnet calls no handler
	// then. waiting maps the watched descriptors to their connections.
	watch   writeWatch
	waiting map[int]*gconn
	iov     [maxIov][]byte // writev scratch

	parked map[*gconn]struct{} // gnet_park.go
	// lightReads counts reads of connections that are not backlogged;
	// lightMark is its value at the sweeper's last check; lightConn had the
	// last, and lightMixed says another had one since (gnet_turns.go).
	lightReads, lightMark uint64
	lightConn             *gconn
	lightMixed            bool
	parkedN               atomic.Int32  // len(parked), for the sweeper
	parkKick              chan struct{} // the first connection was parked
	// unparkRetry: an unpark failed for want of a descriptor.
	unparkRetry atomic.Bool

	readyMu     sync.Mutex // guards ready and readyQueued (watcher goroutine)
	ready       []int
	readySpare  []int
	readyQueued bool
}

func newLoop(e *gnetEngine, el gnet.EventLoop) (*loop, error) {
	w, err := newWriteWatch()
	if err != nil {
		return nil, err
	}
	return &loop{e: e, el: el, watch: w, waiting: make(map[int]*gconn),
		parked: make(map[*gconn]struct{}), parkKick: make(chan struct{}, 1)}, nil
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

// watchWritable asks the watcher to report gc's socket once it can take
// more. A blocked connection then costs nothing until it does.
func (l *loop) watchWritable(gc *gconn) error {
	if err := l.watch.arm(gc.fd, gc.watched); err != nil {
		return err
	}
	gc.watched = true
	l.waiting[gc.fd] = gc
	return nil
}

// unwatch removes gc's descriptor from the watcher; gnet closes it next.
func (l *loop) unwatch(gc *gconn) {
	if gc.watched {
		l.watch.disarm(gc.fd)
		gc.watched = false
		delete(l.waiting, gc.fd)
	}
}

// resume flushes gc's output, closing the connection if the write fails.
// A parked connection that has sent everything is read again.
func (l *loop) resume(gc *gconn) {
	if err := l.e.flush(gc); err != nil {
		if gc.parked {
			l.closeParked(gc, ClosedError, err, "write failed")
			return
		}
		l.e.fail(gc, err)
		_ = l.el.Close(gc.c)
		return
	}
	l.e.held(gc)
	if gc.parked && gc.out.n == 0 && !l.e.stopping.Load() {
		l.unpark(gc)
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
		gc := l.waiting[fd]
		if gc == nil || gc.closed || !gc.blocked {
			continue
		}
		delete(l.waiting, fd)
		gc.blocked = false
		l.resume(gc)
	}
	l.readyMu.Lock()
	l.readySpare = fds[:0]
	l.readyMu.Unlock()
}

// watchRun is the loop's watcher goroutine: it waits for watched sockets to
// become writable and has the loop resume them, one task for all that are
// ready, until the engine stops.
func (l *loop) watchRun(ctx context.Context) {
	defer l.watch.close()
	defer context.AfterFunc(ctx, l.watch.stop)()
	var buf []int
	for {
		var err error
		buf, err = l.watch.wait(buf[:0])
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
// Config.IdleTimeout: one pass over the loop's list instead of a timer per
// connection.
func (l *loop) idleSweep() {
	cutoff := time.Now().Add(-l.e.cfg.IdleTimeout).UnixNano()
	for gc := l.head; gc != nil; {
		next := gc.next
		// One waiting its turn is not idle: its client has sent what the
		// loop will read at its turn.
		if gc.last < cutoff && !gc.closed && !gc.resuming && !gc.turn {
			l.e.log.Info("closing idle connection", "remote", addrString(gc.remote), "idle_timeout", l.e.cfg.IdleTimeout)
			if gc.parked {
				l.closeParked(gc, ClosedIdle, nil, "idle timeout with data unsent")
				gc = next
				continue
			}
			gc.reason = ClosedIdle
			if held := int64(gc.out.n); held > 0 {
				l.e.lost(gc, held, "idle timeout with data unsent", nil)
			}
			_ = l.el.Close(gc.c)
		}
		gc = next
	}
}

// run is the loop's sweeper goroutine, until ctx ends: the idle sweep, and
// while connections are parked, a look every unparkCheck whether memory
// has freed, and now and then whether their clients are done
// (gnet_parkfinish.go).
func (l *loop) run(ctx context.Context) {
	var idle <-chan time.Time
	if d := l.e.cfg.IdleTimeout; d > 0 {
		t := time.NewTicker(min(max(d/4, 10*time.Millisecond), time.Second))
		defer t.Stop()
		idle = t.C
	}
	check := time.NewTimer(time.Hour)
	check.Stop()
	defer check.Stop()
	finishEvery := finishCheckEvery(l.e.finishPatience())
	var finishNext time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle:
			if !l.exec(ctx, l.idleSweep) {
				return
			}
		case <-l.parkKick:
			check.Reset(unparkCheck)
		case <-check.C:
			if l.parkedN.Load() == 0 {
				continue
			}
			if (l.e.memoryLow() || l.unparkRetry.Swap(false)) && !l.exec(ctx, l.unparkReady) {
				return
			}
			if now := time.Now(); now.After(finishNext) {
				if !l.exec(ctx, l.finishParkedSweep) {
					return
				}
				finishNext = now.Add(finishEvery)
			}
			check.Reset(unparkCheck)
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
