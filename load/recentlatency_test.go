package load

import (
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// TestBuckets: every value falls in a bucket whose top is at or above it,
// within an eighth, and above the previous bucket's top.
func TestBuckets(t *testing.T) {
	t.Parallel()
	values := []int64{0, 1, 7, 8, 9, 15, 16, 17, 1000, 1023, 1024, 999_999, int64(time.Hour), 1<<62 + 12345, 1<<63 - 1}
	for v := int64(1); v < 1<<20; v = v*3 + 1 {
		values = append(values, v)
	}
	for _, v := range values {
		b := bucketOf(v)
		if b < 0 || b >= latencyBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of [0, %d)", v, b, latencyBuckets)
		}
		top := bucketTop(b)
		if top < v || float64(top-v) > float64(v)/8 {
			t.Errorf("%d is in bucket %d, whose top is %d: want at or above it, within an eighth", v, b, top)
		}
		if b > 0 && bucketTop(b-1) >= v {
			t.Errorf("%d is in bucket %d, but bucket %d reaches %d", v, b, b-1, bucketTop(b-1))
		}
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
