package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"

	"github.com/panjf2000/gnet/v2"
)

// gnetEngine serves every connection from gnet's event loops, unmodified, and
// sends every byte read back or counts its loss (docs/design.md, "How the gnet
// engine keeps every byte"). It only wires gnet's callbacks to the parts below.
type gnetEngine struct {
	gnet.BuiltinEventEngine
	*gshared

	en         *enroller
	ln         net.Listener
	stopped    chan struct{} // closed when a graceful stop begins
	acceptDone chan struct{} // closed when the accept loop has returned

	eng       gnet.Engine
	ready     chan struct{} // closed when gnet's event loops run
	readyOnce sync.Once
	runErr    error

	died    atomic.Bool // gnet.Run returned without a stop being asked
	diedLog sync.Once

	loopsMu  sync.Mutex
	loops    map[gnet.EventLoop]*loop
	ctx      context.Context // cancelled when the engine has stopped
	sweepers sync.WaitGroup
}

// startGnet serves cfg's address with the gnet engine until ctx is cancelled.
func startGnet(ctx context.Context, cfg *Config, st *counters) (*gnetEngine, net.Addr, error) {
	loops := cfg.Loops
	if loops == 0 {
		loops = runtime.NumCPU() // gnet's multicore mode
	}
	if most := gnetMaxLoops(); loops > most {
		cfg.Logger.Warn("too many event loops for the open-file limit: lowered, so that their descriptors leave at least half to connections",
			"engine", string(engine.Gnet), "loops", loops, "lowered_to", most)
		loops, cfg.Loops = most, most
	}
	switch limit := gnetMaxConns(loops); {
	case cfg.MaxConns == 0:
		cfg.MaxConns = limit
	case cfg.MaxConns > limit:
		cfg.Logger.Warn("max-conns is above what the open-file limit allows with these event loops: lowered, so that the excess is refused rather than left waiting for a descriptor",
			"engine", string(engine.Gnet), "max_conns", cfg.MaxConns, "loops", loops, "lowered_to", limit)
		cfg.MaxConns = limit
	}
	spareProc(loops)
	ln, err := listen(cfg.Network, cfg.Address, cfg.UnixMode)
	if err != nil {
		return nil, nil, err
	}
	sh := newShared(cfg, st)
	e := &gnetEngine{
		gshared:    sh,
		en:         newEnroller(sh),
		ln:         ln,
		ready:      make(chan struct{}),
		stopped:    make(chan struct{}),
		acceptDone: make(chan struct{}),
		loops:      make(map[gnet.EventLoop]*loop),
	}
	var cancel context.CancelFunc
	e.ctx, cancel = context.WithCancel(context.Background())
	if err := e.run(); err != nil {
		cancel()
		ln.Close()
		return nil, nil, fmt.Errorf("server: gnet: %w", err)
	}
	go func() {
		<-e.ran
		cancel()
		ln.Close() // a dead engine must not leave clients in its backlog
	}()
	e.en.collects.Go(e.en.collect)
	go func() {
		defer close(e.acceptDone)
		defer close(e.en.pending)
		acceptLoop(ln, st, e.log, e.stopped, e.en.enroll)
	}()
	go e.stopOn(ctx)
	return e, ln.Addr(), nil
}

var procsMu sync.Mutex // serialises spareProc

// spareProc raises GOMAXPROCS to one more than loops, never lowering it: a
// busy gnet loop keeps its P, and the rest of the engine would wait for the
// runtime's preemption (docs/design.md, "Accepts without a round trip").
func spareProc(loops int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	if want := loops + 1; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

// run starts gnet's event loops and returns once they run or gnet failed.
func (e *gnetEngine) run() error {
	opts := []gnet.Option{
		gnet.WithLogger(gnetLogger{e.log}),
		// The first tick says every event loop runs (OnBoot comes before).
		gnet.WithTicker(true),
		// Level-triggered, one read of at most readCap a socket a pass:
		// edge-triggered gnet starves the loop's other connections.
		gnet.WithReadBufferCap(e.readCap),
		gnet.WithWriteBufferCap(1024), // nothing is ever queued in gnet
	}
	if e.cfg.Loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(e.cfg.Loops))
	} else {
		opts = append(opts, gnet.WithMulticore(true))
	}
	// gnet will not run without a listener (Engine.Validate): it gets a unix
	// socket nobody can reach, unlinked once bound.
	dir, err := os.MkdirTemp("", "ug")
	if err != nil {
		return err
	}
	idle := filepath.Join(dir, "l")
	errc := make(chan error, 1)
	go func() {
		err := gnet.Rotate(e, []string{"unix://" + idle}, opts...)
		e.runErr = err
		e.died.Store(!e.stopping.Load())
		close(e.ran)
		// Only now: gnet removes its listener's path when it stops.
		_ = os.RemoveAll(dir)
		errc <- err
	}()
	select {
	case <-e.ready:
		_ = os.Remove(idle)
		return nil
	case err := <-errc:
		if err == nil {
			err = errors.New("gnet stopped before it started")
		}
		return err
	}
}

