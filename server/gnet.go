package server

// The gnet engine, file by file:
//   - gnet.go: the engine's state, its start and stop, and gnet's On*
//     handlers;
//   - gnet_accept.go: the server's own accept, handing each admitted
//     connection to an event loop;
//   - gnet_conn.go: one connection: processing its input, sending, holding
//     and accounting for its output;
//   - gnet_loop.go: one event loop: its connections, the sockets that wait
//     to drain, the idle sweep;
//   - gnet_chain.go, gnet_chunks*.go: output held in pooled chunks;
//   - gnet_watch*.go: the writability watcher (epoll on Linux, poll
//     elsewhere);
//   - gnet_pending_*.go: how many bytes wait unread in a socket;
//   - gnet_park.go: parking connections past Config.MaxMemory;
//   - gnet_finish.go: finishing the echo after OnClose, on Go's poller;
//   - gnet_log.go: gnet's logger, and the read size gnet rounds up to.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// The gnet engine serves every connection from gnet v2's event loops
// (unmodified) and keeps the one promise the naive handler breaks: every
// byte read goes back uppercased, in order, exactly once, or its loss is
// logged with the reason. Measured here, gnet v2.9.7 on its own:
//
//   - treats read()==0 (the client's SHUT_WR) as a full close: it calls
//     OnClose, writes what its own outbound queue holds only until the socket
//     buffer is full and drops the rest;
//   - walks its whole outbound list on every flush pass, so many queued
//     writes make a close quadratic and stall the loop;
//   - cannot stop reading a socket, and calls no handler when a socket
//     becomes writable again.
//
// So this engine never queues output in gnet, and never leaves input in
// gnet's inbound ring buffer (which doubles as it grows). Each OnTraffic
// takes everything gnet read (at most ReadSize rounded up), uppercases it
// in place and writes it to the socket itself, non-blocking, the output of a
// full read together with the next reads' when more input is known to wait
// (up to batchMax); what the socket does not take waits in the
// connection's chain of pooled chunks (gnet_chain.go, gnet_chunks.go), up to
// Config.MaxBuffer. A blocked connection is then watched for writability on
// the loop's own poller (gnet_watch*.go) and costs nothing until its socket
// drains. At OnClose after the client's EOF, the unsent output and a
// duplicate of the socket go to a finisher goroutine on Go's own poller
// (gnet_finish.go), which completes the echo, shuts down the write side and
// closes: gnet's loop never blocks and no byte is dropped.
type gnetEngine struct {
	gnet.BuiltinEventEngine

	cfg      *Config
	st       *counters
	log      *slog.Logger
	refusals refusalLog
	readCap  int // gnet's read buffer: ReadSize rounded up as gnet does
	oobSlack int // 1 on a Unix socket, whose FIONREAD counts an out-of-band byte (moreWaits)

	ln         net.Listener
	stopped    chan struct{} // closed when a graceful stop begins
	acceptDone chan struct{} // closed when the accept loop has returned
	// Connections handed to gnet and not yet opened (gnet_accept.go).
	inflight    atomic.Int64
	enrollFreed chan struct{}
	pending     chan pendingEnroll // gnet's answers, for collectEnrolls
	enrolls     sync.WaitGroup     // collectEnrolls
	enrollLog   everySecond

	eng       gnet.Engine
	ready     chan struct{} // closed when gnet's event loops run
	readyOnce sync.Once
	ran       chan struct{} // closed when gnet has returned
	runErr    error

	stopping atomic.Bool // a graceful stop has begun
	died     atomic.Bool // gnet.Run returned without a stop being asked
	diedLog  sync.Once

	loopsMu  sync.Mutex
	loops    map[gnet.EventLoop]*loop
	ctx      context.Context // cancelled when the engine has stopped
	sweepers sync.WaitGroup
	unparks  sync.WaitGroup // loop.enrolled; none start once gnet has stopped

	fin       finishers
	parkLog   parkLog
	turnWaits atomic.Int64 // backlogged connections sent to wait their turn
}

// batchMax is the most output a connection holds back to batch its writes
// (see OnTraffic).
const batchMax = 32 << 10

// startGnet binds cfg's address and serves it with the gnet engine until
// ctx is cancelled.
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
	e := &gnetEngine{
		cfg:         cfg,
		st:          st,
		log:         cfg.Logger.With("engine", string(engine.Gnet)),
		readCap:     gnetReadCap(cfg.ReadSize),
		oobSlack:    oobSlack(cfg.Network),
		ln:          ln,
		ready:       make(chan struct{}),
		ran:         make(chan struct{}),
		stopped:     make(chan struct{}),
		acceptDone:  make(chan struct{}),
		enrollFreed: make(chan struct{}, 1),
		pending:     make(chan pendingEnroll, pendingMax),
		loops:       make(map[gnet.EventLoop]*loop),
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
	e.enrolls.Go(e.collectEnrolls)
	go func() {
		defer close(e.acceptDone)
		defer close(e.pending)
		acceptLoop(ln, st, e.log, e.stopped, e.enroll)
	}()
	go e.stopOn(ctx)
	return e, ln.Addr(), nil
}

