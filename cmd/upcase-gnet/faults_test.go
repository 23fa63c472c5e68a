package main

// The process-level half of the fault suite (the in-process half is
// server/faults_test.go): faults whose effect is on a whole process, its
// memory, its signals and its open-file limit, against `upcase-gnet serve`
// run as a child. Each asserts what a user cares about: the server keeps
// serving, nothing is lost that should not be, and resources come back.
//
// The child is built without -race: its memory is what is measured, and
// the race detector multiplies it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

// faultBound bounds every wait of this suite: a stuck server fails the test
// instead of hanging it.
const faultBound = 20 * time.Second

// TestFaults builds the binary once and runs every process-level fault
// against each engine, in parallel.
func TestFaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and relies on Linux's loopback and limits")
	}
	if testing.Short() {
		t.Skip("thousands of connections")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "upcase-gnet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			t.Run("never-reading clients over the budget", func(t *testing.T) {
				t.Parallel()
				testBudgetHogs(t, bin, engine)
			})
			t.Run("SIGTERM while 1000 clients stream", func(t *testing.T) {
				t.Parallel()
				testStopWhileStreaming(t, bin, engine)
			})
			t.Run("flood past the open-file limit", func(t *testing.T) {
				t.Parallel()
				testFlood(t, bin, engine)
			})
			t.Run("flood with max-conns above the open-file limit", func(t *testing.T) {
				t.Parallel()
				testFloodOverLimit(t, bin, engine)
			})
		})
	}
}

