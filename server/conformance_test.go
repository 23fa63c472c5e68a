package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// engines are the engines every conformance case runs against.
var engines = []engine.Name{engine.Gnet, engine.Goroutine}

// conformanceCase is one behaviour every engine must show, unless only
// names the one engine it applies to and why says what the other does.
// A timed case asserts durations, so it runs alone (see alone).
type conformanceCase struct {
	name  string
	only  engine.Name
	why   string
	timed bool
	run   func(t *testing.T, e engine.Name)
}

// alone lets a timed test run with no other test of the package, which
// hold it shared. With the race detector on 2 shared cores, a hundred busy
// goroutines of other tests can keep a test's own goroutine off the CPU for
// hundreds of milliseconds, which would fake the very timeouts a timed test
// looks for (a loaded machine can too: its timeouts are long besides).
var alone sync.RWMutex

// runAlone runs a timed test alone; runShared any other.
func runAlone(t *testing.T) {
	alone.Lock()
	t.Cleanup(alone.Unlock)
}

func runShared(t *testing.T) {
	alone.RLock()
	t.Cleanup(alone.RUnlock)
}

// The goroutine engine's deadlock: it does not read while a write blocks,
// so a client that reads nothing until it has sent everything stops both
// once about 8 MiB fill the socket buffers here, as with the original.
const goroutineDeadlock = "the goroutine engine deadlocks with the sequential client past the socket buffers (about 8 MiB here), as the original does; see the deadlock case"

var conformanceCases = []conformanceCase{
	{name: "round trip 16 B", run: func(t *testing.T, e engine.Name) {
		srv, _ := startServer(t, e, Config{})
		roundTrip(t, dial(t, srv), randomPayload(16), 16)
	}},
	{name: "round trip 1 MiB", run: func(t *testing.T, e engine.Name) {
		srv, _ := startServer(t, e, Config{})
		roundTrip(t, dial(t, srv), randomPayload(1<<20), 1000)
	}},
	{name: "round trip 32 MiB", run: func(t *testing.T, e engine.Name) {
		srv, _ := startServer(t, e, Config{})
		roundTrip(t, dial(t, srv), randomPayload(32<<20), 64<<10)
		st := settled(t, srv)
		if got, want := st.BytesOut, uint64(32<<20); got != want {
			t.Errorf("BytesOut = %d, want %d", got, want)
		}
	}},
	{name: "all byte values", run: testAllByteValues},
	{name: "1000 concurrent clients", run: testConcurrentClients},
	{name: "read size bounds each step", run: testReadSize},
	{name: "replies to whole reads", run: testWholeReads},
	{name: "hooks", run: testHooks},
	{name: "bind errors", run: testBindErrors},
	{name: "unix socket", run: testUnixSocket},

	// The sequential client is the original's: everything sent, the sending
	// side shut down, then everything read back.
	{name: "half-close 64 KiB", run: func(t *testing.T, e engine.Name) {
		testHalfClose(t, e, Config{}, 64<<10)
	}},
	{name: "half-close 1 MiB", run: func(t *testing.T, e engine.Name) {
		// Within the socket buffers, so the goroutine engine passes too.
		testHalfClose(t, e, Config{}, 1<<20)
	}},
	{name: "half-close 32 MiB", only: engine.Gnet, why: goroutineDeadlock, run: func(t *testing.T, e engine.Name) {
		testHalfClose(t, e, Config{}, 32<<20)
	}},
	{name: "half-close 48 MiB", only: engine.Gnet, why: goroutineDeadlock, run: func(t *testing.T, e engine.Name) {
		// Most of it held at once, within the default budget.
		testHalfClose(t, e, Config{}, 48<<20)
	}},
	{name: "half-close 128 MiB unbounded", only: engine.Gnet, why: goroutineDeadlock, run: func(t *testing.T, e engine.Name) {
		testHalfClose(t, e, Config{MaxBuffer: NoLimit}, 128<<20)
	}},
	{name: "deadlock is real but bounded", only: engine.Goroutine,
		why: "the gnet engine buffers instead of blocking; its bound is the memory budget case",
		run: testDeadlock},
	{name: "memory budget", only: engine.Gnet,
		why: "the goroutine engine holds at most one read per connection, so it cannot reach the budget",
		run: testBudget},
	{name: "slow readers", run: testSlowReaders},
	{name: "small budget, client reads", run: testSmallBudgetReader},
	{name: "memory cap", only: engine.Gnet,
		why: "the goroutine engine holds at most one read per connection; its never-reading clients block at once",
		run: testMemoryCap},
	{name: "memory cap, stop", only: engine.Gnet,
		why: "the goroutine engine holds at most one read per connection and never parks one",
		run: testMemoryCapStop},
	{name: "max conns", run: testMaxConns},
	{name: "reset mid-stream", run: testReset},
	{name: "graceful stop", timed: true, run: testGracefulStop},
	{name: "idle timeout", timed: true, run: testIdleTimeout},
}

