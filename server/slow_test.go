package server

import (
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// dialSmallReceive connects to srv with a receive buffer of rcvbuf bytes
// set before the handshake, so that the window the client offers is small
// from the start, as with the slow readers.
func dialSmallReceive(t *testing.T, srv *Server, rcvbuf int) net.Conn {
	t.Helper()
	conn, err := testkit.SmallReceive(rcvbuf, 5*time.Second).Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// testSlowReaders: clients that send and do not read for a while (a 4 KiB
// receive buffer, 8 MiB each: the socket buffers take most of it) leave a pingpong client beside them served;
// once they read, every byte comes back. On the gnet engine, which reads
// them all meanwhile, what they make it hold costs about that much memory
// (chunks, no buffer that doubles, no copy), and while they wait they cost
// no work: no write is retried until a socket drains. (The goroutine
// engine blocks them, as the original does, and holds one read each.)
func testSlowReaders(t *testing.T, e engine.Name) {
	const (
		slow = 8
		each = 8 << 20
	)
	// The clients read late by design: the finisher must not give up on
	// them first, however slow the test machine.
	srv, _ := startServer(t, e, Config{FinishTimeout: time.Minute})
	p := randomPayload(each)
	conns := make([]net.Conn, slow)
	var writers sync.WaitGroup
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() {
			if _, err := writeAll(conns[i], p, 0, 64<<10, stallTimeout); err != nil {
				t.Errorf("slow client %d: %v", i, err)
				return
			}
			if err := testkit.CloseWrite(conns[i]); err != nil {
				t.Errorf("slow client %d: %v", i, err)
			}
		})
	}
	pingpong := dial(t, srv)
	msg := []byte("capitalize this!")
	if e == engine.Gnet {
		st := waitStats(t, srv, "every byte of the slow clients read", func(s Stats) bool { return s.BytesIn == slow*each })
		// Each connection rounds up to whole chunks, at both ends of what
		// it holds.
		if limit := st.Buffered + slow*2*chunkSize; st.Memory > limit || st.Buffered == 0 {
			t.Errorf("holding %d bytes for the slow clients in %d bytes of memory, want some held in at most %d", st.Buffered, st.Memory, limit)
		}
		for range 200 {
			if err := ping(pingpong, msg); err != nil {
				t.Fatal(err)
			}
		}
		after := srv.Stats()
		if after.WriteBlocks != st.WriteBlocks {
			t.Errorf("%d writes met a full socket while the slow clients waited, want none: a blocked connection costs nothing until its socket drains", after.WriteBlocks-st.WriteBlocks)
		}
		t.Logf("%d slow clients: %d bytes held in %d bytes of chunks, %d writes blocked in all", slow, st.Buffered, st.Memory, st.WriteBlocks)
	} else {
		for range 200 {
			if err := ping(pingpong, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Go(func() {
			got, err := readAll(c, p, stallTimeout, nil)
			if err == nil && got != each {
				t.Errorf("slow client %d: %d bytes back, want %d", i, got, each)
			}
			if err != nil {
				t.Errorf("slow client %d: %v", i, err)
			}
		})
	}
	readers.Wait()
	writers.Wait()
	for _, c := range conns {
		c.Close()
	}
	pingpong.Close()
	st := settled(t, srv)
	if st.Undelivered != 0 || st.Memory != 0 {
		t.Errorf("Undelivered %d, Memory %d after the slow clients read everything, want 0 and 0", st.Undelivered, st.Memory)
	}
}

// testSmallBudgetReader: a budget far below what the engine holds back to
// batch its writes does not cut a client that reads (issue 9, item 4).
func testSmallBudgetReader(t *testing.T, e engine.Name) {
	logger, log := testkit.NewLogger(t)
	srv, _ := startServer(t, e, Config{MaxBuffer: 8 << 10, Logger: logger})
	roundTrip(t, dial(t, srv), randomPayload(1<<20), 16<<10)
	if st := settled(t, srv); st.Closed[ClosedBudget] != 0 || st.Undelivered != 0 {
		t.Errorf("Closed[budget] %d, Undelivered %d, want 0 and 0; log:\n%s", st.Closed[ClosedBudget], st.Undelivered, log.String())
	}
}

// testMemoryCap: with MaxMemory 16 MiB, four clients that send 32 MiB each
// and never read fill it and are parked (the server stops reading them; they
// block as with the original), the memory held stays within a batch, one read
// and a chunk per connection of the bound, a client that reads is served in full beside
// them, and the original's sequential client of 12 MiB completes once the
// four have gone and memory allows. (A sequential client whose own replies
// outgrow the bound cannot complete: it reads nothing until it has sent
// everything.) What the four made the server hold is
// counted undelivered, as their clients closed without reading it.
func testMemoryCap(t *testing.T, e engine.Name) {
	const (
		maxMemory = 16 << 20
		hogs      = 4
		hogBytes  = 32 << 20 // more than the bound alone
	)
	srv, _ := startServer(t, e, Config{MaxMemory: maxMemory})
	// Only a connection whose socket takes no more is parked: until then it
	// may hold a batch of output (batchMax) to send in one write, then one
	// read more, in chunks.
	slack := int64(hogs+2) * int64(batchMax+gnetReadCap(0)+chunkSize)
	var peak int64
	within := func(s Stats) {
		peak = max(peak, s.Memory)
		if s.Memory > maxMemory+slack {
			t.Errorf("holding %d bytes of memory, want at most %d + %d", s.Memory, maxMemory, slack)
		}
	}
	var writers sync.WaitGroup
	conns := make([]net.Conn, hogs)
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() {
			// Ends when the test closes the connection.
			_, _ = writeAll(conns[i], randomPayload(hogBytes), 0, 64<<10, stallTimeout)
		})
	}
	waitStats(t, srv, "every never-reading client parked", func(s Stats) bool {
		within(s)
		return s.Parked == hogs
	})
	roundTrip(t, dial(t, srv), randomPayload(4<<20), 16<<10)

	seqDone := make(chan error, 1)
	seq := dialSmallReceive(t, srv, 4096)
	go func() {
		_, err := sequential(seq, randomPayload(12<<20), 64<<10, stallTimeout)
		seqDone <- err
	}()
	// Its replies fill its socket while memory is full: parked too.
	waitStats(t, srv, "the sequential client parked", func(s Stats) bool {
		within(s)
		return s.Parked == hogs+1
	})
	for _, c := range conns {
		c.Close()
	}
	writers.Wait()
	if err := <-seqDone; err != nil {
		t.Errorf("the sequential client after the others left: %v", err)
	}
	st := settled(t, srv)
	within(st)
	t.Logf("peak memory %d for a %d bound; %d bytes the never-reading clients left undelivered", peak, maxMemory, st.Undelivered)
	if st.Memory != 0 || st.Parked != 0 || st.Undelivered == 0 {
		t.Errorf("Memory %d, Parked %d, Undelivered %d at the end, want 0, 0 and some", st.Memory, st.Parked, st.Undelivered)
	}
}