// testBudgetHogs: 100 clients each send 8 MiB and never read, against
// --max-buffer 1MiB, while a well-behaved client streams beside them.
//
// On the gnet engine each is cut at the budget, and the server's memory
// stays bounded and comes back. The goroutine engine never buffers (it
// stops reading while its write blocks, the original's deadlock), so the
// hogs just stall; it must still serve the well-behaved client.
func testBudgetHogs(t *testing.T, bin, engine string) {
	const (
		hogs   = 100
		budget = 1 << 20
		each   = 8 << 20
	)
	srv := startFaultChild(t, bin, 0, "--engine", engine, "--max-buffer", "1MiB", "--pprof")
	// Warm up, so that the base counts the code and buffers any connection
	// needs, not those of the first one.
	if err := streamRoundTrip(srv.addr, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	base := srv.memory(t)
	began := time.Now()

	var good sync.WaitGroup
	good.Go(func() {
		if err := streamRoundTrip(srv.addr, 1, 4<<20); err != nil {
			t.Errorf("the well-behaved client beside the hogs: %v", err)
		}
	})
	// The never-readers get a small receive buffer: loopback sockets
	// autotune to megabytes, and the kernel would absorb the 8 MiB instead
	// of the server.
	dialer := net.Dialer{Timeout: faultBound, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
		return errors.Join(err, serr)
	}}
	// How long the hogs write. On the gnet engine each writes until it is
	// cut, for as long as it makes progress: before its connection holds
	// more than the budget, a hog must get the budget and the server's
	// socket send buffer (autotuned up to 4 MiB) through: about 5 MiB a
	// hog, 100 in 7.5 s on this machine when quiet, which a loaded one may
	// not move within one faultBound. A hog that gave up then left the
	// server holding less than the budget, rightly uncut, with nothing more
	// to read, and failed the wait below as if the server had stopped
	// reading it. The goroutine
	// engine stalls them for ever, or trickles their bytes through 1 KiB
	// reads, so there they have a few seconds, enough to block every one
	// of its connection goroutines on its write.
	stall, until := faultBound, time.Now().Add(3*faultBound)
	if engine == "goroutine" {
		stall, until = 2*time.Second, time.Now().Add(3*time.Second)
	}
	sent := make([]int64, hogs)
	conns := make([]net.Conn, hogs)
	errs := make([]error, hogs)
	var wg sync.WaitGroup
	for i := range hogs {
		wg.Go(func() {
			c, err := dialer.Dial("tcp", srv.addr)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			sent[i], errs[i] = writeStalling(c, i, each, stall, until)
		})
	}
	wg.Wait()
	peak := srv.memory(t)
	t.Logf("%s: the hogs sent %d MiB in %v", engine, sum(sent)>>20, time.Since(began).Round(time.Millisecond))

	switch engine {
	case "gnet":
		for i, err := range errs {
			// Cut: the server closed with unread data, a reset, so the
			// write fails; or the write finished into the socket buffers
			// and the read sees the close.
			if err == nil {
				err = readsClosed(conns[i])
			}
			if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errStalled) {
				t.Errorf("hog %d: sent %d bytes, %v: want its connection cut at the budget", i, sent[i], err)
			}
		}
		st := srv.waitMetrics(t, "every hog cut at the budget", func(m metricSet) bool {
			return m.get("upcase_gnet_connections_closed_total", "reason", "budget") == hogs
		})
		// The log lines come through a pipe: they may trail the metrics.
		budgetLines := func() int { return strings.Count(srv.stderr.String(), "over the memory budget") }
		if !poll(faultBound, func() bool { return budgetLines() >= hogs }) || budgetLines() != hogs {
			t.Errorf("%d log lines over the memory budget, want %d", budgetLines(), hogs)
		}
		t.Logf("undelivered %v bytes, counted and logged", st.get("upcase_gnet_undelivered_bytes_total"))
	case "goroutine":
		// The kernel's buffers (the server's receive buffer autotunes up to
		// 32 MiB here) may take all 8 MiB; or the hog stalls.
		for i, err := range errs {
			if err != nil && !errors.Is(err, errStalled) {
				t.Errorf("hog %d: sent %d bytes, %v: want it served or stalled, not cut", i, sent[i], err)
			}
		}
		m := srv.waitMetrics(t, "the hogs' bytes in", func(m metricSet) bool { return m.get("upcase_gnet_received_bytes_total") > 0 })
		if got := m.get("upcase_gnet_connections_closed_total", "reason", "budget"); got != 0 {
			t.Errorf("%v connections closed over the budget by the engine that never buffers", got)
		}
	}
	good.Wait()
	// And once more, now that the gnet engine has cut every hog, or while
	// the goroutine engine still holds them all.
	if err := streamRoundTrip(srv.addr, 2, 4<<20); err != nil {
		t.Errorf("the well-behaved client after the hogs: %v", err)
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	srv.waitMetrics(t, "every connection closed", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == 0 && m.get("upcase_gnet_buffered_bytes") == 0
	})

	// The bound on the peak. The goroutine engine holds one read per
	// connection: the base and 16 MiB for the well-behaved clients' buffers
	// and the runtime. The gnet engine may also hold the budget for each
	// hog, and in fact holds up to three times it, so that is the bound:
	// gnet's inbound ring buffer doubles as it fills, so a hog cut just
	// past 1 MiB has grown a 2 MiB buffer (half of it written), and the
	// 1 MiB, 512 KiB, ... buffers it outgrew wait in gnet's byteslice pool
	// (a sync.Pool) until two collections have passed. Measured here, 100
	// hogs against a server alone: 205 to 230 MiB over the base at the
	// peak, about 2.2 MiB a hog, so the bound of the base plus
	// 100 x 1 MiB does not hold for the gnet engine today. (Inside this
	// test, slowed by its neighbours, the hogs peak at fewer at once.)
	limit := base.rss + 16<<20
	if engine == "gnet" {
		limit += 3 * hogs * budget
	}
	t.Logf("%s: RSS base %d MiB, peak (VmHWM) %d MiB = base + %.1f MiB a hog, bound %d MiB",
		engine, base.rss>>20, peak.hwm>>20, float64(peak.hwm-base.rss)/hogs/(1<<20), limit>>20)
	if peak.hwm > limit {
		t.Errorf("peak RSS %d MiB over the bound %d MiB (base %d MiB)", peak.hwm>>20, limit>>20, base.rss>>20)
	}
	// Near the base afterwards: the memory is garbage, not held. Go frees it
	// at a collection and gives it back to the kernel in the background,
	// but an idle server allocates nothing, so no collection comes before
	// Go's forced one, two minutes on (and pooled buffers take two): the
	// RSS stays at the peak until then. So the test asks for a collection
	// each poll, through the child's pprof endpoint.
	near := base.rss + 32<<20
	var now procMemory
	if !poll(faultBound, func() bool { srv.collect(); now = srv.memory(t); return now.rss <= near }) {
		t.Errorf("RSS %d MiB %v after the hogs left, want at most %d MiB (base %d MiB + 32 MiB)",
			now.rss>>20, faultBound, near>>20, base.rss>>20)
	}
	t.Logf("%s: RSS after %d MiB", engine, now.rss>>20)
}

