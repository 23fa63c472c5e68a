package server

// Behaviour of the goroutine engine alone: its timeouts act on a write that
// blocks, which only an engine that blocks has, and its accept loop is its
// own.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/floor"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// deadlock drives conn into the original's deadlock: the sequential client
// writes until nothing moves for 2s, which leaves the goroutine engine
// blocked writing one read back.
func deadlock(t *testing.T, conn net.Conn) {
	t.Helper()
	tr, err := sequential(conn, randomPayload(64<<20), 64<<10, 2*time.Second)
	if !errors.Is(err, errStalled) {
		t.Fatalf("sequential client: got %v after sending %d bytes, want it stalled", err, tr.sent)
	}
}

// TestGoroutineWriteTimeout: with WriteTimeout, a client that does not read
// its replies is closed once a write has blocked that long, with a log line
// that names the deadlock, while a client that reads is untouched. The
// timeout is long beside the reader's pace: a reader kept off a loaded
// machine's CPU for 300ms, its replies filling the socket meanwhile, was
// rightly closed when the timeout was 300ms.
func TestGoroutineWriteTimeout(t *testing.T) {
	t.Parallel()
	runAlone(t) // a starved duplex reader would look like a deadlock
	logger, logs := testkit.NewLogger(t)
	srv, _ := startServer(t, engine.Goroutine, Config{WriteTimeout: time.Second, Logger: logger})

	roundTrip(t, dial(t, srv), randomPayload(4<<20), 64<<10)

	// The server closes with input unread, so the kernel resets the
	// connection and the client's write fails instead of stalling.
	_, err := writeAll(dial(t, srv), randomPayload(64<<20), 0, 64<<10, stallTimeout)
	if err == nil || errors.Is(err, errStalled) {
		t.Fatalf("a client that never reads: got %v, want its connection reset by the write timeout", err)
	}
	st := settled(t, srv)
	if st.Closed[ClosedError] != 1 || st.Closed[ClosedPeer] != 1 {
		t.Errorf("Closed[error] %d, Closed[peer] %d, want 1 each", st.Closed[ClosedError], st.Closed[ClosedPeer])
	}
	if readSize := uint64(srv.Config().ReadSize); st.Undelivered == 0 || st.Undelivered > readSize {
		t.Errorf("Undelivered = %d, want 1 to %d: the one read the blocked write held", st.Undelivered, readSize)
	}
	if !strings.Contains(logs.String(), "deadlock") {
		t.Errorf("no log line names the deadlock:\n%s", logs.String())
	}
}

// TestGoroutineIdleBlockedWrite: a write that moves nothing is no traffic,
// so IdleTimeout also ends the deadlock, as an idle close.
func TestGoroutineIdleBlockedWrite(t *testing.T) {
	t.Parallel()
	runShared(t)
	srv, _ := startServer(t, engine.Goroutine, Config{IdleTimeout: 500 * time.Millisecond})
	_, err := writeAll(dial(t, srv), randomPayload(64<<20), 0, 64<<10, stallTimeout)
	if err == nil || errors.Is(err, errStalled) {
		t.Fatalf("a client that never reads: got %v, want its connection reset by the idle timeout", err)
	}
	st := settled(t, srv)
	if st.Closed[ClosedIdle] != 1 || st.Undelivered == 0 {
		t.Errorf("Closed[idle] %d, Undelivered %d, want 1 and more than 0", st.Closed[ClosedIdle], st.Undelivered)
	}
}

// TestGoroutineStopDuringDeadlock: a stop frees the address at once, even
// while a deadlocked connection holds the drain, and the drain deadline
// ends that connection, its held read counted as undelivered.
func TestGoroutineStopDuringDeadlock(t *testing.T) {
	t.Parallel()
	runShared(t)
	const drain = 1500 * time.Millisecond
	srv, cancel := startServer(t, engine.Goroutine, Config{DrainTimeout: drain})
	deadlock(t, dial(t, srv))

	stopped := time.Now()
	cancel()
	// The listener closes as the stop begins; polling covers only the
	// instant until the stopping goroutine runs.
	var again *Server
	for again == nil {
		var err error
		again, err = Start(t.Context(), Config{Engine: engine.Goroutine, Address: srv.Addr().String()})
		if err != nil && time.Since(stopped) > drain/2 {
			t.Fatalf("address still bound %v after the stop: %v", time.Since(stopped), err)
		}
	}
	select {
	case <-srv.Done():
		t.Fatalf("the drain ended before its deadline, so the test proves nothing about binding during it")
	default:
	}
	t.Cleanup(func() { <-again.Done() })
	roundTrip(t, dial(t, again), randomPayload(1<<16), 4096)

	select {
	case <-srv.Done():
	case <-time.After(drain + time.Second):
		t.Fatalf("server still draining %v after the stop", drain+time.Second)
	}
	if took := time.Since(stopped); took < drain {
		t.Errorf("stop took %v, less than the drain timeout %v, with a write still blocked", took, drain)
	}
	st := srv.Stats()
	if readSize := uint64(srv.Config().ReadSize); st.Closed[ClosedDrain] != 1 || st.Undelivered == 0 || st.Undelivered > readSize {
		t.Errorf("Closed[drain] %d, Undelivered %d, want 1 and 1 to %d", st.Closed[ClosedDrain], st.Undelivered, readSize)
	}
}

