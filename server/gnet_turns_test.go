package server

import (
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestGnetHeavySendersTakeTurns: clients that send without reading do not
// starve a light client on the same event loop, and still get every byte
// back once they read. Between two reads of the light client, a loop that
// reads every readable socket once a pass reads every heavy sender; with
// turns it reads the few whose turn it is. The test counts, on the loop,
// the distinct heavy senders read between consecutive reads of the light
// client, and takes the median over its messages: a count, not a time, so
// that a slow machine cannot fail it.
func TestGnetHeavySendersTakeTurns(t *testing.T) {
	// Not parallel: its clients fill socket buffers by the hundred MiB, which
	// the kernel's TCP memory shares with the memory tests beside it.
	const (
		heavy    = 16
		each     = 4 << 20
		messages = 300
	)
	var (
		lightAddr atomic.Value // the light client's address
		measuring atomic.Bool
		mu        sync.Mutex
		seen      = map[string]bool{} // heavy senders read since the light client's last read
		between   []int               // len(seen) at each of the light client's reads
	)
	progress := func(remote net.Addr, _ int64) {
		if !measuring.Load() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if a, _ := lightAddr.Load().(string); remote.String() == a {
			between = append(between, len(seen))
			clear(seen)
			return
		}
		seen[remote.String()] = true
	}
	// One loop: every client shares it. The heavy clients read late by
	// design, so the finisher must not give up on them first.
	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1, FinishTimeout: time.Minute, Hooks: Hooks{Progress: progress}})

	p := randomPayload(each)
	conns := make([]net.Conn, heavy)
	var writers sync.WaitGroup
	defer writers.Wait()
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() {
			if _, err := writeAll(conns[i], p, 0, 64<<10, stallTimeout); err != nil {
				t.Errorf("heavy client %d: %v", i, err)
				return
			}
			if err := testkit.CloseWrite(conns[i]); err != nil {
				t.Errorf("heavy client %d: %v", i, err)
			}
		})
	}
	waitStats(t, srv, "the heavy clients backlogged", func(s Stats) bool { return s.Buffered >= heavy*backlogAt })

	light := dial(t, srv)
	lightAddr.Store(light.LocalAddr().String())
	msg := []byte("capitalize this!")
	measuring.Store(true)
	for range messages {
		if err := ping(light, msg); err != nil {
			t.Fatal(err)
		}
	}
	measuring.Store(false)
	st := srv.Stats()
	if st.BytesIn >= heavy*each {
		t.Fatalf("the heavy clients were all read before the light one finished (%d bytes in): nothing was measured", st.BytesIn)
	}
	mu.Lock()
	counts := slices.Clone(between)
	mu.Unlock()
	slices.Sort(counts)
	median := counts[len(counts)/2]
	t.Logf("heavy senders read between the light client's reads: median %d, max %d of %d", median, counts[len(counts)-1], heavy)
	if median > heavy/2 {
		t.Errorf("between two reads of the light client the loop read a median of %d of the %d heavy senders, want at most %d", median, heavy, heavy/2)
	}

	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Go(func() {
			got, err := readAll(c, p, stallTimeout, nil)
			if err != nil {
				t.Errorf("heavy client %d: %v", i, err)
			} else if got != each {
				t.Errorf("heavy client %d: %d bytes back, want %d", i, got, each)
			}
		})
	}
	readers.Wait()
	writers.Wait()
	for _, c := range conns {
		c.Close()
	}
	light.Close()
	if st := settled(t, srv); st.Undelivered != 0 || st.Parked != 0 {
		t.Errorf("Undelivered %d, Parked %d at the end, want 0 and 0", st.Undelivered, st.Parked)
	}
}