// writeStalling writes n bytes of client i's stream until done, a write
// error, or no progress for stall or past until (errStalled).
func writeStalling(c net.Conn, i int, n int64, stall time.Duration, until time.Time) (int64, error) {
	s := newStream(i)
	var off int64
	for off < n {
		dl := time.Now().Add(stall)
		if until.Before(dl) {
			dl = until
		}
		c.SetWriteDeadline(dl)
		w, err := c.Write(s.next(off, int(min(64<<10, n-off))))
		off += int64(w)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && w > 0 && time.Now().Before(until):
		case errors.Is(err, os.ErrDeadlineExceeded):
			return off, fmt.Errorf("%w at offset %d", errStalled, off)
		default:
			return off, err
		}
	}
	return off, nil
}

func sum(ns []int64) (s int64) {
	for _, n := range ns {
		s += n
	}
	return s
}

// errStalled is a write that made no progress for its bound.
var errStalled = errors.New("no progress")

// readsClosed reads c until it ends, and says how: nil for an EOF or a
// reset (the server closed it), the deadline error if it is still open.
func readsClosed(c net.Conn) error {
	c.SetReadDeadline(time.Now().Add(faultBound))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return nil
}

// testStopWhileStreaming sends SIGTERM while 1,000 clients stream. Every
// byte the server read goes back before the drain timeout: each client
// gets a byte-exact uppercase prefix of what it sent, then EOF; the server
// logs undelivered=0 and exits 0; and a new server binds the same port at
// once.
func testStopWhileStreaming(t *testing.T, bin, engine string) {
	const (
		clients = 1000
		drain   = 5 * time.Second
		// Each client keeps at most this much unanswered, as a client that
		// reads while it writes does.
		window = 16 << 10
		// Each has this much back before the stop, so all are mid-stream.
		before = 4 << 10
	)
	srv := startFaultChild(t, bin, 0, "--engine", engine, "--drain-timeout", drain.String())
	streaming := make(chan struct{}, clients)
	results := make([]streamResult, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() { results[i] = windowedStream(srv.addr, i, endless, window, before, streaming) })
	}
	for range clients {
		select {
		case <-streaming:
		case <-time.After(faultBound):
			t.Fatalf("not all %d clients streaming after %v", clients, faultBound)
		}
	}

	stopped := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := srv.wait(drain + 10*time.Second)
	took := time.Since(stopped)
	if err != nil {
		t.Errorf("serve after SIGTERM: %v, want exit 0\n%s", err, srv.stderr.tail(20))
	}
	if took > drain+2*time.Second {
		t.Errorf("serve took %v to exit, drain timeout %v", took, drain)
	}
	// At once: before the TIME_WAIT of the old connections has passed.
	_, port, _ := net.SplitHostPort(srv.addr)
	again := startFaultChildPort(t, bin, port, "--engine", engine)
	if err := streamRoundTrip(again.addr, 0, 1<<16); err != nil {
		t.Errorf("the new server on the same port: %v", err)
	}

	wg.Wait()
	var received int64
	for i, r := range results {
		if r.err != nil {
			t.Errorf("client %d: %v (sent %d, received %d)", i, r.err, r.sent, r.received)
		}
		received += r.received
	}
	final := srv.stderr.lastMatch(stoppedLine)
	if final == nil {
		t.Fatalf("no final \"stopped\" log line:\n%s", srv.stderr.tail(20))
	}
	in, out, lost := final[1], final[2], final[3]
	t.Logf("%s: stopped in %v; server read %d, wrote %d, undelivered %d; clients received %d", engine, took, in, out, lost, received)
	if lost != 0 || in != out || out != received {
		t.Errorf("server read %d, wrote %d, undelivered %d; clients received %d: want every byte read written back and received",
			in, out, lost, received)
	}
}

// stoppedLine is serve's last log line; its numbers are the server's final
// Stats.
var stoppedLine = regexp.MustCompile(`msg=stopped .*bytes_in=(\d+) bytes_out=(\d+) undelivered=(\d+)`)

// streamResult is what one streaming client saw.
type streamResult struct {
	sent, received int64
	err            error
}

// endless is the length of a stream written until the connection ends.
const endless = int64(1) << 62

