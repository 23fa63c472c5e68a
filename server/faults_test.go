package server_test

// The in-process half of the fault suite: clients that misbehave on
// purpose, and what a user of the server cares about afterwards: it keeps
// serving, nothing is lost that should not be, and what the clients took
// comes back. The faults that need a process of their own (memory, signals,
// the open-file limit) are in cmd/upcase-gnet/faults_test.go.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/servertest"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// faultEngines are the engines every fault runs against.
var faultEngines = []engine.Name{engine.Gnet, engine.Goroutine}

// faultBound bounds every wait of this suite: a server that does not come
// back fails the test instead of hanging it.
const faultBound = 20 * time.Second

// TestFaultResetStorm: 1,000 clients reset their connections mid-stream
// (SO_LINGER 0, then close) with data in flight both ways. The server keeps
// serving a well-behaved client, accounts for every byte, and gives back
// every descriptor and goroutine the storm took: while it runs, and after
// it has stopped (goleak).
//
// It runs serially, not in parallel with the rest of the package, because
// it counts the process's descriptors and goroutines.
func TestFaultResetStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	for _, e := range faultEngines {
		t.Run(string(e), func(t *testing.T) { testResetStorm(t, e) })
	}
}

func testResetStorm(t *testing.T, e engine.Name) {
	const (
		clients = 1000
		sent    = 32 << 10 // each client's stream before the reset
		dialers = 100      // dials in flight at once, below the listen backlog
	)
	leaks := goleak.IgnoreCurrent()
	fdsBefore := openFiles(t)
	srv := servertest.Start(t, server.Config{Engine: e})
	// The serving baseline is taken once every event loop has served a
	// connection: the gnet engine starts a loop's sweeper at its first.
	for range 20 {
		if err := duplexRoundTrip(srv.Addr().String(), 100); err != nil {
			t.Fatal(err)
		}
	}
	srv.WaitStats(t, faultBound, "the warm-up connections to finish", func(s server.Stats) bool { return s.Open == 0 })
	fdsServing, goroutinesServing := openFiles(t), runtime.NumGoroutine()

	msg := bytes.Repeat([]byte("reset me midway!"), sent/16)
	slots := make(chan struct{}, dialers)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := resetMidStream(srv.Addr().String(), msg); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	// A well-behaved client in the middle of the storm is served in full.
	if err := duplexRoundTrip(srv.Addr().String(), 1<<20); err != nil {
		t.Errorf("the client beside the storm: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	st := srv.WaitStats(t, faultBound, "every connection to finish", func(s server.Stats) bool { return s.Open == 0 })
	t.Logf("after the storm: %d accepted, closed %v, %d bytes in, %d out, %d undelivered (each loss logged)",
		st.Accepted, st.Closed, st.BytesIn, st.BytesOut, st.Undelivered)
	if got, want := st.Accepted, uint64(clients+21); got != want {
		t.Errorf("Accepted = %d, want %d", got, want)
	}
	// Every reset is closed as an error, on both engines. (gnet v2.9.7
	// reports an error event without readable data to OnClose as io.EOF;
	// the gnet engine tells a reset from a clean EOF by SO_ERROR.)
	if resets := st.Closed[server.ClosedError]; resets != clients {
		t.Errorf("Closed[error] %d, Closed[peer] %d, want %d and 21: %+v", resets, st.Closed[server.ClosedPeer], clients, st)
	}
	if st.Buffered != 0 || st.BytesIn != st.BytesOut+st.Undelivered {
		t.Errorf("Buffered %d, BytesIn %d, BytesOut %d, Undelivered %d: want nothing held and every byte read sent or counted lost",
			st.Buffered, st.BytesIn, st.BytesOut, st.Undelivered)
	}
	testkit.WaitFor(t, faultBound, "descriptors back to the serving baseline", func() string {
		if n := openFiles(t); n != fdsServing {
			return fmt.Sprintf("%d open, %d before the storm: %s", n, fdsServing, describeFiles())
		}
		return ""
	})
	testkit.WaitFor(t, faultBound, "goroutines back to the serving baseline", func() string {
		if n := runtime.NumGoroutine(); n > goroutinesServing {
			return fmt.Sprintf("%d goroutines, %d before the storm", n, goroutinesServing)
		}
		return ""
	})

	srv.Stop()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	// Polled rather than goleak.VerifyNone: gnet's Engine.Stop, which the
	// gnet engine runs in the background, polls every 500ms for the end of
	// gnet.Run and so may outlive Wait by that much, longer than goleak's
	// own retries (about 430ms).
	testkit.WaitFor(t, faultBound, "no goroutine left after Wait", func() string {
		if err := goleak.Find(leaks); err != nil {
			return err.Error()
		}
		return ""
	})
	testkit.WaitFor(t, faultBound, "descriptors back to the baseline before the server", func() string {
		if n := openFiles(t); n != fdsBefore {
			return fmt.Sprintf("%d open, %d before the server started", n, fdsBefore)
		}
		return ""
	})
}

// resetMidStream sends msg, reads the first reply to prove the stream is
// under way (the rest still in flight both ways), and resets.
func resetMidStream(addr string, msg []byte) error {
	c, err := net.DialTimeout("tcp", addr, faultBound)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(faultBound))
	for off := 0; off < len(msg); off += 4096 {
		if _, err := c.Write(msg[off : off+4096]); err != nil {
			return err
		}
	}
	got := make([]byte, 1024)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("first reply: %w", err)
	}
	if want := codec.Upper(bytes.Clone(msg[:len(got)])); !bytes.Equal(got, want) {
		return fmt.Errorf("first reply %q, want %q", got[:32], want[:32])
	}
	return testkit.Reset(c)
}