// TestConformance runs every case against every engine.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			for _, c := range conformanceCases {
				t.Run(c.name, func(t *testing.T) {
					if c.only != "" && c.only != e {
						t.Skipf("%s only: %s", c.only, c.why)
					}
					t.Parallel()
					if c.timed {
						runAlone(t)
					} else {
						runShared(t)
					}
					c.run(t, e)
				})
			}
		})
	}
}

// testAllByteValues sends every byte value, alone and repeated to odd
// lengths in odd chunks, so that reads split the data at every kind of
// boundary: only a-z may change.
func testAllByteValues(t *testing.T, e engine.Name) {
	srv, _ := startServer(t, e, Config{})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		size  int64
		chunk int
	}{
		{256, 256}, {1, 1}, {255, 7}, {257, 13}, {1023, 1021}, {1025, 1025}, {4099, 333}, {65537, 4097},
	} {
		t.Run(fmt.Sprintf("%d bytes in %d-byte writes", tc.size, tc.chunk), func(t *testing.T) {
			roundTrip(t, dial(t, srv), testkit.NewStream(all, tc.size), tc.chunk)
		})
	}
}

// testConcurrentClients opens 1000 connections at once, each a small
// sequential round trip of its own bytes.
func testConcurrentClients(t *testing.T, e engine.Name) {
	const clients = 1000
	srv, _ := startServer(t, e, Config{})
	start := make(chan struct{})
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			<-start
			conn, err := net.DialTimeout("tcp", srv.Addr().String(), stallTimeout)
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
				return
			}
			defer conn.Close()
			// Each client its own slice of the block, so that crossed
			// replies show.
			p := testkit.NewStream(randomBlock[i*61:], 100+int64(i%17))
			if _, err := sequential(conn, p, 16, stallTimeout); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := settled(t, srv)
	if st.Accepted != clients || st.Closed[ClosedPeer] != clients {
		t.Errorf("accepted %d, closed by peer %d, want %d each", st.Accepted, st.Closed[ClosedPeer], clients)
	}
}

// testReadSize: no read is processed in steps of more than ReadSize bytes,
// the original's recv(1024) made configurable, as Progress reports them.
func testReadSize(t *testing.T, e engine.Name) {
	const readSize, size = 100, 64 << 10
	var (
		mu    sync.Mutex
		steps []int64
		last  int64
	)
	progress := func(_ net.Addr, processed int64) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, processed-last)
		last = processed
	}
	srv, _ := startServer(t, e, Config{ReadSize: readSize, Hooks: Hooks{Progress: progress}})
	roundTrip(t, dial(t, srv), randomPayload(size), 4096)
	settled(t, srv)
	mu.Lock()
	defer mu.Unlock()
	if last != size || len(steps) < size/readSize {
		t.Errorf("%d bytes processed in %d steps, want %d in at least %d", last, len(steps), size, size/readSize)
	}
	for i, n := range steps {
		if n > readSize {
			t.Fatalf("step %d processed %d bytes, more than ReadSize %d", i, n, readSize)
		}
	}
}