// windowedStream writes n bytes of client i's stream (endless: until a
// write fails), keeping at most window of them unanswered as a client that
// reads while it writes does, then shuts down its side. It checks every
// reply byte and reads until EOF, which must come: after the last reply, or
// when the server stops. Once before bytes are back it says so on
// streaming, if set. Then it closes, which ends an endless writer.
func windowedStream(addr string, i int, n, window, before int64, streaming chan<- struct{}) streamResult {
	var r streamResult
	signalled := false
	signal := func() {
		if !signalled && streaming != nil {
			signalled = true
			streaming <- struct{}{}
		}
	}
	defer signal() // a client that failed early must not hang its test
	c, err := net.DialTimeout(network(addr), addr, faultBound)
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	s := newStream(i)
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var acked int64 // replies received, as the writer sees them
	readDone := false
	type written struct {
		off int64
		err error
	}
	wdone := make(chan written, 1)
	go func() {
		var off int64
		for off < n {
			mu.Lock()
			for off-acked >= window && !readDone {
				cond.Wait()
			}
			stop := readDone
			mu.Unlock()
			if stop {
				wdone <- written{off, nil}
				return
			}
			c.SetWriteDeadline(time.Now().Add(faultBound))
			k, err := c.Write(s.next(off, int(min(16<<10, n-off, window))))
			off += int64(k)
			if err != nil {
				if n == endless {
					err = nil // the server stopped reading: by design
				}
				wdone <- written{off, err}
				return
			}
		}
		wdone <- written{off, c.(interface{ CloseWrite() error }).CloseWrite()}
	}()
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(faultBound))
		k, err := c.Read(buf)
		if cerr := s.check(r.received, buf[:k]); cerr != nil && r.err == nil {
			r.err = cerr
		}
		r.received += int64(k)
		mu.Lock()
		acked = r.received
		cond.Broadcast()
		mu.Unlock()
		if r.received >= before {
			signal()
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && r.err == nil {
				r.err = fmt.Errorf("read at offset %d: want the replies then EOF: %w", r.received, err)
			}
			break
		}
	}
	mu.Lock()
	readDone = true
	cond.Broadcast()
	mu.Unlock()
	c.Close()
	w := <-wdone
	r.sent = w.off
	if w.err != nil && r.err == nil {
		r.err = fmt.Errorf("write: %w", w.err)
	}
	if r.received > r.sent && r.err == nil {
		r.err = fmt.Errorf("received %d bytes, more than the %d sent", r.received, r.sent)
	}
	return r
}

// testFlood floods a server limited to 512 open files with 1,000
// connections while 50 clients are connected: the server stays up, keeps
// serving the 50, refuses the excess with a log line, counts it, and stays
// under its limit.
func testFlood(t *testing.T, bin, engine string) {
	const (
		nofile   = 512
		existing = 50
		flood    = 1000
	)
	// serve's default --max-conns: the limit less 128 descriptors, and on
	// the gnet engine less four for each event loop (one per CPU) and one
	// loop more.
	maxConns := nofile - 128
	if engine == "gnet" {
		maxConns -= 4 * (runtime.NumCPU() + 1)
	}
	srv := startFaultChild(t, bin, nofile, "--engine", engine)
	held := connectPinging(t, srv.addr, existing)
	flooded, failed := dialMany(t, srv.addr, flood)
	if failed > 0 {
		t.Errorf("%d of %d flood dials failed: the kernel completes them whatever the server does", failed, flood)
	}
	// The excess is closed at once, with no reply.
	m := srv.waitMetrics(t, "the excess refused", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_refused_total", "reason", "max_conns") == float64(existing+flood-maxConns)
	})
	if got := m.get("upcase_gnet_connections_open"); got != float64(maxConns) {
		t.Errorf("%v connections open, want %d (max-conns)", got, maxConns)
	}
	if fds := srv.openFiles(t); fds >= nofile {
		t.Errorf("the server holds %d descriptors, at its limit %d", fds, nofile)
	}
	if !strings.Contains(srv.stderr.String(), "connection refused: max-conns open") {
		t.Errorf("no log line for the refused connections:\n%s", srv.stderr.tail(10))
	}
	pingAll(t, held, "after the flood")
	for _, c := range flooded {
		c.Close()
	}
	srv.waitMetrics(t, "the flood gone", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == existing
	})
	if err := streamRoundTrip(srv.addr, 3, 1<<20); err != nil {
		t.Errorf("a new client after the flood: %v", err)
	}
}

