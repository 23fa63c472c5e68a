package compare

import (
	"math"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// TestServerSeconds: a server sampled every 100 ms for 2.5 s, its RSS
// growing by a MiB a sample and using half a core, is three seconds, the
// last half a second long.
func TestServerSeconds(t *testing.T) {
	t.Parallel()
	var samples []Sample
	for i := range 26 {
		at := time.Duration(i) * 100 * time.Millisecond
		samples = append(samples, Sample{At: at, RSS: int64(i+1) << 20, CPU: at / 2})
	}
	got := serverSeconds(samples)
	want := []ServerSecond{{time.Second, 11 << 20, 50}, {2 * time.Second, 21 << 20, 50}, {2500 * time.Millisecond, 26 << 20, 50}}
	if len(got) != len(want) {
		t.Fatalf("%d seconds, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].At != want[i].At || got[i].RSS != want[i].RSS || math.Abs(got[i].CPU-want[i].CPU) > 1e-9 {
			t.Errorf("second %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := serverSeconds(samples[:1]); got != nil {
		t.Errorf("one sample made %+v", got)
	}
}

// childAt is a child started at start whose progress lines every 200 ms
// up to end count rate messages a second from its start, with one
// connection and a recent p99 of p99.
func childAt(start, end time.Duration, rate, p99 float64) childProgress {
	c := childProgress{start: start}
	for at := start + 200*time.Millisecond; at <= end; at += 200 * time.Millisecond {
		n := uint64(math.Round(rate * (at - start).Seconds()))
		c.ticks = append(c.ticks, progressTick{At: at, Progress: load.Progress{Phase: load.PhaseRun, Connected: 1, Messages: n, RecentP99: p99}})
	}
	return c
}

// TestClientSeconds: two children one after the other, as a starve series'
// light client over its two phases, are one line; a second in which
// neither ran is left out.
func TestClientSeconds(t *testing.T) {
	t.Parallel()
	s := time.Second
	got := clientSeconds([]childProgress{
		childAt(0, 2*s, 1000, 100),
		childAt(2*s, 4*s, 500, 300),
		childAt(6*s, 7*s, 2000, 50),
	})
	want := []ClientSecond{
		{At: 1 * s, Connected: 1, MessagesPerS: 1000, P99: 100},
		{At: 2 * s, Connected: 1, MessagesPerS: 1000, P99: 100},
		{At: 3 * s, Connected: 1, MessagesPerS: 500, P99: 300},
		{At: 4 * s, Connected: 1, MessagesPerS: 500, P99: 300},
		{At: 7 * s, Connected: 1, MessagesPerS: 2000, P99: 50},
	}
	if len(got) != len(want) {
		t.Fatalf("%d seconds, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.At != want[i].At || g.Connected != want[i].Connected || g.P99 != want[i].P99 || math.Abs(g.MessagesPerS-want[i].MessagesPerS) > 1e-6 {
			t.Errorf("second %d: %+v, want %+v", i, g, want[i])
		}
	}
	if got := clientSeconds([]childProgress{{start: s}}); got != nil {
		t.Errorf("a child without progress lines made %+v", got)
	}
}
