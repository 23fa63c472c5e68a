package load

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// gnetGenerator drives every connection from gnet's client event loops, one
// per CPU by default. A connection is a ledger driven by events: OnTraffic
// checks what came back and writes what the ledger allows next; one ticker
// per loop runs the connections the pacer held back and looks for overdue
// replies. No goroutine or timer exists per connection.
//
// Everything a loop's connections hold is touched only on that loop's
// goroutine, in gnet's callbacks or in tasks given to EventLoop.Execute.
type gnetGenerator struct {
	gnet.BuiltinEventEngine
	r      *runState
	client *gnet.Client

	mu    sync.Mutex
	loops map[gnet.EventLoop]*gnetLoop
	order []*gnetLoop
	ts    []*tally

	tickQuit chan struct{}
	tickers  sync.WaitGroup
	// checkEvery is how often a loop looks for overdue replies.
	checkEvery int64
}

// gnetLoop is what one event loop drives.
type gnetLoop struct {
	el    gnet.EventLoop
	t     *tally
	conns []*gnetConn // every connection ever opened on this loop
	// held are connections the pacer holds back until their due time;
	// nil without a rate cap.
	held      *wheel[*gnetConn]
	lastCheck int64 // when overdue replies were last looked for
}

// gnetConn is one connection's state, its gnet.Conn context.
type gnetConn struct {
	ledger
	c    gnet.Conn
	loop *gnetLoop
	i    int
	held bool
	// lowat is the SO_RCVLOWAT last set on the socket (0: the kernel's 1).
	lowat int
	// done is set once the connection has drained or failed (and
	// runState.finish was called for it); a failed one is also dead.
	done, dead bool
}

// quietLogger drops gnet's log lines: a library does not print.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(string, ...any) {}

func newGnetGenerator(r *runState) (*gnetGenerator, error) {
	g := &gnetGenerator{r: r, loops: map[gnet.EventLoop]*gnetLoop{}, tickQuit: make(chan struct{})}
	// A tenth of Timeout, between 10 ms and 1 s: each look walks every
	// connection of the loop, a cache miss or two each.
	g.checkEvery = int64(min(max(r.cfg.Timeout/10, 10*time.Millisecond), time.Second))
	loops := r.cfg.Loops
	if loops == 0 {
		loops = runtime.NumCPU()
	}
	if r.pace.capped() {
		// Each loop's pacing ticker sleeps in nanosleep, a system call too.
		reserveProcs(2 * loops)
	} else {
		reserveProcs(loops)
	}
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		// NewClient makes this the process's default gnet logger too.
		gnet.WithLogger(quietLogger{}),
	}
	if r.cfg.Loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(loops))
	}
	cli, err := gnet.NewClient(g, opts...)
	if err != nil {
		return nil, fmt.Errorf("load: gnet client: %w", err)
	}
	if err := cli.Start(); err != nil {
		return nil, fmt.Errorf("load: gnet client: %w", err)
	}
	g.client = cli
	return g, nil
}

// procsMu serialises reserveProcs.
var procsMu sync.Mutex

// reserveProcs raises GOMAXPROCS to NumCPU plus n, if it is lower, and
// never lowers it. A gnet loop waits in epoll_wait as a plain system call,
// which keeps its P until the runtime's monitor takes it back, up to 10 ms
// later; with only NumCPU Ps, the loops starve the rest of the process
// (the dials, the pacing tickers) and connect latency measured 5 times
// higher than with the goroutine generator. A pacing ticker's nanosleep
// is the same: with no P left idle, the monitor took one back every tick
// and polled every 20 µs, 8.5% of the generator's CPU (perf, 2,000 x 10/s).
func reserveProcs(n int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	if want := runtime.NumCPU() + n; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

func (g *gnetGenerator) add(c net.Conn, i int) error {
	g.r.live.Add(1)
	// Enroll duplicates the descriptor onto gnet's poller, closes c and
	// returns after OnOpen has run on the chosen loop.
	if _, err := g.client.EnrollContext(c, &gnetConn{i: i}); err != nil {
		g.r.live.Add(-1)
		return fmt.Errorf("load: gnet enroll: %w", err)
	}
	return nil
}

// OnOpen files the connection under its event loop.
func (g *gnetGenerator) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	gc := c.Context().(*gnetConn)
	gc.c = c
	gc.loop = g.loopOf(c.EventLoop())
	gc.loop.conns = append(gc.loop.conns, gc)
	return nil, gnet.None
}