// testFloodOverLimit is the flood against a server misconfigured with
// --max-conns above its open-file limit, so that accept itself fails for
// want of descriptors: the server stays up, logs and counts the failures,
// keeps serving the clients it has, and accepts again once the flood
// leaves.
//
// The gnet engine cannot meet EMFILE: gnet v2.9.7 shuts its engine down
// when accept fails with it (acceptor_unix.go returns ErrAcceptSocket). So
// it lowers --max-conns to what the limit allows, and the same flood is
// refused and counted instead. (serve also exits non-zero should an engine
// stop by itself.)
func testFloodOverLimit(t *testing.T, bin, engine string) {
	const (
		nofile   = 512
		existing = 50
		flood    = 1000
	)
	srv := startFaultChild(t, bin, nofile, "--engine", engine, "--max-conns", "1000")
	held := connectPinging(t, srv.addr, existing)
	// The kernel completes the connections the server cannot accept, up to
	// its backlog: the dials succeed.
	flooded, _ := dialMany(t, srv.addr, flood)
	// The goroutine engine meets EMFILE at accept, backs off and counts it.
	// The gnet engine would die of it (gnet shuts its engine down), so it
	// lowers --max-conns to the limit at start, says so, and refuses the
	// excess instead.
	want := "too many open files"
	if engine == "gnet" {
		want = "lowered"
	}
	if !poll(faultBound, func() bool { return strings.Contains(srv.stderr.String(), want) }) {
		t.Fatalf("stderr never said %q:\n%s", want, srv.stderr.tail(10))
	}

	pingAll(t, held, "during the flood")
	for _, c := range flooded {
		c.Close()
	}
	if err := streamRoundTrip(srv.addr, 4, 1<<20); err != nil {
		t.Errorf("a new client after the flood: %v\n%s", err, srv.stderr.tail(10))
	}
	// Scraped only now: the metrics endpoint shares the process's
	// descriptors, so it cannot accept either while they are all taken.
	srv.waitMetrics(t, "the flood gone and the excess counted", func(m metricSet) bool {
		counted := m.get("upcase_gnet_accept_errors_total")
		if engine == "gnet" {
			counted = m.get("upcase_gnet_connections_refused_total", "reason", "max_conns")
		}
		return m.get("upcase_gnet_connections_open") == existing && counted > 0
	})
}

// network is the network of an address serve printed: a path is a unix
// socket.
func network(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return "unix"
	}
	return "tcp"
}

// connectPinging opens n connections to addr, each served one message,
// closed when the test ends.
func connectPinging(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout(network(addr), addr, faultBound)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	pingAll(t, conns, "")
	return conns
}

// pingAll has each of conns served one message.
func pingAll(t *testing.T, conns []net.Conn, when string) {
	t.Helper()
	for i, c := range conns {
		if err := pingConn(c, i); err != nil {
			t.Errorf("client %d of %d %s: %v", i, len(conns), when, err)
		}
	}
}

// dialMany opens n connections to addr, at most 100 dials in flight,
// closed when the test ends if not before.
func dialMany(t *testing.T, addr string, n int) (conns []net.Conn, failed int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 100)
	for range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			c, err := net.DialTimeout(network(addr), addr, faultBound)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			conns = append(conns, c)
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns, failed
}

