package compare

import (
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tick"
)

// periodic takes readings at a steady pace from a goroutine of its own until
// stopped: the first at once (the baseline), the others every period, a last
// one when stopped. A reading that fails after the first (the process has
// just exited) is left out; if the first fails, there are none. It is the
// loop of both samplers, a process's (sampler) and the kernel's
// (startKernelSampler).
type periodic[T any] struct {
	read func() (T, error)

	// Written by the reading goroutine, read once stopTicks has returned.
	samples []T
	err     error // why the first reading failed

	stopTicks func()
}

// startPeriodic takes the first reading with read at once, and the others
// every period.
func startPeriodic[T any](every time.Duration, read func() (T, error)) *periodic[T] {
	p := &periodic[T]{read: read, stopTicks: func() {}}
	if p.take(); p.err == nil {
		p.stopTicks = tick.Every(every, p.take)
	}
	return p
}

// take reads once.
func (p *periodic[T]) take() {
	v, err := p.read()
	if err != nil {
		if len(p.samples) == 0 {
			p.err = err
		}
		return
	}
	p.samples = append(p.samples, v)
}

// stop takes a last reading and returns them all, or why there are none.
func (p *periodic[T]) stop() ([]T, error) {
	p.stopTicks()
	if p.err == nil {
		p.take()
	}
	return p.samples, p.err
}