// stopOn stops gnet gracefully once ctx is cancelled: the listener first,
// so that the address is free at once, then, once the connections being
// handed over are open, the event loops.
func (e *gnetEngine) stopOn(ctx context.Context) {
	select {
	case <-e.ran:
		return
	case <-ctx.Done():
	}
	e.stopping.Store(true)
	e.ln.Close()
	close(e.stopped)
	<-e.acceptDone
	e.en.collects.Wait()
	e.fin.stop(time.Now().Add(e.cfg.DrainTimeout))
	// Every loop, parked connections or not: once it has run this, it
	// begins no readmit, and the stop waits for those it began.
	for _, l := range e.loopList() {
		l.exec(e.ctx, l.parks.finishAll) // gnet's loops still run tasks
	}
	e.unanswered.Wait()
	// Engine.Stop polls for the end: gnet.Run returning (e.ran) is the
	// precise signal, so Stop runs in the background.
	e.sweepers.Go(func() { _ = e.eng.Stop(e.ctx) })
}

// wait returns once gnet and every finisher are done. When gnet stopped by
// itself, that is an error, and the drain timeout bounds the finishers, so
// that a client that never reads cannot keep a dead server alive.
func (e *gnetEngine) wait() error {
	<-e.ran
	<-e.acceptDone
	e.en.collects.Wait()
	e.awaiting.Wait()
	died := e.died.Load()
	if died {
		e.fin.stop(time.Now().Add(e.cfg.DrainTimeout))
		for _, l := range e.loopList() {
			l.parks.finishAll() // gnet's loops run no more
		}
	}
	e.fin.wait()
	e.sweepers.Wait()
	switch {
	case !died:
		return nil
	case e.runErr != nil:
		return fmt.Errorf("server: gnet engine stopped by itself: %w", e.runErr)
	}
	return errors.New("server: gnet engine stopped by itself")
}

// loopList returns the event loops that have had a connection.
func (e *gnetEngine) loopList() []*loop {
	e.loopsMu.Lock()
	defer e.loopsMu.Unlock()
	ls := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		ls = append(ls, l)
	}
	return ls
}

// OnBoot records the engine; its loops do not run yet (OnTick).
func (e *gnetEngine) OnBoot(eng gnet.Engine) gnet.Action {
	e.eng, e.en.eng = eng, eng
	return gnet.None
}

// OnTick, first called once every loop runs, lets enroll hand them connections.
func (e *gnetEngine) OnTick() (time.Duration, gnet.Action) {
	e.readyOnce.Do(func() { close(e.ready) })
	return time.Hour, gnet.None
}

// connOnLoop is gnet's context of an open connection: its state and its loop.
type connOnLoop struct {
	gc *gconn
	l  *loop
}

// OnOpen sets up a connection that enroll admitted and handed over, or
// adopts a parked one readmitted (its context is its state).
func (e *gnetEngine) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if gc, ok := c.Context().(*gconn); ok {
		l, _ := e.loopOf(c) // it was parked on this loop, which exists
		c.SetContext(&connOnLoop{gc, l})
		return nil, l.parks.adopt(gc, c)
	}
	if !e.en.opened(c) {
		return nil, gnet.Close // abandoned by enroll, which accounted for it
	}
	l, err := e.loopOf(c)
	if err != nil {
		e.log.Error("closing connection: cannot watch its event loop's sockets", "remote", addrString(c.RemoteAddr()), "err", err.Error())
		e.st.finish(ClosedError)
		return nil, gnet.Close
	}
	gc := l.open(c)
	c.SetContext(&connOnLoop{gc, l})
	if h := e.cfg.Hooks.Open; h != nil {
		h(gc.remote)
	}
	return nil, gnet.None
}

