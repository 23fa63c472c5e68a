package main

import (
	"errors"
	"net"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// testStopWhileStreaming sends SIGTERM while 1,000 clients stream. Every
// byte the server read goes back before the drain timeout: each client
// gets a byte-exact uppercase prefix of what it sent, then EOF, or a reset
// when it had sent more than the server read (never a clean end after a
// cut echo); the server logs undelivered=0 and exits 0; and a new server
// binds the same port at once.
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
		wg.Go(func() { results[i] = windowedStream(srv.addr, i, testkit.Endless, window, before, streaming) })
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
		t.Errorf("serve after SIGTERM: %v, want exit 0\n%s", err, srv.stderr.Tail(20))
	}
	if took > drain+2*time.Second {
		t.Errorf("serve took %v to exit, drain timeout %v", took, drain)
	}
	// At once: before the TIME_WAIT of the old connections has passed.
	_, port, _ := net.SplitHostPort(srv.addr)
	again := startServeWith(t, serveOptions{bin: bin, port: port}, withMetrics([]string{"--engine", engine})...)
	if err := streamRoundTrip(again.addr, 0, 1<<16); err != nil {
		t.Errorf("the new server on the same port: %v", err)
	}

	wg.Wait()
	var received int64
	for i, r := range results {
		if r.err != nil && !errors.Is(r.err, syscall.ECONNRESET) {
			t.Errorf("client %d: %v (sent %d, received %d)", i, r.err, r.sent, r.received)
		}
		received += r.received
	}
	final := lastMatch(srv.stderr.String(), stoppedLine)
	if final == nil {
		t.Fatalf("no final \"stopped\" log line:\n%s", srv.stderr.Tail(20))
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

// accountedAtStop checks that serve's stopped line in log, if it has one,
// adds up: every byte read written back or counted undelivered. Every
// serve child a test stops is checked so when the test ends.
func accountedAtStop(t testing.TB, log string) {
	t.Helper()
	if n := lastMatch(log, stoppedLine); n != nil && n[1] != n[2]+n[3] {
		t.Errorf("serve stopped having read %d, written %d, undelivered %d: want read = written + undelivered", n[1], n[2], n[3])
	}
}

// lastMatch parses the numbers of the last line of log matching re.
func lastMatch(log string, re *regexp.Regexp) []int64 {
	all := re.FindAllStringSubmatch(log, -1)
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
