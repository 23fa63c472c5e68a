package compare

import (
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/tick"
)

// progressEvery is how often Config.Progress is told about the run going
// on.
const progressEvery = 200 * time.Millisecond

// Progress is what Config.Progress is told while a run goes on: which run
// it is and how far it has got, by the clock.
type Progress struct {
	Series Series
	Engine engine.Name
	Round  int // from 1, of Config.Repeat
	// Run is the run's place among all of them, from 1, of Runs.
	Run, Runs int
	// Elapsed is the time since the run's server was started.
	Elapsed time.Duration
	// Expected is about how long the run takes: its loads' warm-ups,
	// measured times and holds, the servers' start and the dialling aside.
	// A starve series' intake, which lasts as long as the server takes the
	// heavy senders' bytes, comes on top.
	Expected time.Duration
}

// expected is Progress.Expected for series s.
func expected(s Series, cfg *Config) time.Duration {
	if s.Mode == Starve {
		_, intake, after := starveJobs(s, cfg, "")
		return intake.Warmup + after.Warmup + after.Duration
	}
	measured, beside := jobs(s, cfg, "")
	d := measured.Warmup + measured.Duration
	if beside != nil {
		d = max(d, beside.Warmup+beside.Duration)
	}
	return d
}

// reportRun calls cfg.Progress, if set, with p and the time since now
// every progressEvery until the function it returns is called, which
// returns once Progress is no longer being called.
func reportRun(cfg *Config, p Progress) (stop func()) {
	if cfg.Progress == nil {
		return func() {}
	}
	start := time.Now()
	return tick.Every(progressEvery, func() {
		p.Elapsed = time.Since(start)
		cfg.Progress(p)
	})
}