// testMemoryCapStop: connections parked at MaxMemory when the server stops
// are finished like the others: each client that reads then gets back every
// byte the server read from it, then EOF, or a reset where the server had not
// read all it sent (TestStopWithInputUnread), counted and logged as unread.
func testMemoryCapStop(t *testing.T, e engine.Name) {
	const hogs = 2
	logger, log := testkit.NewLogger(t)
	srv, cancel := startServer(t, e, Config{MaxMemory: 4 << 20, DrainTimeout: 10 * time.Second, Logger: logger})
	p := randomPayload(16 << 20)
	conns := make([]net.Conn, hogs)
	writeErrs := make([]error, hogs)
	var writers sync.WaitGroup
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() { _, writeErrs[i] = writeAll(conns[i], p, 0, 64<<10, stallTimeout) })
	}
	waitStats(t, srv, "every never-reading client parked", func(s Stats) bool { return s.Parked == hogs })
	cancel()
	received := make([]int64, hogs)
	readErrs := make([]error, hogs)
	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Go(func() {
			received[i], readErrs[i] = readAll(c, p, stallTimeout, nil)
			c.Close()
		})
	}
	readers.Wait()
	writers.Wait()
	<-srv.Done()
	// A reset reaches whichever of a client's reader and writer meets it
	// first (a socket says ECONNRESET once, then EOF or EPIPE).
	var total int64
	resets := 0
	for i := range conns {
		if readErrs[i] != nil && !errors.Is(readErrs[i], syscall.ECONNRESET) {
			t.Errorf("client %d after the stop: %v, want its replies then EOF or a reset", i, readErrs[i])
		}
		if errors.Is(readErrs[i], syscall.ECONNRESET) || errors.Is(writeErrs[i], syscall.ECONNRESET) || errors.Is(writeErrs[i], syscall.EPIPE) {
			resets++
		}
		total += received[i]
	}
	st := srv.Stats()
	if st.Open != 0 || st.Undelivered != 0 || st.BytesIn != uint64(total) || st.BytesOut != uint64(total) || st.Memory != 0 {
		t.Errorf("after the stop: %+v; clients received %d: want every byte read written back and received, nothing open, held or undelivered", st, total)
	}
	if logged := strings.Count(log.String(), "at the stop with input not read yet"); logged != resets || resets > 0 && st.Unread == 0 {
		t.Errorf("%d clients reset, %d resets logged, Unread %d: want each reset logged and its input counted", resets, logged, st.Unread)
	}
}