// testWholeReads: messages that end exactly at a full read, one read and
// many, are answered without more input behind them (the gnet engine holds a
// full read's output while it expects more).
func testWholeReads(t *testing.T, e engine.Name) {
	srv, _ := startServer(t, e, Config{})
	conn := dial(t, srv)
	readSize := srv.Config().ReadSize
	for _, size := range []int{readSize, 2 * readSize, 64 * readSize} {
		msg := bytes.Repeat([]byte("lower-case text."), size/16)
		for range 20 {
			if err := ping(conn, msg); err != nil {
				t.Fatalf("%d-byte message: %v", size, err)
			}
		}
	}
}

// testHooks: Open once, Progress with a growing total that ends at every
// byte, Close once with that total and the reason.
func testHooks(t *testing.T, e engine.Name) {
	const size = 10000
	type closed struct {
		remote    string
		processed int64
		reason    CloseReason
	}
	var (
		mu       sync.Mutex
		opened   []string
		progress []int64
		closes   = make(chan closed, 2)
	)
	hooks := Hooks{
		Open: func(remote net.Addr) {
			mu.Lock()
			defer mu.Unlock()
			opened = append(opened, remote.String())
		},
		Progress: func(_ net.Addr, processed int64) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, processed)
		},
		Close: func(remote net.Addr, processed int64, reason CloseReason, _ error) {
			closes <- closed{remote.String(), processed, reason}
		},
	}
	srv, _ := startServer(t, e, Config{Hooks: hooks})
	conn := dial(t, srv)
	if _, err := sequential(conn, randomPayload(size), 1000, stallTimeout); err != nil {
		t.Fatal(err)
	}
	var c closed
	select {
	case c = <-closes:
	case <-time.After(stallTimeout):
		t.Fatal("Close hook not called")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := conn.LocalAddr().String(); len(opened) != 1 || opened[0] != want || c.remote != want {
		t.Errorf("Open hook saw %q and Close hook %q, want %q once each", opened, c.remote, want)
	}
	if c.processed != size || c.reason != ClosedPeer {
		t.Errorf("Close hook: processed %d, reason %q; want %d, %q", c.processed, c.reason, size, ClosedPeer)
	}
	for i, p := range progress {
		if i > 0 && p <= progress[i-1] {
			t.Fatalf("Progress totals do not grow: %v", progress)
		}
	}
	if len(progress) == 0 || progress[len(progress)-1] != size {
		t.Errorf("Progress totals %v, want them to end at %d", progress, size)
	}
	select {
	case c := <-closes:
		t.Errorf("Close hook called again: %+v", c)
	default:
	}
}

// testBindErrors: a busy address is an error at once, wrapped so that
// callers can test for it, and the running server is unharmed.
func testBindErrors(t *testing.T, e engine.Name) {
	srv, _ := startServer(t, e, Config{})
	_, err := Start(context.Background(), Config{Engine: e, Address: srv.Addr().String()})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second Start on %s: got %v, want address already in use", srv.Addr(), err)
	}
	roundTrip(t, dial(t, srv), randomPayload(16), 16)
}

// testUnixSocket: a unix socket serves like TCP; a stale socket file is
// replaced, a live one or a file that is not a socket is left alone, and
// the socket file goes when the server stops.
func testUnixSocket(t *testing.T, e engine.Name) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s")

	// A listener that does not unlink its file on close leaves a stale
	// socket, as a killed server does.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()

	srv, cancel := startServer(t, e, Config{Network: "unix", Address: path})
	roundTrip(t, dial(t, srv), randomPayload(1<<16), 4096)

	if _, err := Start(context.Background(), Config{Engine: e, Network: "unix", Address: path}); err == nil {
		t.Fatal("a second server took over a live unix socket")
	}
	roundTrip(t, dial(t, srv), randomPayload(16), 16)

	notSocket := filepath.Join(dir, "file")
	if err := os.WriteFile(notSocket, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Config{Engine: e, Network: "unix", Address: notSocket}); err == nil {
		t.Fatal("a server bound over a file that is not a socket")
	}
	if b, err := os.ReadFile(notSocket); err != nil || string(b) != "keep me" {
		t.Fatalf("the file that is not a socket was touched: %q, %v", b, err)
	}

	cancel()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after stop: %v, want it removed", err)
	}
}