// FuzzServeFlags runs the real serve command, with its real flags, on
// fuzzed durations and engine names, with a context already cancelled, so
// that an accepted command line starts a server on a free port and stops
// it at once. A command line is accepted exactly when every value is valid
// (durations as Go writes them, the timeouts not negative, the drain
// positive, a known engine); a rejected one is one line of error, no panic.
func FuzzServeFlags(f *testing.F) {
	for _, seed := range []struct{ idle, write, drain, engine string }{
		{"0", "0", "5s", "gnet"},
		{"30s", "1m", "100ms", "goroutine"},
		{"-1s", "0", "5s", "gnet"},
		{"0", "0", "0", "gnet"},
		{"1h", "2h45m", "1.5s", "goroutine"},
		{"5", "0", "5s", "gnet"},
		{"1e3s", "0", "5s", "gnet"},
		{"0", "0", "5s", "epoll"},
		{"9999999999h", "0", "5s", "gnet"},
		{"", "0", "5s", ""},
	} {
		f.Add(seed.idle, seed.write, seed.drain, seed.engine)
	}
	f.Fuzz(func(t *testing.T, idle, write, drain, engine string) {
		dur := func(s string) (time.Duration, bool) {
			d, err := time.ParseDuration(s)
			return d, err == nil
		}
		i, iok := dur(idle)
		w, wok := dur(write)
		d, dok := dur(drain)
		valid := iok && wok && dok && i >= 0 && w >= 0 && d > 0 && (engine == "gnet" || engine == "goroutine")

		cmd := serveCommand()
		cmd.OnUsageError = oneLineUsageError
		var out bytes.Buffer
		app := &cli.App{
			Name:           "upcase-gnet",
			Commands:       []*cli.Command{cmd},
			Writer:         &out,
			ErrWriter:      &out,
			ExitErrHandler: func(*cli.Context, error) {},
			OnUsageError:   oneLineUsageError,
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := app.RunContext(ctx, []string{"upcase-gnet", "serve", "--host", "127.0.0.1", "--port", "0", "--quiet",
			"--log-level", "error", "--idle-timeout", idle, "--write-timeout", write, "--drain-timeout", drain, "--engine", engine})
		switch {
		case valid && err != nil:
			t.Fatalf("serve --idle-timeout %q --write-timeout %q --drain-timeout %q --engine %q: %v; want it accepted", idle, write, drain, engine, err)
		case !valid && err == nil:
			t.Fatalf("serve --idle-timeout %q --write-timeout %q --drain-timeout %q --engine %q accepted; want an error", idle, write, drain, engine)
		case err != nil && strings.Contains(strings.TrimRight(err.Error(), "\n"), "\n"):
			t.Fatalf("error %q: want one line", err)
		case valid && !strings.HasPrefix(out.String(), "Listening at 127.0.0.1:"):
			t.Fatalf("accepted, but printed %q", out.String())
		}
	})
}

// FuzzNewLogger: --log-format and --log-level are accepted exactly when
// the format is text or json and the level is one slog reads; a rejected
// one is one line of error. An accepted logger writes each record as one
// line whatever its message and values hold (a remote address or an error
// text cannot forge a log line), at its level and above only.
func FuzzNewLogger(f *testing.F) {
	for _, seed := range [][4]string{
		{"text", "info", "hello", "127.0.0.1:1060"},
		{"json", "debug", "two\nlines", "x\"y"},
		{"text", "WARN", "", "\r\n"},
		{"json", "error+2", "msg", "\x00\xff"},
		{"yaml", "info", "m", "v"},
		{"text", "loud", "m", "v"},
		{"TEXT", "info", "m", "v"},
		{"text", "info-4", "m", "a=b c=d\nlevel=ERROR msg=forged"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, format, level, msg, value string) {
		var lv slog.Level
		valid := (format == "text" || format == "json") && lv.UnmarshalText([]byte(level)) == nil
		var out bytes.Buffer
		logger, err := newLogger(&out, format, level)
		switch {
		case valid && err != nil:
			t.Fatalf("newLogger(%q, %q): %v; want it accepted", format, level, err)
		case !valid && err == nil:
			t.Fatalf("newLogger(%q, %q) accepted; want an error", format, level)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Fatalf("newLogger(%q, %q) error %q: want one line", format, level, err)
		case err != nil:
			return
		}
		want := 0
		for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			logger.Log(context.Background(), l, msg, "remote", value, "err", errors.New(value))
			if l >= lv {
				want++
			}
		}
		if got := strings.Count(out.String(), "\n"); got != want {
			t.Fatalf("format %q level %q: %d lines for %d records at or above the level:\n%s", format, level, got, want, out.String())
		}
	})
}

// stream is client i's endless byte stream: a block of its own, not a power
// of two long, with letters and other bytes, so that a crossed, shifted or
// wrongly cased reply shows.
type stream struct{ block, upper []byte }

func newStream(i int) stream {
	block := fmt.Appendf(nil, "client %04d: capitalize this! \x00\xe9\xff ", i)
	return stream{block: block, upper: codec.Upper(bytes.Clone(block))}
}

