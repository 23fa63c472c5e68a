package load

import (
	"context"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strings"
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
// every connection must end with exactly one error of the right kind.
func TestFaultyPeer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    testkit.Handler
		kind string
	}{
		{"flip", testkit.Flipper, ErrMismatch},
		{"close", testkit.Closer, ErrShort},
		{"reset", testkit.Resetter, ErrReset},
		{"mute", testkit.Mute, ErrTimeout},
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
					cfg.Timeout = 200 * time.Millisecond
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

func TestBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Conns: -1},
		{Size: -3},
		{Size: MaxSize + 1},
		{Mode: "burst"},
		{Generator: "threads"},
		{Rate: -1},
		{Rate: math.NaN()},
		{ConnectRate: math.Inf(1)},
		{Duration: -time.Second},
		{Address: "no-port"},
		{Network: "udp"},
		{Conns: 30000, Address: "[::1]:1060"}, // needs source addresses ::1 cannot have
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestWorkersCap checks that no setting makes Run start more than
// MaxWorkers processes: each worker is a process of its own.
func TestWorkersCap(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Workers: MaxWorkers + 1, Conns: 10 * MaxWorkers},
		{Workers: 1 << 20, Conns: 1 << 20},
		{Conns: (MaxWorkers + 1) * ConnsPerProcess(DefaultDialsInFlight)}, // automatic
	} {
		_, err := cfg.withDefaults()
		if err == nil || !strings.Contains(err.Error(), "workers") {
			t.Errorf("withDefaults(Workers %d, Conns %d) = %v, want an error about workers", cfg.Workers, cfg.Conns, err)
		}
	}
	if _, err := (Config{Workers: MaxWorkers, Conns: MaxWorkers}).withDefaults(); err != nil {
		t.Errorf("withDefaults at the cap: %v", err)
	}
}

func TestAutoSourceAddrs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr  string
		conns int
		want  int // addresses; -1 for an error
	}{
		{"127.0.0.1:1060", PortsPerSource, 0},
		{"127.0.0.1:1060", PortsPerSource + 1, 2},
		{"127.0.0.5:1060", 3*PortsPerSource + 7, 4},
		{"[::1]:1060", PortsPerSource + 1, -1},
		{"10.1.2.3:1060", PortsPerSource + 1, -1},
		{"127.0.0.1:1060", MaxSourceAddrs*PortsPerSource + 1, -1},
	} {
		cfg, err := Config{Address: tc.addr, Conns: tc.conns}.withDefaults()
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("%s, %d conns: no error, want one", tc.addr, tc.conns)
		case tc.want >= 0 && err != nil:
			t.Errorf("%s, %d conns: %v", tc.addr, tc.conns, err)
		case tc.want >= 0 && len(cfg.SourceAddrs) != tc.want:
			t.Errorf("%s, %d conns: %d source addresses, want %d", tc.addr, tc.conns, len(cfg.SourceAddrs), tc.want)
		}
	}
	got, err := ParseSourceAddrs("3")
	if err != nil || len(got) != 3 || got[2].String() != "127.0.0.3" {
		t.Errorf(`ParseSourceAddrs("3") = %v, %v`, got, err)
	}
	got, err = ParseSourceAddrs("127.0.0.9, ::1")
	if err != nil || len(got) != 2 || got[1].String() != "::1" {
		t.Errorf(`ParseSourceAddrs(list) = %v, %v`, got, err)
	}
}

// TestTooManyForOneProcess: past one process's open files, Run needs
// worker processes and says so when it cannot make them.
func TestTooManyForOneProcess(t *testing.T) {
	t.Parallel()
	conns := ConnsPerProcess(DefaultDialsInFlight) + 1
	_, err := Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns})
	if err == nil || !strings.Contains(err.Error(), "worker processes") {
		t.Errorf("Run(%d conns) = %v, want an error asking for worker processes", conns, err)
	}
	_, err = Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns, Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "more workers") {
		t.Errorf("Run(%d conns, 1 worker) = %v, want an error asking for more workers", conns, err)
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
