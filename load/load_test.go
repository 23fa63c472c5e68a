package load

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

var generators = []engine.Name{engine.Gnet, engine.Goroutine}

// short is a small, quick run against addr.
func short(addr string, g engine.Name, mode Mode) Config {
	return Config{
		Address:   addr,
		Conns:     20,
		Duration:  300 * time.Millisecond,
		Warmup:    50 * time.Millisecond,
		Mode:      mode,
		Generator: g,
		Timeout:   5 * time.Second,
	}
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestCleanRun(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, testkit.Upper)
	for _, g := range generators {
		for _, tc := range []struct {
			mode   Mode
			size   int
			rate   float64
			window int
		}{
			{PingPong, 16, 0, 0},
			{PingPong, 5000, 0, 0}, // a reply in several reads
			{PingPong, 16, 200, 0},
			{Stream, 16, 0, 0},
			{Stream, 1000, 0, 0},
			{Stream, 16, 2000, 0},
			{Stream, 16, 0, 64 << 10},
			{Stream, 1000, 0, 1500}, // a window of one message
			{Stream, 16, 2000, 64 << 10},
		} {
			t.Run(fmt.Sprintf("%s/%s/%d/%g/%d", g, tc.mode, tc.size, tc.rate, tc.window), func(t *testing.T) {
				t.Parallel()
				cfg := short(addr, g, tc.mode)
				cfg.Size, cfg.Rate, cfg.Window = tc.size, tc.rate, tc.window
				t0 := time.Now()
				res := mustRun(t, cfg)
				ran := time.Since(t0)
				if got, want := res.Connected, cfg.Conns; got != want {
					t.Errorf("Connected = %d, want %d (failed %v)", got, want, res.ConnectFailed)
				}
				if n := res.ErrorCount() + res.FailedDials(); n != 0 {
					t.Errorf("errors %v, failed dials %v; want none", res.Errors, res.ConnectFailed)
				}
				if res.Messages == 0 {
					t.Fatalf("no messages: %+v", res)
				}
				h, err := DecodeHistogram(res.Histogram)
				if err != nil {
					t.Fatal(err)
				}
				if tc.mode == PingPong {
					// One latency per message, and a message's bytes both ways.
					if got, want := uint64(h.TotalCount()), res.Messages; got != want {
						t.Errorf("latencies recorded = %d, want one per message, %d", got, want)
					}
				} else if h.TotalCount() == 0 {
					t.Errorf("no latency recorded")
				}
				// Bytes of messages that straddle the measured time's edges
				// are counted on one side only.
				slack := uint64(cfg.Conns * max(cfg.Size, StreamChunk, cfg.Window))
				if tc.mode == Stream && res.Window != tc.window {
					t.Errorf("Window = %d, want %d", res.Window, tc.window)
				}
				if got, want := res.BytesReceived, res.Messages*uint64(tc.size); absDiff(got, want) > slack {
					t.Errorf("BytesReceived = %d, want about Messages*Size = %d", got, want)
				}
				if res.Latency.P50 <= 0 || res.Latency.P99 < res.Latency.P50 || res.Latency.Max < res.Latency.P999 {
					t.Errorf("latency summary out of order: %+v", res.Latency)
				}
				if tc.rate > 0 {
					// The cap holds over the schedule, which starts with the
					// traffic: a connection behind (a slow warm-up on a busy
					// machine) catches up in the measured time, but never
					// sends a message before its due time, plus the first
					// one. The traffic lasted less than the whole Run.
					limit := (tc.rate*ran.Seconds() + 1) * float64(cfg.Conns) / res.Duration.Seconds()
					if res.MessagesPerS > limit*1.05 {
						t.Errorf("MessagesPerS = %.0f over the cap %.0f", res.MessagesPerS, limit)
					}
				}
				if res.GeneratorCPU <= 0 || res.GeneratorCPUPerMsg <= 0 {
					t.Errorf("generator CPU not measured: %v, %g µs/msg", res.GeneratorCPU, res.GeneratorCPUPerMsg)
				}
				if res.Duration < cfg.Duration || res.Duration > cfg.Duration+time.Second {
					t.Errorf("Duration = %v, want about %v", res.Duration, cfg.Duration)
				}
			})
		}
	}
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestFaultyPeer runs against servers that break the protocol on purpose:
// every connection must end with exactly one error of the right kind. Only
// the mute peer's error is a timeout, so only its connections get a short
// one: the others' errors come with the peer's reply, FIN or reset, and a
// peer kept off a loaded machine's CPU for longer than a short timeout
// must not turn them into timeouts.
func TestFaultyPeer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		p       testkit.Handler
		kind    string
		timeout time.Duration
	}{
		{"flip", testkit.Flipper, ErrMismatch, 0},
		{"close", testkit.Closer, ErrShort, 0},
		{"reset", testkit.Resetter, ErrReset, 0},
		{"mute", testkit.Mute, ErrTimeout, 200 * time.Millisecond},
	} {
		addr := testkit.Peer(t, tc.p)
		for _, g := range generators {
			for _, m := range []struct {
				mode   Mode
				window int
				rate   float64
			}{
				{PingPong, 0, 0},
				{Stream, 64 << 10, 0},
				// Without a window, paced: unpaced, the writers against the
				// peers that read everything would take both cores for the
				// whole second and starve the other tests' 200 ms timeouts.
				{Stream, 0, 1000},
			} {
				t.Run(fmt.Sprintf("%s/%s/%s/%d", tc.name, g, m.mode, m.window), func(t *testing.T) {
					t.Parallel()
					cfg := short(addr, g, m.mode)
					cfg.Window, cfg.Rate = m.window, m.rate
					cfg.Conns = 8
					if tc.timeout > 0 {
						cfg.Timeout = tc.timeout
					}
					cfg.Duration = time.Second
					res := mustRun(t, cfg)
					if got, want := res.Errors[tc.kind], uint64(cfg.Conns); got != want {
						t.Errorf("Errors[%s] = %d, want %d; all errors %v", tc.kind, got, want, res.Errors)
					}
					if got, want := res.ErrorCount(), uint64(cfg.Conns); got != want {
						t.Errorf("ErrorCount = %d, want %d (%v)", got, want, res.Errors)
					}
				})
			}
		}
	}
}

// TestRefused counts dials to a closed port by reason.
func TestRefused(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, testkit.Upper)
	// A port nothing listens on: bind one, note it, close it.
	cfg := short(addr, engine.Gnet, PingPong)
	cfg.Address = testkit.ClosedPort(t)
	cfg.Conns = 5
	res := mustRun(t, cfg)
	if got, want := res.ConnectFailed[DialRefused], uint64(5); got != want {
		t.Errorf("ConnectFailed[refused] = %d, want %d (%v)", got, want, res.ConnectFailed)
	}
	if res.Connected != 0 || res.Messages != 0 {
		t.Errorf("Connected %d, Messages %d; want 0", res.Connected, res.Messages)
	}
}

func TestUnixSocket(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "upper.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				testkit.Echo(c, nil)
			}()
		}
	}()
	for _, g := range generators {
		t.Run(string(g), func(t *testing.T) {
			t.Parallel()
			cfg := short(path, g, Stream)
			cfg.Network = "unix"
			res := mustRun(t, cfg)
			if res.Connected != cfg.Conns || res.ErrorCount() != 0 || res.Messages == 0 {
				t.Errorf("connected %d, errors %v, messages %d", res.Connected, res.Errors, res.Messages)
			}
			if res.Target != "unix "+path {
				t.Errorf("Target = %q", res.Target)
			}
		})
	}
}