// procsMu serialises spareProc.
var procsMu sync.Mutex

// spareProc raises GOMAXPROCS to one more than loops, if it is lower, and
// never lowers it. A busy gnet loop keeps its P between epoll_waits that
// return at once: with a P a loop, the rest of the engine (accept, gnet's
// registration workers, watchers, finishers) waits for the runtime's 10 ms
// preemption (README, "Accepts without a round trip a connection").
func spareProc(loops int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	if want := loops + 1; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

// run starts gnet's event loops, with no listener of the server's
// (gnet_accept.go), and returns once they run or gnet failed.
func (e *gnetEngine) run() error {
	opts := []gnet.Option{
		gnet.WithLogger(gnetLogger{e.log}),
		// The first tick says every event loop is registered and running
		// (OnBoot comes before they are).
		gnet.WithTicker(true),
		// Level-triggered, one read of at most readCap bytes per socket per
		// poll pass: every connection gets its turn. (Edge-triggered gnet
		// reads a busy socket in a chain of tasks that runs within one
		// pass for as long as the client keeps up, and starves every other
		// connection on the loop: measured here.)
		gnet.WithReadBufferCap(e.readCap),
		// Nothing is ever queued in gnet's outbound buffer; keep it small.
		gnet.WithWriteBufferCap(1024),
	}
	if e.cfg.Loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(e.cfg.Loops))
	} else {
		opts = append(opts, gnet.WithMulticore(true))
	}
	// gnet will not register a connection, nor stop, without a listener
	// (Engine.Validate), so it gets one nobody can reach: a unix socket in
	// a private directory, unlinked once gnet has bound it.
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
		// Only now: gnet removes its listener's path when it stops, and the
		// name must not be anybody else's by then.
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
// handed over (if any) are open, the event loops.
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
	e.enrolls.Wait()
	e.fin.stop(time.Now().Add(e.cfg.DrainTimeout))
	e.finishAllParked()
	// Engine.Stop polls for the end every 500ms; gnet.Run returning is the
	// precise signal, so Stop runs in the background, given up once gnet.Run
	// has returned, and wait uses e.ran.
	e.sweepers.Go(func() { _ = e.eng.Stop(e.ctx) })
}