// testHalfClose runs the original's sequential client over size bytes.
func testHalfClose(t *testing.T, e engine.Name, cfg Config, size int64) {
	srv, _ := startServer(t, e, cfg)
	tr, err := sequential(dial(t, srv), randomPayload(size), 64<<10, stallTimeout)
	if err != nil {
		t.Fatalf("sequential client, %d bytes: %v (sent %d, received %d)", size, err, tr.sent, tr.received)
	}
	if st := settled(t, srv); st.Undelivered != 0 {
		t.Errorf("Undelivered = %d, want 0", st.Undelivered)
	}
}

// testDeadlock shows the original's deadlock on the goroutine engine: the
// sequential client of 32 MiB stops making progress once the socket buffers
// are full, the server holding one read it cannot write back, while a
// duplex client beside it is served in full.
func testDeadlock(t *testing.T, e engine.Name) {
	const size = 32 << 20
	srv, _ := startServer(t, e, Config{})
	stuck := dial(t, srv)
	tr, err := sequential(stuck, randomPayload(size), 64<<10, 2*time.Second)
	if !errors.Is(err, errStalled) {
		t.Fatalf("sequential client of %d bytes: got %v, want it stalled", size, err)
	}
	if tr.sent >= size || tr.received != 0 {
		t.Fatalf("stalled after sending %d and receiving %d bytes, want less than %d sent and none back", tr.sent, tr.received, size)
	}
	t.Logf("deadlocked after sending %d bytes", tr.sent)
	st := srv.Stats()
	if readSize := int64(srv.Config().ReadSize); st.Buffered <= 0 || st.Buffered > readSize {
		t.Errorf("Buffered = %d while deadlocked, want 1 to %d: the server blocked writing one read back", st.Buffered, readSize)
	}

	roundTrip(t, dial(t, srv), randomPayload(1<<20), 64<<10)

	// Closing the stuck client fails the server's blocked write: the read it
	// held is lost and counted.
	stuck.Close()
	st = settled(t, srv)
	if st.Undelivered == 0 || st.Closed[ClosedError] != 1 {
		t.Errorf("after the deadlocked client closed: Undelivered %d, Closed[error] %d, want > 0 and 1",
			st.Undelivered, st.Closed[ClosedError])
	}
}

// testBudget: with MaxBuffer 1 MiB, a client that sends and never reads is
// cut off, while a well-behaved client beside it is served. The client
// offers up to 64 MiB, not the 8 MiB of the issue: the loopback socket
// buffers of one connection alone hold about 8 MiB here, so 8 MiB need not
// put more than the budget in the server's memory.
func testBudget(t *testing.T, e engine.Name) {
	srv, _ := startServer(t, e, Config{MaxBuffer: 1 << 20})
	hog := dial(t, srv)
	good := dial(t, srv)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := checkRoundTrip(good, randomPayload(4<<20), 16<<10); err != nil {
			t.Errorf("the client within budget: %v", err)
		}
	})

	sent, werr := writeAll(hog, randomPayload(64<<20), 0, 64<<10, stallTimeout)
	if werr == nil || errors.Is(werr, errStalled) {
		t.Fatalf("the client over budget was not cut off after sending %d bytes: %v", sent, werr)
	}
	wg.Wait()
	waitStats(t, srv, "one budget close", func(s Stats) bool { return s.Closed[ClosedBudget] == 1 })
	hog.Close()
	if st := settled(t, srv); st.Closed[ClosedBudget] != 1 {
		t.Errorf("Closed[budget] = %d, want 1", st.Closed[ClosedBudget])
	}
}

