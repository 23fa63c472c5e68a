package load

import (
	"testing"
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
