package load

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// goroutineGenerator drives each connection from its own goroutine with
// blocking reads and writes on Go's net package (two goroutines in stream
// mode, a writer and a reader), paced by a timer per connection. It is the
// conventional way, kept to measure the event-driven one against.
type goroutineGenerator struct {
	r      *runState
	shards []*tallyShard
	begin  chan struct{} // closed by start
	halt   chan struct{} // closed by drain
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []*goConn
}

// tallyShard is a tally shared by the connections i with i%len(shards)
// equal: one histogram per connection would cost more memory than the
// connection.
type tallyShard struct {
	mu sync.Mutex
	t  *tally
}

// goConn is one connection of the goroutine generator.
type goConn struct {
	c  net.Conn
	i  int
	sh *tallyShard
	// forced is set when stop closes the connection: the read that then
	// fails is a timeout, not the connection's own error.
	forced atomic.Bool

	// mu guards the ledger (but for due, the writer's alone) and the
	// fields below.
	mu         sync.Mutex
	wake       sync.Cond // the writer waits on it for room in the window
	ledger     ledger
	dead       bool // failed, counted
	writerDone bool // the stream writer sends nothing more
	deadline   time.Time
	lowat      int // SO_RCVLOWAT last set (0: the kernel's 1)
}

func newGoroutineGenerator(r *runState) *goroutineGenerator {
	g := &goroutineGenerator{r: r, begin: make(chan struct{}), halt: make(chan struct{})}
	for range 64 {
		g.shards = append(g.shards, &tallyShard{t: newTally()})
	}
	return g
}

func (g *goroutineGenerator) add(c net.Conn, i int) error {
	g.r.live.Add(1)
	gc := &goConn{c: c, i: i, sh: g.shards[i%len(g.shards)]}
	gc.wake.L = &gc.mu
	g.mu.Lock()
	g.conns = append(g.conns, gc)
	g.mu.Unlock()
	if g.r.cfg.Mode == PingPong {
		g.wg.Go(func() { g.pingpong(gc) })
	} else {
		g.wg.Go(func() { g.write(gc) })
		g.wg.Go(func() { g.read(gc) })
	}
	return nil
}

func (g *goroutineGenerator) start() { close(g.begin) }

// drain wakes every stream writer so that it sees the run is draining.
func (g *goroutineGenerator) drain() {
	close(g.halt)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, gc := range g.conns {
		gc.mu.Lock()
		gc.wake.Broadcast()
		gc.mu.Unlock()
	}
}

// stop closes every connection, which ends every read still waiting for
// bytes owed: those are counted as timeouts.
func (g *goroutineGenerator) stop() {
	g.mu.Lock()
	for _, gc := range g.conns {
		gc.forced.Store(true)
		_ = gc.c.Close()
	}
	g.mu.Unlock()
	select { // never started: release the goroutines waiting for start
	case <-g.begin:
	default:
		close(g.begin)
	}
	g.wg.Wait()
}

func (g *goroutineGenerator) tallies() []*tally {
	ts := make([]*tally, len(g.shards))
	for i, s := range g.shards {
		ts[i] = s.t
	}
	return ts
}

// pace sleeps until gc may send n messages, at most room, and returns n
// and when the last of them was due; 0 means the run is draining.
func (g *goroutineGenerator) pace(l *ledger, room int) (int, int64) {
	for {
		if !g.r.sending() || room == 0 {
			return 0, 0
		}
		at := now()
		if n, intended := g.r.pace.take(&l.due, at, room); n > 0 {
			return n, intended
		}
		t := time.NewTimer(time.Duration(l.due - at))
		select {
		case <-t.C:
		case <-g.halt:
			t.Stop()
			return 0, 0
		}
	}
}

// pingpong writes a message, reads its whole reply, and again.
func (g *goroutineGenerator) pingpong(gc *goConn) {
	defer g.r.finish()
	defer gc.c.Close()
	<-g.begin
	l := &gc.ledger
	l.due = g.r.pace.first(now(), gc.i)
	buf := make([]byte, min(g.r.cfg.Size, 16<<10))
	for {
		n, intended := g.pace(l, 1)
		if n != 1 {
			break
		}
		gc.mu.Lock()
		l.wrote(g.r, 1, now(), intended)
		gc.mu.Unlock()
		if _, err := gc.c.Write(g.r.pay.messages(1)); err != nil {
			gc.mu.Lock()
			g.failErr(gc, err)
			gc.mu.Unlock()
			break
		}
		if !g.readOwed(gc, buf) {
			break
		}
	}
	g.flush(gc)
}

