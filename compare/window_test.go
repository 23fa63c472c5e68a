package compare

import (
	"testing"
	"time"
)

func TestCPUAt(t *testing.T) {
	t.Parallel()
	s := []Sample{
		{At: 0, CPU: 0},
		{At: 100 * time.Millisecond, CPU: 50 * time.Millisecond},
		{At: 300 * time.Millisecond, CPU: 250 * time.Millisecond},
	}
	for _, tc := range []struct {
		at, want time.Duration
	}{
		{-time.Second, 0},
		{50 * time.Millisecond, 25 * time.Millisecond},
		{200 * time.Millisecond, 150 * time.Millisecond},
		{time.Second, 250 * time.Millisecond},
	} {
		if got := cpuAt(s, tc.at); got != tc.want {
			t.Errorf("cpuAt(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestLocateWindow(t *testing.T) {
	t.Parallel()
	// A generator that waits 7.3 s before it runs (a busy machine), then
	// burns half a CPU for its 1 s warm-up and 5 s measured time, then
	// drains and exits: sampled every 25 ms.
	gen := func(idleUntil time.Duration) []Sample {
		var s []Sample
		for at := time.Duration(0); at <= idleUntil+6500*time.Millisecond; at += 25 * time.Millisecond {
			busy := min(max(at-idleUntil, 0), 6*time.Second)
			s = append(s, Sample{At: at, CPU: busy / 2})
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		samples  []Sample
		d, want  time.Duration
		guess    time.Duration
		wantFrom time.Duration
		wantBy   string
	}{
		{"a late start", gen(7300 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1030 * time.Millisecond, 8300 * time.Millisecond, "generator CPU"},
		{"a prompt start", gen(30 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1030 * time.Millisecond, 1030 * time.Millisecond, "load start (checked by generator CPU)"},
		{"a guess a little late", gen(30 * time.Millisecond), 5 * time.Second, 2500 * time.Millisecond, 1100 * time.Millisecond, 1100 * time.Millisecond, "load start (checked by generator CPU)"},
		{"too little CPU to tell", gen(0), 5 * time.Second, 10 * time.Millisecond, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
		{"more CPU than the samples hold", gen(0), 5 * time.Second, 4 * time.Second, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
		{"too few samples", gen(0)[:10], 5 * time.Second, 2500 * time.Millisecond, 1000 * time.Millisecond, 1000 * time.Millisecond, "load start (unchecked)"},
	} {
		from, by := locateWindow(tc.samples, tc.d, tc.want, tc.guess)
		if by != tc.wantBy || from < tc.wantFrom-5*time.Millisecond || from > tc.wantFrom+5*time.Millisecond {
			t.Errorf("%s: locateWindow = %v by %q; want %v by %q", tc.name, from, by, tc.wantFrom, tc.wantBy)
		}
	}
}
