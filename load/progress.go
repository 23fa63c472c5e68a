package load

import (
	"sync"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/tick"
)

// progressEvery is how often a run calls Config.Progress.
const progressEvery = 200 * time.Millisecond

// reportProgress calls Config.Progress, if set, with what measure says every
// progressEvery, until the function it returns is called; that function
// returns once Progress is no longer being called. It is the loop of both
// progress reporters: this process's (startProgress) and the one that sums
// the workers' (startWorkerProgress).
func reportProgress(cfg *Config, measure func() (Progress, bool)) (stop func()) {
	if cfg.Progress == nil {
		return func() {}
	}
	return tick.Every(progressEvery, func() {
		if p, ok := measure(); ok {
			cfg.Progress(p)
		}
	})
}

// progress reports the progress of the connections of this process: the
// phase the driver has entered, the dialer's counts and the generator's
// messages.
type progress struct {
	mu   sync.Mutex
	ph   Phase
	at   time.Time
	long time.Duration
	base uint64 // the messages when the measured time began
	g    generator
	stop func()
}

// seenMessages is the messages g's connections have completed so far,
// warm-up included.
func seenMessages(g generator) uint64 {
	var n uint64
	for _, t := range g.tallies() {
		n += t.messagesSeen.Load()
	}
	return n
}

func startProgress(cfg *Config, r *runState, d *dialer, g generator) *progress {
	p := &progress{ph: PhaseConnect, at: time.Now(), g: g}
	var recent recentLatency // the reporting goroutine's alone
	p.stop = reportProgress(cfg, func() (Progress, bool) {
		p.mu.Lock()
		pr := Progress{Phase: p.ph, Conns: cfg.Conns, Elapsed: time.Since(p.at), Total: p.long}
		base := p.base
		p.mu.Unlock()
		pr.Connected, pr.Failed = int(d.connected.Load()), int(d.failed.Load())
		if r.phase.Load() > phaseConnect {
			pr.Messages = seenMessages(g)
			pr.RecentP99 = recent.p99(g.tallies())
		}
		if pr.Phase == PhaseRun {
			pr.Measured = pr.Messages - min(base, pr.Messages)
		}
		if sg, ok := g.(*slowGenerator); ok {
			pr.SlowWritten, pr.SlowComplete = sg.soFar()
		}
		return pr, true
	})
	return p
}

// enter marks the start of a phase that lasts about long.
func (p *progress) enter(ph Phase, long time.Duration) {
	var base uint64
	if ph == PhaseRun {
		base = seenMessages(p.g)
	}
	p.mu.Lock()
	p.ph, p.at, p.long, p.base = ph, time.Now(), long, base
	p.mu.Unlock()
}

// recentLatency keeps the counts of the last second of progress intervals,
// for Progress.RecentP99: one slot an interval, the oldest replaced by the
// newest.
type recentLatency struct {
	slots [time.Second / progressEvery][latencyBuckets]uint64
	next  int
}

// p99 takes the counts of ts into the newest slot and returns the p99 of
// the last second in microseconds, to the top of its bucket; 0 if no
// latency was counted in it.
func (r *recentLatency) p99(ts []*tally) float64 {
	slot := &r.slots[r.next]
	r.next = (r.next + 1) % len(r.slots)
	*slot = [latencyBuckets]uint64{}
	for _, t := range ts {
		t.recent.takeInto(slot)
	}
	var sum [latencyBuckets]uint64
	var total uint64
	for i := range r.slots {
		for b, n := range r.slots[i] {
			sum[b] += n
			total += n
		}
	}
	if total == 0 {
		return 0
	}
	rank := total - total/100 // the count at or below the p99, at least 1
	var seen uint64
	for b, n := range sum {
		if seen += n; seen >= rank {
			return float64(bucketTop(b)) / 1e3
		}
	}
	return float64(bucketTop(latencyBuckets-1)) / 1e3
}