// next returns at most max bytes of the stream from offset off.
func (s stream) next(off int64, max int) []byte {
	var b []byte
	for len(b) < max {
		i := int(off % int64(len(s.block)))
		n := min(len(s.block)-i, max-len(b))
		b = append(b, s.block[i:i+n]...)
		off += int64(n)
	}
	return b
}

// check verifies that got is the reply expected at offset off.
func (s stream) check(off int64, got []byte) error {
	for j, b := range got {
		if want := s.upper[(off+int64(j))%int64(len(s.upper))]; b != want {
			return fmt.Errorf("wrong byte at offset %d: got %#02x, want %#02x", off+int64(j), b, want)
		}
	}
	return nil
}

// streamRoundTrip is a well-behaved client: it sends n bytes of client
// i's stream, at most 256 KiB of them unanswered, reading the replies as
// it goes, shuts down its side, and checks every byte and the EOF.
func streamRoundTrip(addr string, i int, n int64) error {
	r := windowedStream(addr, i, n, 256<<10, 0, nil)
	if r.err == nil && r.received != n {
		r.err = fmt.Errorf("EOF after %d bytes back of %d sent", r.received, n)
	}
	return r.err
}

// pingConn writes one message for client i and reads exactly its reply.
func pingConn(c net.Conn, i int) error {
	msg := newStream(i).next(0, 32)
	c.SetDeadline(time.Now().Add(faultBound))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	return newStream(i).check(0, got)
}

// faultChild is a running `upcase-gnet serve --quiet` child with its
// metrics endpoint on a free port.
type faultChild struct {
	cmd     *exec.Cmd
	addr    string
	metrics string
	stderr  *lineLog
	done    chan struct{}
	err     error
}

// startFaultChild runs bin's serve on a free port, under an open-file limit
// of nofile when it is above 0, and waits for its address. It is killed at
// the end of the test if it is still running.
func startFaultChild(t *testing.T, bin string, nofile int, args ...string) *faultChild {
	t.Helper()
	return startFaultChildAt(t, bin, nofile, "0", args...)
}

// startFaultChildPort runs bin's serve on the given port.
func startFaultChildPort(t *testing.T, bin, port string, args ...string) *faultChild {
	t.Helper()
	return startFaultChildAt(t, bin, 0, port, args...)
}

func startFaultChildAt(t *testing.T, bin string, nofile int, port string, args ...string) *faultChild {
	t.Helper()
	args = append([]string{"serve", "--port", port, "--quiet", "--metrics-addr", "127.0.0.1:0"}, args...)
	var cmd *exec.Cmd
	if nofile > 0 {
		// A child may be given a lower limit than this process's: the
		// shell lowers its own, then becomes the server.
		cmd = exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, nofile), bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &faultChild{cmd: cmd, stderr: new(lineLog), done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	lines := bufio.NewScanner(stdout)
	for p.addr == "" || p.metrics == "" {
		if !lines.Scan() {
			go func() { p.err = cmd.Wait(); close(p.done) }()
			<-p.done
			t.Fatalf("serve %s: %v; stderr:\n%s", strings.Join(args, " "), p.err, p.stderr.tail(10))
		}
		if a, ok := strings.CutPrefix(lines.Text(), "Listening at "); ok {
			p.addr = a
		}
		if m, ok := strings.CutPrefix(lines.Text(), "Metrics at "); ok {
			p.metrics = m
		}
	}
	go func() {
		io.Copy(io.Discard, stdout) // the summary lines
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// wait waits at most limit for the child to exit and returns how it ended.
func (p *faultChild) wait(limit time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		return fmt.Errorf("still running %v later", limit)
	}
}

// procMemory is a process's resident memory now and at its peak, in bytes.
type procMemory struct{ rss, hwm int64 }

// memory reads the child's VmRSS and VmHWM.
func (p *faultChild) memory(t *testing.T) procMemory {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var m procMemory
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = kb << 10
		case "VmHWM:":
			m.hwm = kb << 10
		}
	}
	return m
}

// openFiles counts the child's open descriptors.
func (p *faultChild) openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// metricSet is one scrape: each sample's value by its name and labels as
// the text format writes them.
type metricSet map[string]float64

