package compare

import (
	"errors"
	"testing"
	"time"
)

// TestKernelFill checks which reading stands for the loaded server: the
// largest within the measured time, not the spike as connections close
// after it.
func TestKernelFill(t *testing.T) {
	t.Parallel()
	s := func(at time.Duration, mem int64) KernelSample {
		return KernelSample{At: at, TCPMem: mem, Slab: 1000, SlabRead: true}
	}
	samples := []KernelSample{s(0, 10), s(time.Second, 50), s(2*time.Second, 70), s(3*time.Second, 60), s(4*time.Second, 900)}
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		want     int64
	}{
		{"within", time.Second, 3 * time.Second, 70},
		{"none within: the last before", 2500 * time.Millisecond, 2900 * time.Millisecond, 70},
		{"the whole run", 0, time.Hour, 900},
	} {
		var k KernelStats
		k.fill(samples, nil, tc.from, tc.to)
		if !k.Sampled || k.Baseline.TCPMem != 10 || k.Loaded.TCPMem != tc.want {
			t.Errorf("%s: baseline %d, loaded %d; want 10, %d", tc.name, k.Baseline.TCPMem, k.Loaded.TCPMem, tc.want)
		}
	}
	// The slab readings within the measured time, and only those, give
	// the slab figure's noise.
	slab := func(at time.Duration, slab int64) KernelSample {
		return KernelSample{At: at, Slab: slab, SlabRead: true}
	}
	var spread KernelStats
	spread.fill([]KernelSample{slab(0, 0), slab(time.Second, 1000), slab(2*time.Second, 1300), slab(3*time.Second, 900), slab(4*time.Second, 9000)}, nil, time.Second, 3*time.Second)
	if spread.SlabSpread != 400 {
		t.Errorf("slab spread %d, want 400 (1300 less 900, the readings within the measured time)", spread.SlabSpread)
	}
	var k KernelStats
	if k.fill(nil, errors.New("no sockstat"), 0, time.Hour); k.Sampled {
		t.Error("sampled without readings")
	}
}