// TestGoroutineMaxConnsFlood: a flood far past a tiny MaxConns is refused
// and counted, and the server goes on serving.
func TestGoroutineMaxConnsFlood(t *testing.T) {
	t.Parallel()
	runShared(t)
	const flood = 300
	srv, _ := startServer(t, engine.Goroutine, Config{MaxConns: 1})
	held := dial(t, srv)
	if err := ping(held, []byte("first")); err != nil {
		t.Fatal(err)
	}
	for range flood {
		c := dial(t, srv)
		c.SetReadDeadline(time.Now().Add(stallTimeout))
		if n, err := io.Copy(io.Discard, c); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection past MaxConns: read %d bytes, %v; want it closed", n, err)
		}
		c.Close()
	}
	waitStats(t, srv, "every refusal counted", func(s Stats) bool { return s.Refused == flood })
	if err := ping(held, []byte("still served")); err != nil {
		t.Fatal(err)
	}
	held.Close()
	settled(t, srv)
	roundTrip(t, dial(t, srv), randomPayload(1<<16), 4096)
}

// failingListener fails its first failures accepts as a process out of
// descriptors does.
type failingListener struct {
	net.Listener
	failures atomic.Int64
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestGoroutineAcceptBackoff: failing accepts pause the accept loop, logged
// at most once a second, and never end it.
func TestGoroutineAcceptBackoff(t *testing.T) {
	t.Parallel()
	runShared(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.failures.Store(7)
	logger, logs := testkit.NewLogger(t)
	cfg, err := Config{Engine: engine.Goroutine, Logger: logger}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	st := newCounters(engine.Goroutine)
	ctx, cancel := context.WithCancel(context.Background())
	started := time.Now()
	e := serveGoroutine(ctx, &cfg, st, fl)
	defer func() {
		cancel()
		if err := e.wait(); err != nil {
			t.Error(err)
		}
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	roundTrip(t, conn, randomPayload(1<<16), 4096)
	elapsed := time.Since(started)

	if left := fl.failures.Load(); left >= 0 {
		t.Fatalf("served before the failing accepts were used up (%d left)", left+1)
	}
	lines := strings.Count(logs.String(), "accept failed")
	if most := 1 + int(elapsed/acceptLogEvery); lines < 1 || lines > most {
		t.Errorf("%d accept-failure log lines in %v, want 1 to %d:\n%s", lines, elapsed, most, logs.String())
	}
}

// emfileChildEnv makes the test binary, run again, the server of
// TestGoroutineEMFILE.
const emfileChildEnv = "UPCASE_GNET_EMFILE_CHILD"

// TestGoroutineEMFILE: a server process with few descriptors left, flooded
// past them, keeps serving: accept fails with EMFILE, the engine backs off,
// and once clients leave it serves again. The server runs in a child
// process because the limit it lowers is per process.
func TestGoroutineEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileServer(t)
		return
	}
	t.Parallel()
	runShared(t)
	var logs testkit.Log
	child := testkit.StartChild(t, "^TestGoroutineEMFILE$", emfileChildEnv+"=1")
	cmd, stdin, stdout, stderr := child.Cmd, child.Stdin, child.Stdout, child.Stderr
	exited := make(chan error, 1)
	t.Cleanup(func() {
		stdin.Close()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server process: %v\n%s", err, logs.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("server process did not stop when told\n%s", logs.String())
		}
	})
	// The server's log, kept for failures; emfile is closed at its first
	// accept that failed for want of descriptors.
	emfile := make(chan struct{})
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		var once bool
		for lines := bufio.NewScanner(stderr); lines.Scan(); {
			fmt.Fprintln(&logs, lines.Text())
			if !once && strings.Contains(lines.Text(), "too many open files") {
				once = true
				close(emfile)
			}
		}
	}()
	lines := bufio.NewScanner(stdout)
	var addr string
	for addr == "" && lines.Scan() {
		addr, _ = strings.CutPrefix(lines.Text(), "listening ")
	}
	go func() {
		io.Copy(io.Discard, stdout)
		<-logged // Wait closes the pipes: read them out first
		exited <- cmd.Wait()
	}()
	if addr == "" {
		t.Fatalf("the server process printed no address\n%s", logs.String())
	}

	// The kernel completes connections the server cannot accept, so every
	// dial succeeds; the accepts past the limit fail.
	var held []net.Conn
	for range 100 {
		c, err := net.DialTimeout("tcp", addr, stallTimeout)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	select {
	case <-emfile:
	case <-time.After(stallTimeout):
		t.Fatalf("no accept failed for want of descriptors\n%s", logs.String())
	}
	for _, c := range held {
		c.Close()
	}
	c, err := net.DialTimeout("tcp", addr, stallTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, randomPayload(1<<16), 4096)
}

