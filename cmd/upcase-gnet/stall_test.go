package main

import (
	"bufio"
	"net"
	"os/exec"
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
			cmd, addr, busy := startWatchedServe(t, "--engine", engine, "--quiet")
			_, port, _ := net.SplitHostPort(addr)
			stalled := make(chan error, 1)
			go func() {
				// The server's summary line (once a second) shows the load's
				// 100 connections open and traffic flowing: stop it there,
				// within the first seconds of the 5 s measured.
				<-busy
				if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
					stalled <- err
					return
				}
				time.Sleep(time.Second) // the stall itself, not a synchronisation
				stalled <- cmd.Process.Signal(syscall.SIGCONT)
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

// startWatchedServe runs `upcase-gnet serve --port 0 args...` and returns it,
// its address, and a channel closed at the first summary line that shows
// 100 connections open and bytes flowing back. The child is killed (and
// continued, if stopped) at the end of the test.
func startWatchedServe(t *testing.T, args ...string) (*exec.Cmd, string, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--port", "0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-done
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("serve printed no first line")
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "Listening at ")
	if !ok {
		t.Fatalf("first line %q, want \"Listening at ADDR\"", lines.Text())
	}
	busy := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = cmd.Wait() }()
		seen := false
		for lines.Scan() {
			l := lines.Text()
			if !seen && strings.HasPrefix(l, "open 100 ") && !strings.Contains(l, " out 0 B ") {
				seen = true
				close(busy)
			}
		}
	}()
	return cmd, addr, busy
}