// wait returns once gnet has stopped and every finisher is done. When gnet
// stopped by itself, the finishers are bounded by the drain timeout as in a
// graceful stop, so that a client that never reads cannot keep a server
// that no longer serves alive; and the stop is an error.
func (e *gnetEngine) wait() error {
	<-e.ran
	<-e.acceptDone
	e.enrolls.Wait()
	e.unparks.Wait()
	died := e.died.Load()
	if died {
		e.fin.stop(time.Now().Add(e.cfg.DrainTimeout))
		e.finishParkedAfterRun()
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

// OnBoot records the engine. Its event loops do not run yet: OnTick says
// when they do.
func (e *gnetEngine) OnBoot(eng gnet.Engine) gnet.Action {
	e.eng = eng
	return gnet.None
}

// OnTick, first called once every event loop runs (every test of
// gnet_assume_test.go starts so), lets enroll hand them connections.
// Nothing else is done on ticks.
func (e *gnetEngine) OnTick() (time.Duration, gnet.Action) {
	e.readyOnce.Do(func() { close(e.ready) })
	return time.Hour, gnet.None
}

// OnOpen sets up a connection that enroll admitted and handed over.
func (e *gnetEngine) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if gc, ok := c.Context().(*gconn); ok {
		return nil, e.adopt(gc, c) // a parked connection, enrolled back
	}
	if !e.opened(c) {
		return nil, gnet.Close // abandoned by enroll, which accounted for it
	}
	l, err := e.loopOf(c)
	if err != nil {
		e.log.Error("closing connection: cannot watch its event loop's sockets", "remote", addrString(c.RemoteAddr()), "err", err.Error())
		e.st.finish(ClosedError)
		return nil, gnet.Close
	}
	gc := &gconn{c: c, fd: c.Fd(), remote: ownAddr(c.RemoteAddr()), loop: l, last: time.Now().UnixNano()}
	c.SetContext(gc)
	gc.loop.link(gc)
	if h := e.cfg.Hooks.Open; h != nil {
		h(gc.remote)
	}
	return nil, gnet.None
}

// OnTraffic processes what gnet has just read, at most its read buffer
// (Config.ReadSize rounded up), and sends it back. Next(-1) hands over
// gnet's own read buffer (TestGnetAssumesReadCap): it is uppercased in
// place, and what is kept is copied. Everything is taken out
// of gnet's buffer at once, so gnet's inbound ring buffer, which doubles as
// it grows, is never used: what the socket does not take waits in the
// connection's chunks.
func (e *gnetEngine) OnTraffic(c gnet.Conn) gnet.Action {
	gc, _ := c.Context().(*gconn)
	if gc == nil {
		return gnet.Close
	}
	buf, _ := c.Next(-1)
	if len(buf) == 0 {
		return gnet.None
	}
	e.st.bytesIn.Add(uint64(len(buf)))
	gc.loop.light(gc)
	e.touch(gc)
	e.process(gc, buf)
	// A read that filled gnet's buffer may have left more in the socket:
	// while more is known to wait (gnetEngine.moreWaits), its output waits
	// for the next read, certain then, to send the output of several reads
	// in one write instead of one write per KiB. A short read, or a full
	// one with nothing behind it, sends everything held at once.
	gc.inq = max(gc.inq-len(buf), 0)
	mode := sendNow
	if len(buf) >= e.readCap {
		mode = sendLater
	}
	if err := e.send(gc, buf, mode); err != nil {
		return e.fail(gc, err)
	}
	if e.overBudget(gc) {
		return gnet.Close
	}
	e.held(gc)
	if gc.blocked && e.memoryOver() && !e.stopping.Load() {
		return e.park(gc)
	}
	if gc.loop.turnOver(gc) {
		return e.waitTurn(gc)
	}
	return gnet.None
}

// OnClose hands whatever the connection still holds to a finisher when the
// client may still read it, or accounts for its loss.
func (e *gnetEngine) OnClose(c gnet.Conn, err error) gnet.Action {
	gc, _ := c.Context().(*gconn)
	if gc == nil {
		return gnet.None // abandoned, or not set up, in OnOpen
	}
	c.SetContext(nil)
	gc.loop.unwatch(gc) // before gnet closes the descriptor
	if gc.parked {
		gc.loop.parkedOut(gc)
		return gnet.None
	}
	gc.closed = true
	gc.loop.unlink(gc)
	if buf, _ := c.Next(-1); len(buf) > 0 {
		// OnTraffic takes everything gnet reads, so this is only a guard.
		e.process(gc, buf)
		_ = e.hold(gc, buf) // what it cannot hold, it counts

	}
	e.held(gc)
	held := int64(gc.out.n)
	var resetErr error
	if errors.Is(err, io.EOF) {
		// gnet reports an error event (a reset) without readable data as
		// io.EOF; the socket's pending error tells the two apart.
		resetErr = socketError(gc.fd)
	}

	switch {
	case gc.reason != "":
		// We closed it (budget, idle, write error); the loss is logged.
		e.done(gc, gc.reason, gc.err)
	case e.stopping.Load():
		// Graceful stop: send what was read, then a lingering close so a
		// client still sending is not reset before it has read its reply.
		e.finish(gc, c, ClosedDrain)
	case err == nil:
		// gnet closes a connection with no error only when we ask (and
		// gc.reason says why) or when its engine shuts down: here, by
		// itself. What was read still goes back, bounded by the drain
		// timeout (wait), or its loss is counted.
		e.diedLog.Do(func() {
			e.log.Error("the gnet engine is stopping by itself: finishing the echo of its connections within the drain timeout",
				"drain_timeout", e.cfg.DrainTimeout, "open", e.st.open.Load())
		})
		e.finish(gc, c, ClosedDrain)
	case errors.Is(err, io.EOF) && resetErr != nil:
		err = resetErr
		if held > 0 {
			e.lost(gc, held, "connection failed", err)
		}
		e.done(gc, ClosedError, err)
	case errors.Is(err, io.EOF) && held > 0:
		// The client shut down its sending side and may still be reading.
		e.finish(gc, c, ClosedPeer)
	case errors.Is(err, io.EOF):
		e.done(gc, ClosedPeer, nil)
	default:
		if held > 0 {
			e.lost(gc, held, "connection failed", err)
		}
		e.done(gc, ClosedError, err)
	}
	return gnet.None
}

// touch records traffic on gc for the idle sweep; without an idle timeout
// it costs nothing.
func (e *gnetEngine) touch(gc *gconn) {
	if e.cfg.IdleTimeout > 0 {
		gc.last = time.Now().UnixNano()
	}
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
		if l, err = newLoop(e, el); err != nil {
			return nil, err
		}
		e.loops[el] = l
		e.sweepers.Go(func() { l.run(e.ctx) })
		e.sweepers.Go(func() { l.watchRun(e.ctx) })
	}
	return l, nil
}
