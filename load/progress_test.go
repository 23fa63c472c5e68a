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
