package compare

import "time"

// Sample is one reading of a server or generator process.
type Sample struct {
	At  time.Duration `json:"at_ns"`     // since the server said it was listening
	RSS int64         `json:"rss_bytes"` // resident set
	CPU time.Duration `json:"cpu_ns"`    // user+system since the process started
}

// sampler reads a process's memory and CPU at a steady pace from a
// goroutine of its own until stopped.
type sampler struct {
	*periodic[Sample]
	peak int64 // the highest resident set the kernel recorded; read after stop
}

// startSampler takes the first reading (the baseline) at once and the
// others every period, each At its time since t0.
func startSampler(pid int, t0 time.Time, every time.Duration) *sampler {
	s := &sampler{}
	s.periodic = startPeriodic(every, func() (Sample, error) {
		p, err := readProc(pid)
		if err != nil {
			return Sample{}, err
		}
		s.peak = max(s.peak, p.PeakRSS)
		return Sample{At: time.Since(t0), RSS: p.RSS, CPU: p.CPU}, nil
	})
	return s
}

// stop takes a last reading and returns them all, the highest resident set
// the kernel recorded, and why there are none if there are none.
func (s *sampler) stop() ([]Sample, int64, error) {
	samples, err := s.periodic.stop()
	return samples, s.peak, err
}
