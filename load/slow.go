package load

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	last  atomic.Int64  // when the last byte was written, since t0
	t     *tally        // empty: slow connections measure no latency

	// written and complete are the sums of the connections' written and
	// complete, for Progress.
	written  atomic.Uint64
	complete atomic.Int64

	mu    sync.Mutex
	conns []*slowConn
}

type slowConn struct {
	c        net.Conn
	written  atomic.Int64
	complete atomic.Bool
}

func newSlowGenerator(r *runState) *slowGenerator {
	return &slowGenerator{
		r:     r,
		chunk: newPayload(len(slowMessage), 64<<10).messages(64 << 10 / len(slowMessage)),
		begin: make(chan struct{}),
		halt:  make(chan struct{}),
		t:     newTally(),
	}
}

// slowMessage is what slow connections send, over and over.
var slowMessage = message(DefaultSize)

func (g *slowGenerator) add(c net.Conn, _ int) error {
	g.r.live.Add(1)
	sc := &slowConn{c: c}
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
		n, err := sc.c.Write(g.chunk[:min(int64(len(g.chunk)), left)])
		if n > 0 {
			sc.written.Add(int64(n))
			g.written.Add(uint64(n))
			left -= int64(n)
			// A write the run's end cut short wrote its bytes at some time
			// before, not now: it does not move the last write on, or every
			// stuck connection's would read as the end of the run.
			if err == nil {
				g.wrote()
			}
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

// wrote moves the last write time on to now.
func (g *slowGenerator) wrote() {
	at := now() - g.t0.Load()
	for {
		last := g.last.Load()
		if at <= last || g.last.CompareAndSwap(last, at) {
			return
		}
	}
}

func (g *slowGenerator) start() {
	g.t0.Store(now())
	close(g.begin)
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
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sc := range g.conns {
		_ = sc.c.Close()
	}
}

// progress is the bytes written so far and the connections that have
// written all of theirs.
func (g *slowGenerator) progress() (written uint64, complete int) {
	return g.written.Load(), int(g.complete.Load())
}

func (g *slowGenerator) tallies() []*tally { return []*tally{g.t} }

// result is what the connections got rid of. Call it after drain, before
// stop: it asks each socket what it still holds.
func (g *slowGenerator) result() *SlowResult {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := &SlowResult{SendBytes: g.r.cfg.SlowBytes, LastWrite: time.Duration(g.last.Load())}
	for _, sc := range g.conns {
		w := uint64(sc.written.Load())
		s.WrittenBytes += w
		s.TakenBytes += w - min(uint64(unsentBytes(sc.c)), w)
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
