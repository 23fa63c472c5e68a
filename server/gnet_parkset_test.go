package server

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// syncBuffer is a log destination a test reads while the engine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// testParking is a loop's parking set with no gnet behind it, over real
// sockets and counters, its log in the returned buffer.
func testParking(t *testing.T, maxMemory int64) (*parking, *syncBuffer) {
	t.Helper()
	logs := new(syncBuffer)
	cfg := &Config{MaxMemory: maxMemory, MaxBuffer: NoLimit, ReadSize: 1024,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	sh := newShared(cfg, newCounters(engine.Gnet))
	return newParking(sh, nil, new(connList), new(turns)), logs
}

// leftLoop is a connection linked on p's loop that has just left gnet's
// loop: gnet has closed its descriptor, and the duplicate, one end of a
// socket pair, is left. The other end is its client.
func leftLoop(t *testing.T, p *parking, turn bool) (*gconn, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	gc := &gconn{sh: p.sh, fd: -1}
	gc.park.parked, gc.park.fd, gc.park.file, gc.park.turn = true, fds[0], os.NewFile(uintptr(fds[0]), "parked"), turn
	client := os.NewFile(uintptr(fds[1]), "client")
	t.Cleanup(func() {
		gc.park.file.Close()
		client.Close()
	})
	p.conns.link(gc)
	p.sh.st.admit(1 << 20)
	return gc, client
}

// kicked reports whether the sweeper was woken, and takes the wake.
func kicked(p *parking) bool {
	select {
	case <-p.kick:
		return true
	default:
		return false
	}
}

// TestParkingSetCounts: entering and leaving the set keeps its size for the
// sweeper; Stats.Parked and the log count only connections parked for
// memory, not those waiting their turn; only the first to enter an empty
// set wakes the sweeper.
func TestParkingSetCounts(t *testing.T) {
	p, logs := testParking(t, 1<<20)
	st := p.sh.st
	mem, _ := leftLoop(t, p, false)
	turn, _ := leftLoop(t, p, true)

	p.enter(mem)
	if p.n.Load() != 1 || len(p.set) != 1 || st.parked.Load() != 1 || !kicked(p) {
		t.Fatalf("after a memory park: n %d, set %d, Parked %d; want 1, 1, 1 and the sweeper woken", p.n.Load(), len(p.set), st.parked.Load())
	}
	if mem.c != nil || mem.fd != mem.park.fd {
		t.Error("a parked connection does not use its duplicate")
	}
	p.enter(turn)
	if p.n.Load() != 2 || st.parked.Load() != 1 || kicked(p) {
		t.Fatalf("after a turn wait: n %d, Parked %d, and a second wake; want 2, 1 and none", p.n.Load(), st.parked.Load())
	}
	if n := logs.count("max-memory reached"); n != 1 {
		t.Errorf("%d lines logged for one memory park and one turn wait, want 1", n)
	}

	p.remove(mem)
	p.remove(turn)
	if p.n.Load() != 0 || len(p.set) != 0 || st.parked.Load() != 0 || mem.park.parked || turn.park.parked {
		t.Fatalf("after both left: n %d, set %d, Parked %d, flags %v %v; want all zero", p.n.Load(), len(p.set), st.parked.Load(), mem.park.parked, turn.park.parked)
	}
	p.restore(turn)
	if p.n.Load() != 1 || !turn.park.parked || st.parked.Load() != 0 || !kicked(p) {
		t.Errorf("a turn wait restored after a failed readmit: n %d, parked %v, Parked %d; want 1, true, 0 and the sweeper woken again", p.n.Load(), turn.park.parked, st.parked.Load())
	}
	if !p.retry.Load() {
		t.Error("a connection restored holding nothing does not ask the sweeper to retry")
	}
}

// TestParkingSetClose: a parked connection closed for good leaves the set
// and the connection list, its duplicate closed, and what it held counted
// undelivered, its chunks given back.
func TestParkingSetClose(t *testing.T) {
	p, _ := testParking(t, 1<<20)
	st := p.sh.st
	gc, client := leftLoop(t, p, false)
	p.enter(gc)
	held := []byte("HELD BUT NEVER SENT")
	if err := gc.hold(held); err != nil {
		t.Fatal(err)
	}
	gc.held()

	p.closeConn(gc, ClosedIdle, nil, "idle timeout with data unsent")
	if p.n.Load() != 0 || len(p.set) != 0 || st.parked.Load() != 0 || p.conns.head != nil || !gc.closed {
		t.Fatalf("after close: n %d, set %d, Parked %d, listed %v, closed %v", p.n.Load(), len(p.set), st.parked.Load(), p.conns.head != nil, gc.closed)
	}
	s := st.snapshot()
	if s.Undelivered != uint64(len(held)) || s.Memory != 0 || s.Buffered != 0 || s.Closed[ClosedIdle] != 1 || s.Open != 0 {
		t.Errorf("after close: %+v, want %d undelivered, nothing held or open, one idle close", s, len(held))
	}
	var b [1]byte
	if n, err := client.Read(b[:]); n != 0 || err != io.EOF {
		t.Errorf("the client's read after the close: %d, %v; want EOF", n, err)
	}
}

// TestParkingSetHoldsUntilMemoryFrees: over the bound's seven eighths, a
// parked connection that holds output is not readmitted.
func TestParkingSetHoldsUntilMemoryFrees(t *testing.T) {
	p, _ := testParking(t, chunkSize)
	gc, _ := leftLoop(t, p, false)
	p.enter(gc)
	if err := gc.hold([]byte("x")); err != nil { // a whole chunk: over the bound
		t.Fatal(err)
	}
	defer gc.out.release(&p.sh.st.memory)
	p.readmitReady()
	if !gc.park.parked || gc.park.enrolling || p.n.Load() != 1 {
		t.Errorf("readmitted with memory over the bound: parked %v, enrolling %v, n %d", gc.park.parked, gc.park.enrolling, p.n.Load())
	}
}

// TestParkingSetAtStop: a connection that leaves gnet's loop once a stop
// has begun goes to a finisher, not into the set, and the finisher ends it
// as drained once its client closes.
func TestParkingSetAtStop(t *testing.T) {
	p, _ := testParking(t, 1<<20)
	p.sh.cfg.DrainTimeout = DefaultDrainTimeout
	p.sh.stopping.Store(true)
	gc, client := leftLoop(t, p, false)
	p.enter(gc)
	if p.n.Load() != 0 || len(p.set) != 0 || p.conns.head != nil || !gc.closed {
		t.Fatalf("entered at a stop: n %d, set %d, listed %v, closed %v; want a finisher's", p.n.Load(), len(p.set), p.conns.head != nil, gc.closed)
	}
	client.Close()
	p.sh.fin.wait()
	if s := p.sh.st.snapshot(); s.Closed[ClosedDrain] != 1 || s.Parked != 0 || s.Open != 0 {
		t.Errorf("after the finisher: %+v, want one drained close, nothing parked or open", s)
	}
}
