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
	stop func()
}

func startProgress(cfg *Config, r *runState, d *dialer, g generator) *progress {
	p := &progress{ph: PhaseConnect, at: time.Now()}
	var recent recentLatency // the reporting goroutine's alone
	p.stop = reportProgress(cfg, func() (Progress, bool) {
		p.mu.Lock()
		pr := Progress{Phase: p.ph, Conns: cfg.Conns, Elapsed: time.Since(p.at), Total: p.long}
		p.mu.Unlock()
		pr.Connected, pr.Failed = int(d.connected.Load()), int(d.failed.Load())
		if r.phase.Load() > phaseConnect {
			ts := g.tallies()
			for _, t := range ts {
				pr.Messages += t.messagesSeen.Load()
			}
			pr.RecentP99 = recent.p99(ts)
		}
		if sg, ok := g.(*slowGenerator); ok {
			pr.SlowWritten, pr.SlowComplete = sg.progress()
		}
		return pr, true
	})
	return p
}

// enter marks the start of a phase that lasts about long.
func (p *progress) enter(ph Phase, long time.Duration) {
	p.mu.Lock()
	p.ph, p.at, p.long = ph, time.Now(), long
	p.mu.Unlock()
}
