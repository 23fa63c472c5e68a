package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadStalledServer stops a server (SIGSTOP) for a second in the middle
// of a paced load of 100 connections x 100 messages/s for 5 s: latency from
// the intended send time must show the stall (the messages that fell due
// while it lasted waited up to a second: p90 at least 200 ms), latency from
// the actual send must not (one slow message a connection, then the
// backlog sent at once and answered quickly).
func TestLoadStalledServer(t *testing.T) {
	t.Parallel()
	for i, gen := range []string{"gnet", "goroutine"} {
		engine := engines[i%len(engines)]
		t.Run(gen+"/"+engine, func(t *testing.T) {
			t.Parallel()
			srv, busy := startWatchedServe(t, "--engine", engine, "--quiet")
			_, port, _ := net.SplitHostPort(srv.addr)
			stalled := make(chan error, 1)
			go func() {
				// The server's summary line (once a second) shows the load's
				// 100 connections open and traffic flowing: stop it there,
				// within the first seconds of the 5 s measured.
				<-busy
				if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
					stalled <- err
					return
				}
				time.Sleep(time.Second) // the stall itself, not a synchronisation
				stalled <- srv.cmd.Process.Signal(syscall.SIGCONT)
			}()
			res, code := loadJSON(t, nil, "--port", port, "--conns", "100", "--rate", "100",
				"--duration", "5s", "--generator", gen)
			select {
			case err := <-stalled:
				if err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatal("the load ended before the server was stopped")
			}
			if code != 0 || res.Connected != 100 || res.ErrorCount() != 0 {
				t.Fatalf("exit %d, connected %d, errors %v", code, res.Connected, res.Errors)
			}
			c, u := res.Latency, res.LatencyUncorrected
			t.Logf("%s: %d messages; corrected p50 %.0fµs p90 %.0fµs p99 %.0fµs; uncorrected p50 %.0fµs p90 %.0fµs p99 %.0fµs",
				gen, res.Messages, c.P50, c.P90, c.P99, u.P50, u.P90, u.P99)
			if c.P90 < 200e3 {
				t.Errorf("corrected p90 %.1f ms, want at least 200 ms: the 1 s stall must show", c.P90/1e3)
			}
			if u.P90 >= 200e3 {
				t.Errorf("uncorrected p90 %.1f ms, want under 200 ms: latency from the actual send omits the stall", u.P90/1e3)
			}
			if c.Max < 900e3 {
				t.Errorf("corrected max %.1f ms, want about the 1 s stall", c.Max/1e3)
			}
		})
	}
}

// startWatchedServe runs `upcase-gnet serve --port 0 args...` and returns it
// and a channel closed at the first summary line that shows 100
// connections open and bytes flowing back.
func startWatchedServe(t *testing.T, args ...string) (*serveChild, <-chan struct{}) {
	t.Helper()
	busy := make(chan struct{})
	seen := false
	srv := startServeWith(t, serveOptions{onLine: func(l string) {
		if !seen && strings.HasPrefix(l, "open 100 ") && !strings.Contains(l, " out 0 B ") {
			seen = true
			close(busy)
		}
	}}, args...)
	return srv, busy
}
