package compare

import "github.com/upcase-gnet/upcase-gnet/load"

// jobs are the load children series s runs against the server at addr:
// the measured one, and for a slow series the slow connections beside it,
// started first and held until after the measured one ends.
func jobs(s Series, cfg *Config, addr string) (measured load.Config, beside *load.Config) {
	measured = loadTraffic(s.Mode, cfg)
	measured.Address, measured.Conns, measured.Warmup, measured.Duration = addr, s.Conns, cfg.Warmup, cfg.Duration
	if s.Mode != Slow {
		return measured, nil
	}
	measured.Conns, measured.Warmup = 1, cfg.SlowSettle+cfg.Warmup
	return measured, &load.Config{
		Address:   addr,
		Mode:      load.Slow,
		Conns:     s.Conns,
		Duration:  cfg.SlowSettle + cfg.Warmup + cfg.Duration + slowHold,
		Size:      cfg.Size,
		SlowBytes: SlowBytes,
	}
}

// loadTraffic is what a series of mode m has load's connections do: load's
// mode, window and rate, with cfg's message size.
func loadTraffic(m Mode, cfg *Config) load.Config {
	job := load.Config{Size: cfg.Size}
	switch m {
	case Stream:
		job.Mode = load.Stream // and no window
	case Window:
		job.Mode, job.Window = load.Stream, cfg.Window
	case Paced:
		job.Mode, job.Rate = load.PingPong, cfg.Rate
	case Slow:
		// The measured connection beside the slow ones (see jobs).
		job.Mode = load.PingPong
	case Idle:
		// load has no mode that sends nothing: pingpong paced at one message
		// per IdleInterval, with each connection's first message spread over
		// that interval, sends none within any run of reasonable length.
		job.Mode, job.Rate = load.PingPong, 1/IdleInterval.Seconds()
	default:
		job.Mode = load.Mode(m)
	}
	return job
}
