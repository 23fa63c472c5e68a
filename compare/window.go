package compare

import (
	"math"
	"time"
)

// locateWindow finds where a load's measured time of length d began, on the
// clock of gen, the samples of the generator process. The guess is when the
// load child started plus its connect and warm-up times; it stands if the
// generator's CPU over [guess, guess+d] matches want, the CPU the generator
// measured itself over its measured time. Otherwise the window is where
// gen's CPU over d comes closest to want (the latest of equals, as the
// warm-up comes first). It returns the guess unchecked if the samples
// cannot tell (too little CPU, too few samples, nothing close).
//
// Why not the guess alone: on a busy machine a new process may wait
// seconds before it runs (seen here: 7 s), and the server's CPU would then
// be read over time the load was not yet driving it. Within the warm-up and
// the measured time the generator's CPU rises at a steady rate, so a window
// found a little early or late still measures the same steady state.
func locateWindow(gen []Sample, d, want, guess time.Duration) (time.Duration, string) {
	tick := time.Second / time.Duration(clockTicks)
	if len(gen) < 2 || want < 20*tick || gen[len(gen)-1].At-gen[0].At < d {
		return guess, "load start (unchecked)"
	}
	tolerance := max(want*3/100, 3*tick)
	offBy := func(t time.Duration) time.Duration {
		off := cpuAt(gen, t+d) - cpuAt(gen, t) - want
		return max(off, -off)
	}
	if offBy(guess) <= tolerance {
		return guess, "load start (checked by generator CPU)"
	}
	const step = 5 * time.Millisecond
	best, bestOff := time.Duration(-1), time.Duration(math.MaxInt64)
	for t := gen[0].At; t+d <= gen[len(gen)-1].At; t += step {
		if off := offBy(t); off <= bestOff {
			best, bestOff = t, off
		}
	}
	if best < 0 || bestOff > tolerance {
		return guess, "load start (unchecked)"
	}
	return best, "generator CPU"
}

// cpuAt is the CPU time at t, interpolated between the samples around it
// (the first or last sample's outside them).
func cpuAt(samples []Sample, t time.Duration) time.Duration {
	if t <= samples[0].At {
		return samples[0].CPU
	}
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if t <= b.At {
			if b.At == a.At {
				return b.CPU
			}
			f := float64(t-a.At) / float64(b.At-a.At)
			return a.CPU + time.Duration(f*float64(b.CPU-a.CPU))
		}
	}
	return samples[len(samples)-1].CPU
}