// write is the stream writer: it fills the window whenever the reader has
// had enough back, until the run drains or the connection fails.
func (g *goroutineGenerator) write(gc *goConn) {
	<-g.begin
	l := &gc.ledger
	gc.mu.Lock()
	l.due = g.r.pace.first(now(), gc.i)
	for {
		for !gc.dead && g.r.sending() && l.room(g.r) == 0 {
			gc.wake.Wait()
		}
		if gc.dead {
			break
		}
		room := l.room(g.r)
		gc.mu.Unlock()
		n, intended := g.pace(l, room) // only the writer touches l.due
		gc.mu.Lock()
		if n == 0 || gc.dead {
			break
		}
		l.wrote(g.r, n, now(), intended)
		gc.mu.Unlock()
		_, err := gc.c.Write(g.r.pay.messages(n))
		gc.mu.Lock()
		if err != nil {
			g.failErr(gc, err)
			break
		}
	}
	gc.writerDone = true
	if l.owed() == 0 {
		// The reader may be blocked in a read that nothing will answer.
		_ = gc.c.SetReadDeadline(time.Now())
	}
	gc.mu.Unlock()
}

// read is the stream reader: it checks everything that comes back until
// the writer is done and nothing is owed, or the connection fails.
func (g *goroutineGenerator) read(gc *goConn) {
	defer g.r.finish()
	defer gc.c.Close() // ends a write blocked on a failed connection
	<-g.begin
	g.readOwed(gc, make([]byte, 16<<10)) // 16 KiB: 10,000 streams hold 160 MB of it
	gc.mu.Lock()
	gc.wake.Broadcast() // a writer still waiting for room has none coming
	gc.mu.Unlock()
	g.flush(gc)
}

// readOwed reads and checks until gc is owed nothing (in stream mode: and
// its writer is done). It returns false if gc failed.
func (g *goroutineGenerator) readOwed(gc *goConn, buf []byte) bool {
	stream := g.r.cfg.Mode == Stream
	l := &gc.ledger
	for {
		gc.mu.Lock()
		if gc.dead || l.owed() == 0 && (!stream || gc.writerDone) {
			gc.mu.Unlock()
			return !gc.dead
		}
		g.refreshDeadline(gc)
		if g.r.unwindowed() {
			g.setLowat(gc)
		}
		gc.mu.Unlock()

		n, err := gc.c.Read(buf)
		at := now()
		gc.mu.Lock()
		if n > 0 {
			gc.sh.mu.Lock()
			done, ok := l.received(g.r, buf[:n], at, gc.sh.t)
			gc.sh.mu.Unlock()
			if done > 0 {
				gc.sh.t.messagesSeen.Add(uint64(done))
			}
			if !ok {
				g.failKind(gc, ErrMismatch)
			}
			gc.wake.Signal()
		}
		// A stream writer that is done and owed nothing ends its reader's
		// read with a deadline: that is no error.
		if err != nil && !(gc.writerDone && l.owed() == 0 && !gc.forced.Load()) {
			g.failErr(gc, err)
		}
		dead := gc.dead
		gc.mu.Unlock()
		if dead {
			return false
		}
	}
}

// setLowat keeps the socket's SO_RCVLOWAT at ledger.rcvLowat (see
// gnetGenerator.setLowat): the reader, parked by Go's poller after an empty
// read, wakes for 16 KiB rather than for each KiB a goroutine-engine server
// writes. Only the reader makes owed smaller, so what it sets here stays at
// most what is owed until its next read. The caller holds gc.mu.
func (g *goroutineGenerator) setLowat(gc *goConn) {
	want := gc.ledger.rcvLowat()
	if want == max(gc.lowat, 1) {
		return
	}
	sc, ok := gc.c.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		if setRcvLowat(int(fd), want) == nil {
			gc.lowat = want
		}
	})
}

// refreshDeadline keeps the read deadline between Timeout and 1.5 Timeout
// ahead, setting it only when it has come within Timeout: one call per half
// Timeout rather than one per read. The caller holds gc.mu.
func (g *goroutineGenerator) refreshDeadline(gc *goConn) {
	t := time.Now()
	if gc.deadline.Sub(t) < g.r.cfg.Timeout {
		gc.deadline = t.Add(g.r.cfg.Timeout * 3 / 2)
		_ = gc.c.SetReadDeadline(gc.deadline)
	}
}

// failErr counts the error err ended gc with: a timeout if stop closed gc
// while it was owed bytes, nothing if it was owed none. The caller holds
// gc.mu.
func (g *goroutineGenerator) failErr(gc *goConn, err error) {
	owed := gc.ledger.owed() > 0
	switch {
	case !gc.forced.Load():
		g.failKind(gc, classify(err, owed))
	case owed:
		g.failKind(gc, ErrTimeout)
	default:
		gc.dead = true
	}
}

// failKind counts gc's first error. The caller holds gc.mu.
func (g *goroutineGenerator) failKind(gc *goConn, kind string) {
	if !gc.dead {
		gc.dead = true
		g.r.fail(kind)
	}
}

// flush adds gc's measured counts to its shard.
func (g *goroutineGenerator) flush(gc *goConn) {
	gc.mu.Lock()
	gc.sh.mu.Lock()
	gc.ledger.addTo(gc.sh.t)
	gc.sh.mu.Unlock()
	gc.mu.Unlock()
}
