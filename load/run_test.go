package load

import (
	"testing"
	"time"
)

// TestMeasuringByClock: with a start time, what completes is measured by
// when it completes on the clock, from the window's start up to its end,
// whether the driver has changed phase yet or not; never while draining.
func TestMeasuringByClock(t *testing.T) {
	t.Parallel()
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(&cfg)
	r.phase.Store(phaseWarmup)
	if r.measuring(5) {
		t.Fatal("without a clocked window, the warm-up is not measured")
	}
	r.windowFrom.Store(100)
	r.windowTo.Store(200)
	for _, tc := range []struct {
		phase int32
		at    int64
		want  bool
	}{
		{phaseWarmup, 99, false},
		{phaseWarmup, 100, true}, // the driver has not woken yet
		{phaseRun, 150, true},
		{phaseRun, 199, true},
		{phaseRun, 200, false},   // the driver has not woken yet
		{phaseDrain, 150, false}, // cancelled early
	} {
		r.phase.Store(tc.phase)
		if got := r.measuring(tc.at); got != tc.want {
			t.Errorf("phase %d at %d: measuring %v, want %v", tc.phase, tc.at, got, tc.want)
		}
	}
}

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