// emfileServer is the child of TestGoroutineEMFILE: a goroutine engine in a
// process that may open only a few more descriptors, serving until its
// standard input closes.
func emfileServer(t *testing.T) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("needs /proc/self/fd:", err)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	// Room for the listener, the poller and a handful of connections.
	setLimit(&rl.Cur, len(fds)+24)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, Config{
		Engine:       engine.Goroutine,
		Address:      "127.0.0.1:0",
		MaxConns:     1000, // above the descriptors, so that accept fails first
		DrainTimeout: time.Second,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s\n", srv.Addr())
	io.Copy(io.Discard, os.Stdin)
	cancel()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}

// setLimit sets a field of syscall.Rlimit, a uint64 on Linux and an int64
// on FreeBSD.
func setLimit[T int64 | uint64](field *T, n int) { *field = T(n) }

const idleStackChildEnv = "UPCASE_GNET_IDLE_STACK_CHILD"

// TestGoroutineIdleStack: a connection of the goroutine engine that has
// echoed and waits for more holds no more stack than a bare goroutine echo's
// (net.Listen, a goroutine a connection, Read, uppercase, Write): its
// goroutine's stack has not grown past the 2 KiB it starts with, with
// timeouts, hooks and debug logging on. A stack that grows once stays grown
// (see goroutineConn.serve), so this is most of what an idle connection
// costs. It is measured in a child process, where nothing else starts
// goroutines.
func TestGoroutineIdleStack(t *testing.T) {
	if os.Getenv(idleStackChildEnv) == "1" {
		idleStackChild(t)
		return
	}
	if raceDetector() {
		t.Skip("the race detector keeps twice the stack free in every frame")
	}
	t.Parallel()
	runShared(t)
	child := testkit.StartChild(t, "^TestGoroutineIdleStack$", idleStackChildEnv+"=1")
	child.Stdin.Close()
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		io.Copy(&out, child.Stderr)
		close(done)
	}()
	stdout, _ := io.ReadAll(child.Stdout)
	<-done
	if err := child.Cmd.Wait(); err != nil {
		t.Fatalf("measuring process: %v\n%s%s", err, stdout, out.String())
	}
	t.Logf("%s", stdout)
}

// raceDetector reports whether the race detector is on.
func raceDetector() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// idleStackChild is the child of TestGoroutineIdleStack.
func idleStackChild(t *testing.T) {
	const conns = 1000 // StackInuse moves by 32 KiB spans: 33 B a connection
	// stackPerConn is the stack that conns connections to addr hold once
	// each has had one round trip. They stay open, and every server
	// serving, until the end: a goroutine that ends leaves its stack to
	// the next one.
	stackPerConn := func(t *testing.T, addr string) int64 {
		t.Helper()
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		before := m.StackInuse
		reply := make([]byte, 5)
		for range conns {
			c, err := net.DialTimeout("tcp", addr, stallTimeout)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.SetDeadline(time.Now().Add(stallTimeout))
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "HELLO" {
				t.Fatalf("reply %q, %v", reply, err)
			}
		}
		// Until the stacks stop changing: each goroutine back in its read,
		// what the collector shrinks shrunk.
		var last uint64
		testkit.Poll(5*time.Second, func() bool {
			runtime.GC()
			runtime.ReadMemStats(&m)
			settled := m.StackInuse == last
			last = m.StackInuse
			return settled
		})
		return (int64(m.StackInuse) - int64(before)) / conns
	}

	echo, err := floor.StartGoroutine(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { echo.Close() })
	bare := stackPerConn(t, echo.Addr().String())

	discard := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"defaults", Config{}},
		{"timeouts", Config{IdleTimeout: time.Hour, WriteTimeout: time.Hour}},
		// Hooks like the command's original output (Progress may grow a
		// stack as any code between reads can; the command's does not).
		{"hooks and debug log", Config{Logger: discard, Hooks: Hooks{
			Open: func(remote net.Addr) { fmt.Fprintf(io.Discard, "from %s\n", remote) },
			Progress: func(remote net.Addr, n int64) {
				_ = remote.String()
				fmt.Fprintf(io.Discard, "\r%d bytes processed so far", n)
			},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cfg := tc.cfg
			cfg.Engine, cfg.Address, cfg.DrainTimeout = engine.Goroutine, "127.0.0.1:0", time.Second
			srv, err := Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cancel()
				srv.Wait()
				accounted(t, srv.Stats())
			})
			got := stackPerConn(t, srv.Addr().String())
			fmt.Printf("%s: stack a connection %d B, bare goroutine echo %d B\n", tc.name, got, bare)
			if got > bare+bare/8 {
				t.Errorf("%s: %d B of stack a connection, above the bare goroutine echo's %d B: a stack grew", tc.name, got, bare)
			}
		})
	}
}
