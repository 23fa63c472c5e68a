package load

import (
	"sync"
	"sync/atomic"
)

// Phases as runState.phase holds them.
const (
	phaseConnect int32 = iota
	phaseWarmup
	phaseRun
	phaseDrain
)

// runState is the state one process's generator shares with the driver.
type runState struct {
	cfg  *Config
	pay  *payload
	pace pacer
	// chunk is the messages a stream connection without a window writes
	// at once.
	chunk  int
	phase  atomic.Int32
	errors errorCounts

	// live counts connections taken over that have not finished (drained or
	// failed), plus one held by the driver until traffic starts; finished
	// is closed when it reaches zero.
	live     atomic.Int64
	finished chan struct{}
	once     sync.Once

	// windowFrom and windowTo, when windowTo is set (Config.StartAt), are
	// the measured time on now()'s clock. What completes in it is measured
	// whenever the driver wakes to change phase: a generator host short of
	// CPU wakes it late (50-160 ms was seen here under load), and shards'
	// windows must agree as well as their clocks do, not their schedulers.
	windowFrom, windowTo atomic.Int64
}

func newRun(cfg *Config) *runState {
	r := &runState{
		cfg:      cfg,
		pay:      newPayload(cfg.Size, max(cfg.Window, StreamChunk)),
		pace:     newPacer(cfg.Rate),
		chunk:    max(StreamChunk/cfg.Size, 1),
		finished: make(chan struct{}),
	}
	r.live.Store(1)
	return r
}

// measuring reports whether what completes at at is measured.
func (r *runState) measuring(at int64) bool {
	ph := r.phase.Load()
	if to := r.windowTo.Load(); to != 0 {
		return (ph == phaseWarmup || ph == phaseRun) && at >= r.windowFrom.Load() && at < to
	}
	return ph == phaseRun
}

// unwindowed reports whether connections stream without a window.
func (r *runState) unwindowed() bool { return r.cfg.Mode == Stream && r.cfg.Window == 0 }

// sending reports whether connections may send new messages.
func (r *runState) sending() bool { return r.phase.Load() < phaseDrain }

// finish is called once for each connection taken over, when it has drained
// or failed.
func (r *runState) finish() {
	if r.live.Add(-1) == 0 {
		r.once.Do(func() { close(r.finished) })
	}
}

// fail counts an error of the given kind.
func (r *runState) fail(kind string) { r.errors.add(kind) }
