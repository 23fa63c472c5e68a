package load

import (
	"sync"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestProgressMeasured: Progress.Measured counts from the measured time's
// start, not from the warm-up's, as Messages does; a progress bar of the
// measured time shows it.
func TestProgressMeasured(t *testing.T) {
	t.Parallel()
	cfg := short(testkit.Peer(t, testkit.Upper), engine.Gnet, PingPong)
	cfg.Conns, cfg.Warmup, cfg.Duration = 4, 600*time.Millisecond, time.Second
	var mu sync.Mutex
	var seen []Progress
	cfg.Progress = func(p Progress) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	}
	mustRun(t, cfg)
	mu.Lock()
	defer mu.Unlock()
	var base uint64
	runs := 0
	for _, p := range seen {
		switch p.Phase {
		case PhaseRun:
			runs++
			if p.Measured > p.Messages {
				t.Fatalf("measured %d of %d messages", p.Measured, p.Messages)
			}
			// What was done before the measured time stays the same.
			if b := p.Messages - p.Measured; base == 0 {
				base = b
			} else if b != base {
				t.Errorf("messages before the measured time: %d, then %d", base, b)
			}
		default:
			if p.Measured != 0 {
				t.Errorf("%s: measured %d messages, want 0 outside the measured time", p.Phase, p.Measured)
			}
		}
	}
	if runs == 0 || base == 0 {
		t.Errorf("%d reports in the measured time, %d messages before it; want some of both (reports %+v)", runs, base, seen)
	}
}

// TestRecentP99: the p99 of the last second's latencies, from every tally,
// forgotten once a second of intervals has passed without any.
func TestRecentP99(t *testing.T) {
	t.Parallel()
	a, b := newTally(), newTally()
	for range 99 {
		a.recent.add(time.Millisecond)
	}
	b.recent.add(time.Second)
	var r recentLatency
	if got := r.p99([]*tally{a, b}); got < 1000 || got > 1125 {
		t.Errorf("p99 of 99 x 1 ms and 1 x 1 s = %v µs, want 1 ms to within an eighth", got)
	}
	b.recent.add(time.Second) // now 2 of 101: the p99 is 1 s
	if got := r.p99([]*tally{a, b}); got < 1e6 || got > 1.125e6 {
		t.Errorf("p99 of 99 x 1 ms and 2 x 1 s = %v µs, want 1 s to within an eighth", got)
	}
	for i := 1; i < len(r.slots); i++ {
		if got := r.p99([]*tally{a, b}); got < 1e6 {
			t.Fatalf("after %d empty intervals the p99 is %v µs: the last second still holds the 1 s latencies", i, got)
		}
	}
	if got := r.p99([]*tally{a, b}); got != 0 {
		t.Errorf("a second of intervals without latencies: p99 %v µs, want 0", got)
	}
}

// TestProgressRecentP99: a real run's progress lines carry the recent p99
// once traffic has started, and none before.
func TestProgressRecentP99(t *testing.T) {
	t.Parallel()
	addr := testkit.Peer(t, testkit.Upper)
	for _, g := range generators {
		t.Run(string(g), func(t *testing.T) {
			t.Parallel()
			cfg := short(addr, g, PingPong)
			var lines []Progress // Progress is called from one goroutine
			cfg.Progress = func(p Progress) { lines = append(lines, p) }
			res := mustRun(t, cfg)
			seen := false
			for _, p := range lines {
				if p.Phase == PhaseConnect && p.RecentP99 != 0 {
					t.Errorf("a p99 while connecting: %+v", p)
				}
				if p.RecentP99 < 0 || p.RecentP99 > float64(cfg.Timeout.Microseconds()) {
					t.Errorf("p99 %v µs, beyond the run's timeout: %+v", p.RecentP99, p)
				}
				seen = seen || p.RecentP99 > 0
			}
			if !seen {
				t.Errorf("no progress line of %d carried a p99 (%d messages)", len(lines), res.Messages)
			}
		})
	}
}