// testMaxConns: with MaxConns 10, ten working connections are served and
// five more are closed without a reply, counted as refused.
func testMaxConns(t *testing.T, e engine.Name) {
	const max, extra = 10, 5
	srv, _ := startServer(t, e, Config{MaxConns: max})
	msg := []byte("capitalize this!")
	var admitted []net.Conn
	for range max {
		c := dial(t, srv)
		if err := ping(c, msg); err != nil {
			t.Fatal(err)
		}
		admitted = append(admitted, c)
	}
	for i := range extra {
		c := dial(t, srv)
		c.Write(msg) // may fail already: the server may have closed it
		c.SetReadDeadline(time.Now().Add(stallTimeout))
		n, err := io.Copy(io.Discard, c)
		if n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("extra connection %d: read %d bytes, %v; want it closed with no reply", i, n, err)
		}
		c.Close()
	}
	st := waitStats(t, srv, "5 refusals", func(s Stats) bool { return s.Refused == extra })
	if st.Accepted != max || st.Open != max {
		t.Errorf("Accepted %d, Open %d, want %d each", st.Accepted, st.Open, max)
	}
	for _, c := range admitted {
		if err := ping(c, msg); err != nil {
			t.Errorf("an admitted connection after the refusals: %v", err)
		}
	}
	for _, c := range admitted {
		c.Close()
	}
	if st := settled(t, srv); st.Refused != extra || st.Accepted != max {
		t.Errorf("Refused %d, Accepted %d, want %d and %d", st.Refused, st.Accepted, extra, max)
	}
}

// testReset: a client that resets its connection mid-stream disturbs no
// other, and the server forgets it.
func testReset(t *testing.T, e engine.Name) {
	const others = 4
	srv, _ := startServer(t, e, Config{})
	var wg sync.WaitGroup
	for range others {
		c := dial(t, srv)
		wg.Go(func() {
			if err := checkRoundTrip(c, randomPayload(1<<20), 4096); err != nil {
				t.Errorf("a client beside the reset: %v", err)
			}
		})
	}

	rst := dial(t, srv)
	p := randomPayload(256 << 10)
	if _, err := writeAll(rst, p, 0, 16<<10, stallTimeout); err != nil {
		t.Fatal(err)
	}
	// One reply read back proves the stream is under way.
	got := make([]byte, 1024)
	rst.SetReadDeadline(time.Now().Add(stallTimeout))
	if _, err := io.ReadFull(rst, got); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(0, got); err != nil {
		t.Fatal(err)
	}
	// Linger 0 makes the close a reset, with replies and data in flight.
	if err := testkit.Reset(rst); err != nil {
		t.Fatal(err)
	}

	wg.Wait()
	st := settled(t, srv)
	if st.Closed[ClosedError] != 1 || st.Closed[ClosedPeer] != others {
		t.Errorf("Closed[error] %d, Closed[peer] %d, want 1 and %d", st.Closed[ClosedError], st.Closed[ClosedPeer], others)
	}
}