func (g *gnetGenerator) loopOf(el gnet.EventLoop) *gnetLoop {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.loops[el]
	if l == nil {
		l = &gnetLoop{el: el, t: newTally()}
		g.loops[el] = l
		g.order = append(g.order, l)
		g.ts = append(g.ts, l.t)
	}
	return l
}

// each runs f on every loop's goroutine and waits for all of them.
func (g *gnetGenerator) each(f func(l *gnetLoop, at int64)) {
	g.mu.Lock()
	loops := append([]*gnetLoop(nil), g.order...)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Add(1)
		err := l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			defer wg.Done()
			f(l, now())
			return nil
		}))
		if err != nil { // the client is shut down: nothing runs there any more
			wg.Done()
		}
	}
	wg.Wait()
}

func (g *gnetGenerator) start() {
	g.each(func(l *gnetLoop, at int64) {
		if g.r.pace.capped() {
			l.held = newWheel[*gnetConn](g.r.pace.tick(), time.Duration(g.r.pace.interval), at)
		}
		for _, gc := range l.conns {
			gc.due = g.r.pace.first(at, gc.i)
			g.send(gc, at)
		}
		l.lastCheck = at
	})
	tick := g.r.pace.tick()
	if tick == 0 || tick > time.Duration(g.checkEvery) {
		tick = time.Duration(g.checkEvery)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, l := range g.order {
		g.tickers.Go(func() { g.ticker(l, tick) })
	}
}

// ticker asks the loop to run onTick at every multiple of every on now's
// clock: aimed at the grid the pacer's sends fall on, so that a send is late
// only by how late the tick comes, and a late tick does not shift the ones
// after it. The task does not chain further tasks, so it cannot starve the
// loop's I/O.
func (g *gnetGenerator) ticker(l *gnetLoop, every time.Duration) {
	step := int64(every)
	untilNext := func() time.Duration {
		at := now()
		return time.Duration((at/step+1)*step - at)
	}
	task := gnet.RunnableFunc(func(context.Context) error {
		g.onTick(l, now())
		return nil
	})
	if every <= paceTick {
		// Pacing ticks sleep in the kernel: a Go timer under a millisecond
		// came 0.6 ms late at the median here (the runtime waits in whole
		// milliseconds when it has nothing else to do), a nanosleep 0.08 ms.
		// A sleep is at most a tick, so stop waits no longer for it.
		for {
			select {
			case <-g.tickQuit:
				return
			default:
			}
			preciseSleep(untilNext())
			if l.el.Execute(context.Background(), task) != nil {
				return
			}
		}
	}
	t := time.NewTimer(untilNext())
	defer t.Stop()
	for {
		select {
		case <-g.tickQuit:
			return
		case <-t.C:
			if l.el.Execute(context.Background(), task) != nil {
				return
			}
			t.Reset(untilNext())
		}
	}
}

// onTick sends for the held connections that are due and, every
// checkEvery, fails the replies overdue.
func (g *gnetGenerator) onTick(l *gnetLoop, at int64) {
	if l.held != nil {
		l.held.release(at, func(gc *gnetConn) {
			gc.held = false
			g.send(gc, at)
		})
	}
	if at-l.lastCheck < g.checkEvery {
		return
	}
	l.lastCheck = at
	for _, gc := range l.conns {
		if !gc.done && gc.overdue(g.r, at) {
			g.kill(gc, ErrTimeout)
		}
	}
}

// send writes what the ledger allows now; when draining, it finishes a
// connection that is owed nothing.
func (g *gnetGenerator) send(gc *gnetConn, at int64) {
	if gc.done {
		return
	}
	if !g.r.sending() {
		if gc.owed() == 0 {
			gc.done = true
			g.r.finish()
		}
		return
	}
	if g.r.unwindowed() && gc.c.OutboundBuffered() > 0 {
		// The socket took less than the last write: gnet writes the rest
		// when it can, and calls nothing then, but the bytes it writes come
		// back, and the OnTraffic they cause writes more.
		return
	}
	n, intended := gc.next(g.r, at)
	// The loop sends paced messages on a grid of pacer ticks: that is the
	// schedule it intends, each message at its due time rounded up to the
	// tick it can go on.
	intended = g.r.pace.onGrid(intended)
	if n == 0 {
		// Held back by the pacer. Without a cap there is no wheel: next
		// gives nothing while there is room only if the run began to drain
		// since the check above, and drain sends to every connection.
		if g.r.pace.capped() && gc.room(g.r) > 0 && !gc.held {
			gc.held = true
			gc.loop.held.hold(gc, gc.due)
		}
		return
	}
	gc.wrote(g.r, n, at, intended)
	// A failed write closes the connection at once: OnClose counts it.
	_, _ = gc.c.Write(g.r.pay.messages(n))
}

// OnTraffic checks the bytes back and sends what may follow.
func (g *gnetGenerator) OnTraffic(c gnet.Conn) gnet.Action {
	gc := c.Context().(*gnetConn)
	b, _ := c.Next(-1) // consume all: gnet would keep what is left for the next event
	if gc.dead {
		return gnet.None
	}
	at := now()
	n, ok := gc.received(g.r, b, at, gc.loop.t)
	if !ok {
		g.fail(gc, ErrMismatch)
		return gnet.Close
	}
	if n > 0 {
		gc.loop.t.messagesSeen.Add(uint64(n))
	}
	g.send(gc, at)
	if g.r.unwindowed() {
		g.setLowat(gc)
	}
	return gnet.None
}

// setLowat keeps the socket's SO_RCVLOWAT at ledger.rcvLowat, so that the
// last bytes owed still wake the loop. It costs a system call only when the
// value changes: while owed more than streamLowat, never.
func (g *gnetGenerator) setLowat(gc *gnetConn) {
	want := gc.rcvLowat()
	if want == max(gc.lowat, 1) {
		return
	}
	if err := setRcvLowat(gc.c.Fd(), want); err == nil {
		gc.lowat = want
	}
}

// OnClose counts a close the generator did not ask for. gnet passes the
// peer's EOF as an error wrapping io.EOF (not always io.EOF itself).
func (g *gnetGenerator) OnClose(c gnet.Conn, err error) gnet.Action {
	gc, _ := c.Context().(*gnetConn)
	if gc == nil || gc.done {
		return gnet.None
	}
	gc.done, gc.dead = true, true
	g.r.fail(classify(err, gc.owed() > 0))
	g.r.finish()
	return gnet.None
}

// fail counts kind for gc, which its caller then closes; on its loop only.
func (g *gnetGenerator) fail(gc *gnetConn, kind string) {
	if gc.dead {
		return
	}
	if !gc.done {
		g.r.finish()
	}
	gc.done, gc.dead = true, true
	g.r.fail(kind)
}

// kill fails gc and closes it, from a task on its loop (in a callback,
// return gnet.Close instead).
func (g *gnetGenerator) kill(gc *gnetConn, kind string) {
	if !gc.dead {
		g.fail(gc, kind)
		_ = gc.loop.el.Close(gc.c)
	}
}

func (g *gnetGenerator) drain() {
	g.each(func(l *gnetLoop, at int64) {
		for _, gc := range l.conns {
			g.send(gc, at)
		}
	})
}

func (g *gnetGenerator) stop() {
	close(g.tickQuit)
	g.tickers.Wait()
	g.each(func(l *gnetLoop, at int64) {
		for _, gc := range l.conns {
			if !gc.done {
				g.kill(gc, ErrTimeout) // still owed after the drain
			}
			gc.addTo(l.t)
		}
	})
	_ = g.client.Stop()
}

func (g *gnetGenerator) tallies() []*tally {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*tally(nil), g.ts...)
}
