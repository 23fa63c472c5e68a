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

// starveJobs are the load children of starve series s against the server
// at addr (see runStarve): the heavy senders, which report their progress
// and send until stopped (their Duration only bounds them); and the light
// pingpong client over each phase. Over the intake it connects as the
// heavy senders' traffic starts and warms up for StarveLead, and its
// measured time is cut short where the intake ends; after it, it warms up
// and is measured as any series.
func starveJobs(s Series, cfg *Config, addr string) (heavy, intake, after load.Config) {
	heavy = load.Config{
		Address:   addr,
		Mode:      load.Slow,
		Conns:     s.Conns,
		Duration:  StarveLead + starveIntakeLimit + cfg.Warmup + cfg.Duration + slowHold,
		Size:      cfg.Size,
		SlowBytes: SlowBytes,
		Progress:  func(load.Progress) {}, // the child prints it; runStarve reads it
	}
	light := loadTraffic(Starve, cfg)
	light.Address, light.Conns = addr, 1
	intake, after = light, light
	intake.Warmup, intake.Duration = StarveLead, cfg.Duration
	after.Warmup, after.Duration = cfg.Warmup, cfg.Duration
	return heavy, intake, after
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
	case Slow, Starve:
		// The measured connection beside the slow ones (see jobs and
		// starveJobs).
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