// get returns the sample of name with the given label pairs, or of name
// alone with its one label engine; absent samples are -1.
func (m metricSet) get(name string, labelPairs ...string) float64 {
	for k, v := range m {
		n, labels, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			if !strings.Contains(labels, fmt.Sprintf("%s=%q", labelPairs[i], labelPairs[i+1])) {
				match = false
			}
		}
		if match {
			return v
		}
	}
	return -1
}

// get fetches path from the child's metrics endpoint with a bare HTTP/1.0
// request (no client connection pool left behind) and returns the body.
func (p *faultChild) get(path string) ([]byte, error) {
	c, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(p.metrics, "http://"), "/metrics"), faultBound)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(faultBound))
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nAccept: text/plain\r\n\r\n", path)
	resp, err := io.ReadAll(c)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(resp, []byte("HTTP/1.0 200 ")) {
		return nil, fmt.Errorf("GET %s: %q", path, resp[:min(len(resp), 40)])
	}
	_, body, _ := bytes.Cut(resp, []byte("\r\n\r\n"))
	return body, nil
}

// scrape fetches the child's metrics in the text format.
func (p *faultChild) scrape() (metricSet, error) {
	body, err := p.get("/metrics")
	if err != nil {
		return nil, err
	}
	m := metricSet{}
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[i+1:]), 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, nil
}

// collect asks the child for a garbage collection: its pprof endpoint
// collects before it writes a heap profile.
func (p *faultChild) collect() {
	_, _ = p.get("/debug/pprof/heap?gc=1")
}

// waitMetrics scrapes until cond holds, for at most faultBound.
func (p *faultChild) waitMetrics(t *testing.T, what string, cond func(metricSet) bool) metricSet {
	t.Helper()
	var m metricSet
	var err error
	if !poll(faultBound, func() bool { m, err = p.scrape(); return err == nil && cond(m) }) {
		t.Fatalf("waiting %v for %s: last scrape %v, %v\n%s\nsockets on its port:\n%s", faultBound, what, m.summary(), err, p.stderr.tail(10), p.sockets())
	}
	return m
}

// sockets lists, for a failure message, the TCP sockets of both ends on
// the child's port that hold queued bytes or are not established (ss -tnoi):
// whether a stuck connection's bytes wait unread in the server's socket
// (Recv-Q), unsent in the client's, or nowhere.
func (p *faultChild) sockets() string {
	_, port, _ := net.SplitHostPort(p.addr)
	out, err := exec.Command("ss", "-tnoi", "-H", "state", "all", "( sport = :"+port+" or dport = :"+port+" )").CombinedOutput()
	if err != nil {
		return err.Error()
	}
	var keep []string
	states := map[string]int{}
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) < 5 || strings.HasPrefix(lines[i], "\t") || strings.HasPrefix(lines[i], " ") {
			continue
		}
		states[f[0]]++
		info := ""
		if i+1 < len(lines) && (strings.HasPrefix(lines[i+1], "\t") || strings.HasPrefix(lines[i+1], " ")) {
			info = strings.TrimSpace(lines[i+1])
		}
		if (f[1] != "0" || f[2] != "0" || (f[0] != "ESTAB" && f[0] != "LISTEN" && f[0] != "TIME-WAIT")) && len(keep) < 80 {
			keep = append(keep, lines[i]+" | "+info)
		}
	}
	return fmt.Sprintf("states %v\n%s", states, strings.Join(keep, "\n"))
}

// summary is the upcase_gnet samples of a scrape, for a failure message.
func (m metricSet) summary() string {
	var s []string
	for k, v := range m {
		if strings.HasPrefix(k, "upcase_gnet_") && v != 0 {
			s = append(s, fmt.Sprintf("%s=%v", strings.TrimPrefix(k, "upcase_gnet_"), v))
		}
	}
	return strings.Join(s, " ")
}

// poll calls cond every 10ms until it holds or bound has passed, and says
// whether it held.
func poll(bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// lineLog collects a child's stderr safely.
type lineLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the last n lines, for a failure message.
func (l *lineLog) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// lastMatch parses the numbers of the last line matching re.
func (l *lineLog) lastMatch(re *regexp.Regexp) []int64 {
	all := re.FindAllStringSubmatch(l.String(), -1)
	if len(all) == 0 {
		return nil
	}
	var nums []int64
	for _, s := range all[len(all)-1] {
		n, _ := strconv.ParseInt(s, 10, 64)
		nums = append(nums, n)
	}
	return nums
}