// OnTraffic sends back what gnet has just read. Next(-1) hands over gnet's
// read buffer whole (TestGnetAssumesReadCap), so that its inbound ring
// buffer, which doubles as it grows, is never used.
func (e *gnetEngine) OnTraffic(c gnet.Conn) gnet.Action {
	cl, _ := c.Context().(*connOnLoop)
	if cl == nil {
		return gnet.Close
	}
	buf, _ := c.Next(-1)
	if len(buf) == 0 {
		return gnet.None
	}
	gc, l := cl.gc, cl.l
	l.turns.light(gc)
	if err := gc.read(buf); err != nil {
		return gc.fail(err)
	}
	if gc.overBudget() {
		return gnet.Close
	}
	gc.held()
	if gc.blocked && e.memoryOver() && !e.stopping.Load() {
		return l.parks.leave(gc)
	}
	if l.turns.over(gc) {
		return l.parks.leaveForTurn(gc)
	}
	return gnet.None
}

// OnClose hands whatever the connection still holds to a finisher when the
// client may still read it, or accounts for its loss.
func (e *gnetEngine) OnClose(c gnet.Conn, err error) gnet.Action {
	cl, _ := c.Context().(*connOnLoop)
	if cl == nil {
		return gnet.None // abandoned, or not set up, in OnOpen
	}
	gc, l := cl.gc, cl.l
	c.SetContext(nil)
	gc.unwatch() // before gnet closes the descriptor
	if gc.park.parked {
		l.parks.enter(gc)
		return gnet.None
	}
	gc.closed = true
	l.conns.unlink(gc)
	if buf, _ := c.Next(-1); len(buf) > 0 {
		// OnTraffic takes everything gnet reads: only a guard.
		gc.process(buf)
		_ = gc.hold(buf) // what it cannot hold, it counts
	}
	gc.held()
	held := int64(gc.out.n)
	var resetErr error
	if errors.Is(err, io.EOF) {
		// gnet reports an error event (a reset) without readable data as
		// io.EOF; the socket's pending error tells the two apart.
		resetErr = socketError(gc.fd)
	}

	switch {
	case gc.reason != "":
		gc.done(gc.reason, gc.err) // we closed it, and logged the loss
	case e.stopping.Load():
		finishAfterClose(gc, c, ClosedDrain)
	case err == nil:
		// gnet closes with no error only when asked (gc.reason) or when its
		// engine shuts down, here by itself: what was read still goes back.
		e.diedLog.Do(func() {
			e.log.Error("the gnet engine is stopping by itself: finishing the echo of its connections within the drain timeout",
				"drain_timeout", e.cfg.DrainTimeout, "open", e.st.open.Load())
		})
		finishAfterClose(gc, c, ClosedDrain)
	case errors.Is(err, io.EOF) && resetErr != nil:
		if held > 0 {
			gc.lost(held, "connection failed", resetErr)
		}
		gc.done(ClosedError, resetErr)
	case errors.Is(err, io.EOF) && held > 0:
		finishAfterClose(gc, c, ClosedPeer) // the client shut down its side, and may still read
	case errors.Is(err, io.EOF):
		gc.done(ClosedPeer, nil)
	default:
		if held > 0 {
			gc.lost(held, "connection failed", err)
		}
		gc.done(ClosedError, err)
	}
	return gnet.None
}

// loopOf returns the state of c's event loop, starting its sweeper and its
// writability watcher the first time.
func (e *gnetEngine) loopOf(c gnet.Conn) (*loop, error) {
	el := c.EventLoop()
	e.loopsMu.Lock()
	defer e.loopsMu.Unlock()
	l := e.loops[el]
	if l == nil {
		var err error
		if l, err = newLoop(e.gshared, el); err != nil {
			return nil, err
		}
		e.loops[el] = l
		e.sweepers.Go(func() { l.run(e.ctx) })
		e.sweepers.Go(func() { l.watchRun(e.ctx) })
	}
	return l, nil
}