// testGracefulStop cancels the server while 50 clients stream: each gets
// back the uppercase of every byte the server read from it, a prefix of
// what it sent with no gap, then a reset, since it had sent more than the
// server read (counted as unread at stop), never a clean end; the server
// stops within the drain timeout and its address is free at once.
func testGracefulStop(t *testing.T, e engine.Name) {
	const (
		clients = 50
		// A healthy drain here takes well under a second; the bound is
		// generous because clients kept off a shared CPU for longer would
		// rightly lose their replies.
		drain = 5 * time.Second
		// Each client streams at least this much back before the stop.
		before = 16 << 10
	)
	srv, cancel := startServer(t, e, Config{DrainTimeout: drain})
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = dial(t, srv)
		// Small fixed buffers keep the replies in flight at the stop, which
		// each client must read before its EOF, to a few hundred KiB
		// instead of the megabytes that loopback autotuning allows.
		tc := conns[i].(*net.TCPConn)
		if err := errors.Join(tc.SetReadBuffer(128<<10), tc.SetWriteBuffer(128<<10)); err != nil {
			t.Fatal(err)
		}
	}
	// Streams start once all are admitted, so that none waits its turn to be
	// accepted while the others stream.
	waitStats(t, srv, "every client admitted", func(s Stats) bool { return s.Accepted == clients })
	var streaming, wg sync.WaitGroup
	streaming.Add(clients)
	results := make([]transfer, clients)
	readErrs := make([]error, clients)
	for i, c := range conns {
		wg.Go(func() {
			var once sync.Once
			onRead := func(received int64) {
				if received >= before {
					once.Do(streaming.Done)
				}
			}
			results[i], _, readErrs[i] = duplex(c, randomPayload(testkit.Endless), 4096, onRead)
			once.Do(streaming.Done) // a client that failed early must not hang the test
		})
	}
	streaming.Wait()

	stopped := time.Now()
	cancel()
	select {
	case <-srv.Done():
	case <-time.After(drain + time.Second):
		t.Fatalf("server still draining %v after the stop", drain+time.Second)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	t.Logf("stopped in %v", time.Since(stopped))

	wg.Wait()
	var received int64
	for i, tr := range results {
		// The reset reaches the reader, or the writer first (then the
		// reader sees EOF).
		if readErrs[i] != nil && !errors.Is(readErrs[i], syscall.ECONNRESET) {
			t.Errorf("client %d: %v, want its replies then a reset", i, readErrs[i])
		}
		if tr.received < before || tr.received > tr.sent {
			t.Errorf("client %d: received %d of %d sent, want at least %d", i, tr.received, tr.sent, before)
		}
		received += tr.received
	}
	st := srv.Stats()
	if st.BytesIn != uint64(received) || st.BytesOut != uint64(received) || st.Undelivered != 0 {
		t.Errorf("server read %d, wrote %d, lost %d; clients received %d: want all read written back",
			st.BytesIn, st.BytesOut, st.Undelivered, received)
	}
	if st.Closed[ClosedDrain] != clients || st.Open != 0 {
		t.Errorf("Closed[drain] %d, Open %d, want %d and 0", st.Closed[ClosedDrain], st.Open, clients)
	}
	if st.Unread == 0 {
		t.Errorf("Unread 0: endless streams stopped with nothing unread")
	}

	// Straight after the stop, before any TIME_WAIT of the old connections
	// has passed.
	startServer(t, e, Config{Address: srv.Addr().String()})
}

// testIdleTimeout: with IdleTimeout 1s, a silent client is closed as idle
// no sooner than that, while a client that keeps talking meanwhile, dialled
// first, is not. The timeout is long beside the active client's pings, 50ms
// apart: a loaded machine that keeps the test off the CPU for 200ms
// closed it, rightly, when the timeout was 200ms.
func testIdleTimeout(t *testing.T, e engine.Name) {
	const idle = time.Second
	srv, _ := startServer(t, e, Config{IdleTimeout: idle})
	active := dial(t, srv)

	// The active client talks every 50ms until the silent client is
	// closed: for longer than the idle timeout.
	silentClosed := make(chan struct{})
	activeErr := make(chan error, 1)
	go func() {
		tick := time.NewTicker(idle / 20)
		defer tick.Stop()
		for i := 0; ; i++ {
			if err := ping(active, []byte(fmt.Sprintf("ping %02d", i))); err != nil {
				activeErr <- err
				return
			}
			select {
			case <-silentClosed:
				activeErr <- nil
				return
			case <-tick.C:
			}
		}
	}()

	dialed := time.Now()
	silent := dial(t, srv)
	silent.SetReadDeadline(time.Now().Add(stallTimeout))
	n, err := io.Copy(io.Discard, silent)
	if elapsed := time.Since(dialed); elapsed < idle {
		t.Errorf("silent client closed after %v, before the idle timeout %v", elapsed, idle)
	}
	if n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent client: read %d bytes, %v; want it closed", n, err)
	}
	waitStats(t, srv, "one idle close", func(s Stats) bool { return s.Closed[ClosedIdle] == 1 })
	close(silentClosed)

	if err := <-activeErr; err != nil {
		t.Fatalf("active client: %v", err)
	}
	if got := srv.Stats().Closed[ClosedIdle]; got != 1 {
		t.Errorf("Closed[idle] = %d, want 1: the active client was closed", got)
	}
	active.Close()
	if st := settled(t, srv); st.Closed[ClosedIdle] != 1 || st.Closed[ClosedPeer] != 1 {
		t.Errorf("Closed[idle] %d, Closed[peer] %d, want 1 each", st.Closed[ClosedIdle], st.Closed[ClosedPeer])
	}
}
