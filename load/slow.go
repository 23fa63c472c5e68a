package load

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tick"
)

// SlowRecvBuffer is the receive buffer (SO_RCVBUF) a Slow connection asks
// for before it connects, so that the server's replies fill it at once.
const SlowRecvBuffer = 4 << 10

// slowGenerator drives Slow connections: each writes Config.SlowBytes of
// the message as fast as the server takes them, reads nothing, and holds
// its connection until the run ends. A goroutine per connection is enough:
// the point is the server's side, not the generator's speed.
type slowGenerator struct {
	r     *runState
	chunk []byte
	begin chan struct{} // closed by start
	halt  chan struct{} // closed by drain
	t0    atomic.Int64  // when traffic started (now())
	last  atomic.Int64  // when this side last accepted bytes to send, since t0
	t     *tally        // empty: slow connections measure no latency

	// written and complete are the sums of the connections' written and
	// complete, for Progress.
	written  atomic.Uint64
	complete atomic.Int64

	// takenEvery is how often watchTaken asks the sockets what the server
	// has taken; lastTaken is when, since t0, a reading last found more.
	takenEvery time.Duration
	lastTaken  atomic.Int64
	stopWatch  func()

	mu    sync.Mutex
	conns []*slowConn
}

type slowConn struct {
	c        net.Conn
	rc       syscall.RawConn // nil where c has none: then c.Write
	written  atomic.Int64
	complete atomic.Bool
	taken    int64 // the most the server was seen to have taken (watchTaken's)
}

func newSlowGenerator(r *runState) *slowGenerator {
	return &slowGenerator{
		r:          r,
		chunk:      newPayload(len(slowMessage), 64<<10).messages(64 << 10 / len(slowMessage)),
		begin:      make(chan struct{}),
		halt:       make(chan struct{}),
		t:          newTally(),
		takenEvery: takenEvery(r.cfg.Conns),
		stopWatch:  func() {},
	}
}

// takenEvery is how often the sockets of n slow connections are asked what
// the server has taken: every 10 ms, less often past 200 connections, so
// that the asking costs at most about 20,000 system calls a second, and at
// least once a second. It is the resolution of SlowResult.LastTaken.
func takenEvery(n int) time.Duration {
	return min(max(time.Duration(n)*50*time.Microsecond, 10*time.Millisecond), time.Second)
}

// slowMessage is what slow connections send, over and over.
var slowMessage = message(DefaultSize)

func (g *slowGenerator) add(c net.Conn, _ int) error {
	g.r.live.Add(1)
	sc := &slowConn{c: c}
	if s, ok := c.(syscall.Conn); ok {
		if rc, err := s.SyscallConn(); err == nil {
			sc.rc = rc
		}
	}
	g.mu.Lock()
	g.conns = append(g.conns, sc)
	g.mu.Unlock()
	go g.send(sc)
	return nil
}

// send writes SlowBytes, then waits for the run's end. A write that the end
// of the run cuts short is no error; any other failure is.
func (g *slowGenerator) send(sc *slowConn) {
	defer g.r.finish()
	<-g.begin
	left := g.r.cfg.SlowBytes
	for left > 0 {
		n, err := sc.write(g.chunk[:min(int64(len(g.chunk)), left)])
		if n > 0 {
			sc.written.Add(int64(n))
			g.written.Add(uint64(n))
			left -= int64(n)
			g.wrote()
		}
		if err != nil {
			select {
			case <-g.halt:
			default:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					g.r.fail(classify(err, false))
				}
			}
			return
		}
	}
	sc.complete.Store(true)
	g.complete.Add(1)
	<-g.halt
}

// write makes one write system call once the socket takes more, and
// returns what it took: counted call by call, written is what the kernel
// holds or has sent, never a part of a write still blocked, which
// watchTaken's sum needs. (net.Conn.Write returns only once all of b is
// written, or the deadline has passed.)
func (sc *slowConn) write(b []byte) (int, error) {
	if sc.rc == nil {
		return sc.c.Write(b)
	}
	var n int
	var werr error
	err := sc.rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return werr != syscall.EAGAIN
			}
		}
	})
	n = max(n, 0)
	if werr != nil {
		return n, os.NewSyscallError("write", werr)
	}
	return n, err
}

// wrote moves the last write time on to now.
func (g *slowGenerator) wrote() { moveOn(&g.last, now()-g.t0.Load()) }

// moveOn sets t to at unless it is later already.
func moveOn(t *atomic.Int64, at int64) {
	for {
		last := t.Load()
		if at <= last || t.CompareAndSwap(last, at) {
			return
		}
	}
}

func (g *slowGenerator) start() {
	g.t0.Store(now())
	close(g.begin)
	g.stopWatch = tick.Every(g.takenEvery, g.watchTaken)
}

// watchTaken asks each socket what the server has taken of it: what was
// written less what the socket still holds unacknowledged (SIOCOUTQ). If
// any has taken more since the last reading, the server took bytes
// between the two, and lastTaken moves on to now. Where the socket cannot
// tell (not Linux), taken is written: the time is that of the last write.
func (g *slowGenerator) watchTaken() {
	at := now() - g.t0.Load()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sc := range g.conns {
		w := sc.written.Load() // before asking: a write between makes it less, not more
		if taken := w - min(int64(unsentBytes(sc.c)), w); taken > sc.taken {
			sc.taken = taken
			moveOn(&g.lastTaken, at)
		}
	}
}

// drain ends every write still waiting for the server.
func (g *slowGenerator) drain() {
	close(g.halt)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sc := range g.conns {
		_ = sc.c.SetWriteDeadline(time.Now())
	}
}

func (g *slowGenerator) stop() {
	select {
	case <-g.halt:
	default:
		g.drain()
	}
	select { // never started: release the goroutines waiting for start
	case <-g.begin:
	default:
		close(g.begin)
	}
	g.stopWatch()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sc := range g.conns {
		_ = sc.c.Close()
	}
}

// soFar is the bytes written so far and the connections that have written
// all of theirs.
func (g *slowGenerator) soFar() (written uint64, complete int) {
	return g.written.Load(), int(g.complete.Load())
}

func (g *slowGenerator) tallies() []*tally { return []*tally{g.t} }

// result is what the connections got rid of. Call it after drain, before
// stop: it asks each socket what it still holds, a last reading of
// watchTaken's.
func (g *slowGenerator) result() *SlowResult {
	g.stopWatch()
	g.watchTaken()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := &SlowResult{
		SendBytes: g.r.cfg.SlowBytes, LastWrite: time.Duration(g.last.Load()),
		LastTaken: time.Duration(g.lastTaken.Load()), TakenEvery: g.takenEvery,
	}
	for _, sc := range g.conns {
		s.WrittenBytes += uint64(sc.written.Load())
		s.TakenBytes += uint64(sc.taken)
		if sc.complete.Load() {
			s.Complete++
		}
	}
	return s
}

// setRecvBuffer asks for SlowRecvBuffer before the connection is made: set
// later, the window the kernel offered in the handshake would stand.
func setRecvBuffer(rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = setsockoptRcvbuf(fd, SlowRecvBuffer)
	}); err != nil {
		return err
	}
	return serr
}