// TestFaultIdleClients: 200 clients that connect and send nothing are cut
// at the idle timeout, no sooner, while a client beside them that talks
// every 100ms is never cut.
func TestFaultIdleClients(t *testing.T) {
	t.Parallel()
	for _, e := range faultEngines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			testIdleClients(t, e)
		})
	}
}

func testIdleClients(t *testing.T, e engine.Name) {
	const (
		silent = 200
		// Long against the scheduling delays of a race-enabled test run on
		// two shared cores, where other tests run beside this one.
		idle = 2 * time.Second
		// How late a cut may come: the gnet engine sweeps every idle/4.
		late = idle/4 + 5*time.Second
	)
	srv := servertest.Start(t, server.Config{Engine: e, IdleTimeout: idle})
	addr := srv.Addr().String()

	talker, err := net.DialTimeout("tcp", addr, faultBound)
	if err != nil {
		t.Fatal(err)
	}
	defer talker.Close()
	stopTalking := make(chan struct{})
	talked := make(chan error, 1)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if err := testkit.Ping(talker, fmt.Appendf(nil, "still here %04d", i), faultBound); err != nil {
				talked <- fmt.Errorf("ping %d: %w", i, err)
				return
			}
			select {
			case <-stopTalking:
				talked <- nil
				return
			case <-tick.C:
			}
		}
	}()

	errs := make(chan error, silent)
	var wg sync.WaitGroup
	for i := range silent {
		wg.Go(func() {
			dialed := time.Now()
			c, err := net.DialTimeout("tcp", addr, faultBound)
			if err != nil {
				errs <- fmt.Errorf("silent client %d: %w", i, err)
				return
			}
			defer c.Close()
			c.SetReadDeadline(dialed.Add(idle + late))
			n, err := c.Read(make([]byte, 1))
			elapsed := time.Since(dialed)
			switch {
			case n != 0 || err == nil:
				errs <- fmt.Errorf("silent client %d: read %d bytes, want its connection closed", i, n)
			case errors.Is(err, os.ErrDeadlineExceeded):
				errs <- fmt.Errorf("silent client %d: still open %v after it connected, idle timeout %v", i, elapsed, idle)
			case elapsed < idle:
				errs <- fmt.Errorf("silent client %d: cut after %v, before the idle timeout %v", i, elapsed, idle)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	srv.WaitStats(t, faultBound, "the silent clients counted idle", func(s server.Stats) bool { return s.Closed[server.ClosedIdle] == silent })

	// The talker began before the silent clients and each of them lasted
	// the idle timeout, so it has outlived one: it must still be there.
	close(stopTalking)
	if err := <-talked; err != nil {
		t.Fatalf("the talking client beside the silent ones: %v", err)
	}
	if err := testkit.Ping(talker, []byte("last words"), faultBound); err != nil {
		t.Fatalf("the talking client after the silent ones were cut: %v", err)
	}
	talker.Close()
	st := srv.WaitStats(t, faultBound, "every connection to finish", func(s server.Stats) bool { return s.Open == 0 })
	if st.Closed[server.ClosedIdle] != silent || st.Closed[server.ClosedPeer] != 1 {
		t.Errorf("Closed[idle] %d, Closed[peer] %d, want %d and 1", st.Closed[server.ClosedIdle], st.Closed[server.ClosedPeer], silent)
	}
}

// duplexRoundTrip sends size bytes while it reads the replies, then checks
// every byte and the EOF after the last.
func duplexRoundTrip(addr string, size int) error {
	c, err := net.DialTimeout("tcp", addr, faultBound)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(faultBound))
	msg := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\xff\x00"), size/38+1)[:size]
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil {
			err = testkit.CloseWrite(c)
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err := errors.Join(err, <-werr); err != nil {
		return err
	}
	if want := codec.Upper(msg); !bytes.Equal(got, want) {
		return fmt.Errorf("got %d bytes back, want the %d sent uppercased", len(got), len(want))
	}
	return nil
}

// openFiles counts this process's open descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("needs /proc/self/fd:", err)
	}
	return len(fds) - 1 // the directory ReadDir itself opened
}

// describeFiles lists this process's descriptors and what they are, for a
// failure message.
func describeFiles() string {
	fds, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, fd := range fds {
		l, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		out = append(out, fd.Name()+"->"+l)
	}
	return strings.Join(out, " ")
}
