package compare

import "time"

// procSample is one reading of a process from the operating system.
type procSample struct {
	RSS     int64         // resident set now, bytes
	PeakRSS int64         // highest resident set so far, bytes
	CPU     time.Duration // user+system time so far
}

// sampler reads a process's memory and CPU at a steady pace from a
// goroutine of its own until stopped.
type sampler struct {
	pid   int
	t0    time.Time
	every time.Duration

	// Written by the sampling goroutine, read after done is closed.
	samples []Sample
	peak    int64
	err     error // why the first reading failed

	quit chan struct{}
	done chan struct{}
}

// startSampler takes the first reading (the baseline) at once and the
// others every period.
func startSampler(pid int, t0 time.Time, every time.Duration) *sampler {
	s := &sampler{pid: pid, t0: t0, every: every, quit: make(chan struct{}), done: make(chan struct{})}
	if s.take(); s.err != nil {
		close(s.done)
		return s
	}
	go repeat(s.every, s.quit, s.done, s.take)
	return s
}

// repeat calls take every period until quit is closed, then closes done:
// the loop of every sampler in this package.
func repeat(every time.Duration, quit <-chan struct{}, done chan<- struct{}, take func()) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
			take()
		}
	}
}

// take reads the process once. A reading that fails after the first (the
// process has just exited) is left out.
func (s *sampler) take() {
	p, err := readProc(s.pid)
	if err != nil {
		if len(s.samples) == 0 {
			s.err = err
		}
		return
	}
	s.samples = append(s.samples, Sample{At: time.Since(s.t0), RSS: p.RSS, CPU: p.CPU})
	s.peak = max(s.peak, p.PeakRSS)
}

// stop takes a last reading and returns them all, the highest resident set
// the kernel recorded, and why there are none if there are none.
func (s *sampler) stop() ([]Sample, int64, error) {
	close(s.quit)
	<-s.done
	if s.err == nil {
		s.take()
	}
	return s.samples, s.peak, s.err
}