// TestGnetWaitingTurnIsNotIdle: a backlogged connection waiting for its
// turn has sent what the loop will read at its turn, so the idle timeout
// does not close it, however long its turn is in coming.
func TestGnetWaitingTurnIsNotIdle(t *testing.T) {
	// Not parallel: its clients fill socket buffers by the hundred MiB, which
	// the kernel's TCP memory shares with the memory tests beside it.
	const (
		heavy = 48 // turnsPerCheck a check: a turn every 240 ms or more
		// More than the server takes while the test runs: a client that
		// has sent all it had and waits is idle, and rightly closed.
		each     = 64 << 20
		messages = 2000
		// Short of a turn's wait, long enough that a loop slowed down by
		// the race detector on a loaded machine does not leave the light
		// client idle between two of its messages.
		idle = 200 * time.Millisecond
	)
	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1, IdleTimeout: idle, FinishTimeout: time.Minute})
	conns := make([]net.Conn, heavy)
	var writers sync.WaitGroup
	defer writers.Wait()
	p := randomPayload(each)
	for i := range conns {
		conns[i] = dialSmallReceive(t, srv, 4096)
		writers.Go(func() { _, _ = writeAll(conns[i], p, 0, 64<<10, stallTimeout) })
	}
	waitStats(t, srv, "the heavy clients backlogged", func(s Stats) bool { return s.Buffered >= heavy*backlogAt })
	light := dial(t, srv)
	msg := []byte("capitalize this!")
	for range messages {
		if err := ping(light, msg); err != nil {
			t.Fatal(err)
		}
	}
	if st := srv.Stats(); st.Closed[ClosedIdle] != 0 {
		t.Errorf("%d connections closed as idle while they waited for their turn, want none", st.Closed[ClosedIdle])
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestGnetLoneClientTakesNoTurns: a client alone on its loop that sends
// faster than it reads is backlogged and light by turns, its own reads the
// only traffic besides it: it contends with nobody and never waits for a
// turn.
func TestGnetLoneClientTakesNoTurns(t *testing.T) {
	t.Parallel()
	const (
		rounds = 3
		send   = 8 << 20 // more than the socket buffers take: it backlogs
		read   = 6 << 20
	)
	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1})
	c := dialSmallReceive(t, srv, 4096)
	p := randomPayload(rounds * send)
	var sent, got int64
	for r := range rounds {
		for end := int64(r+1) * send; sent < end; {
			_ = c.SetWriteDeadline(time.Now().Add(stallTimeout))
			n, err := c.Write(p.At(sent, int(min(64<<10, end-sent))))
			sent += int64(n)
			if err != nil {
				t.Fatal(err)
			}
		}
		waitStats(t, srv, "the client backlogged", func(s Stats) bool { return s.Buffered >= backlogAt })
		buf := make([]byte, 64<<10)
		for target := got + read; got < target; {
			_ = c.SetReadDeadline(time.Now().Add(stallTimeout))
			n, err := c.Read(buf[:min(len(buf), int(target-got))])
			if cerr := p.Check(got, buf[:n]); cerr != nil {
				t.Fatal(cerr)
			}
			got += int64(n)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := srv.eng.(*gnetEngine).turnWaits.Load(); n != 0 {
		t.Errorf("a client alone on its loop waited %d times for its turn, want never", n)
	}
}

// TestGnetTurnPastMemory: a backlogged connection waiting for its turn when
// memory is past seven eighths of MaxMemory is still handed back, and past
// the bound it is parked for memory, counted in Parked. Before, turns were
// handed back only once memory was low: a connection whose turn ended
// within the last eighth waited uncounted for memory that never freed, and
// Parked stayed short of the clients the server had stopped reading (the
// memory cap case failed so now and then). Its turns step 32 KiB at a time
// through the last eighth of a 1 MiB bound, so one ends there.
func TestGnetTurnPastMemory(t *testing.T) {
	t.Parallel()
	const maxMemory = 1 << 20
	srv, _ := startServer(t, engine.Gnet, Config{Loops: 1, MaxMemory: maxMemory})
	heavy := dialSmallReceive(t, srv, 4096)
	var client sync.WaitGroup
	defer client.Wait()
	defer heavy.Close()
	client.Go(func() { _, _ = writeAll(heavy, randomPayload(8*maxMemory), 0, 64<<10, stallTimeout) })

	// A light client's traffic makes the loop contended: the heavy one
	// waits for turns.
	light := dial(t, srv)
	done := make(chan struct{})
	stopLight := sync.OnceFunc(func() { close(done) })
	defer stopLight()
	client.Go(func() {
		msg := []byte("capitalize this!")
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := ping(light, msg); err != nil {
				t.Errorf("the light client: %v", err)
				return
			}
		}
	})
	st := waitStats(t, srv, "the heavy client parked past max-memory", func(s Stats) bool { return s.Parked == 1 })
	stopLight()
	if n := srv.eng.(*gnetEngine).turnWaits.Load(); n == 0 {
		t.Errorf("the heavy client never waited for its turn: the test proves nothing (%+v)", st)
	}
	if st.Memory <= maxMemory {
		t.Errorf("parked with %d bytes of memory, within the %d bound", st.Memory, maxMemory)
	}
}
