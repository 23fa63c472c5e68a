package load

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// runLocal runs cfg in this process. If barrier is set, it is called once
// every connection is dialed, with the connection figures so far, and
// traffic starts when it returns nil.
func runLocal(ctx context.Context, cfg *Config, barrier func(*Result) error) (*Result, error) {
	r := newRun(cfg)
	var g generator
	var err error
	var slow *slowGenerator
	switch {
	case cfg.Mode == Slow:
		slow = newSlowGenerator(r)
		g = slow
	case cfg.Generator == engine.Gnet:
		g, err = newGnetGenerator(r)
	default:
		g = newGoroutineGenerator(r)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{
		Target:    cfg.target(),
		Mode:      string(cfg.Mode),
		Conns:     cfg.Conns,
		Size:      cfg.Size,
		Rate:      cfg.Rate,
		Window:    cfg.streamWindow(),
		Workers:   1,
		Engine:    string(cfg.Generator),
		Warmup:    cfg.Warmup,
		Errors:    map[string]uint64{},
		Histogram: "",
	}

	d := newDialer(cfg)
	prog := startProgress(cfg, r, d, g)
	defer prog.stop()
	abort := func(err error) (*Result, error) {
		r.phase.Store(phaseDrain) // no connection may start sending now
		g.stop()
		return nil, err
	}

	t0 := time.Now()
	d.dialAll(ctx, g.add)
	res.ConnectTime = time.Since(t0)
	if err := d.fill(res); err != nil {
		return abort(err)
	}
	if barrier != nil {
		if err := barrier(res); err != nil {
			return abort(err)
		}
	}

	plan := planStart(cfg, time.Now())
	if plan.missed {
		return abort(missedError(cfg, res.ConnectTime))
	}
	clocked := !cfg.StartAt.IsZero()
	if clocked {
		r.windowFrom.Store(int64(plan.measureAt.Sub(epoch)))
		r.windowTo.Store(max(int64(plan.endAt.Sub(epoch)), r.windowFrom.Load()+1))
	}
	if d := time.Until(plan.trafficAt); d > 0 {
		prog.enter(PhaseWait, d)
		waitFor(ctx, nil, d)
	}

	r.phase.Store(phaseWarmup)
	prog.enter(PhaseWarmup, plan.measureAt.Sub(plan.trafficAt))
	g.start()
	r.finish() // the driver's own share of live: from now on only connections hold it
	waitFor(ctx, r.finished, time.Until(plan.measureAt))

	r.phase.Store(phaseRun)
	cpu0, m0 := cpuTime(), time.Now()
	started := m0
	if clocked { // the window is the clock's, not this wake-up's
		started = plan.measureAt
		res.Warmup = plan.measureAt.Sub(plan.trafficAt) // less when ready late
	}
	res.setStart(cfg, started, plan.late)
	end := plan.windowEnd(m0, cfg.Duration)
	prog.enter(PhaseRun, end.Sub(m0))
	waitFor(ctx, r.finished, time.Until(end))
	r.phase.Store(phaseDrain)
	window, cpu := time.Since(m0), cpuTime()-cpu0
	if clocked { // ended early if cancelled or every connection finished
		stop := time.Now()
		if stop.After(plan.endAt) {
			stop = plan.endAt
		}
		window = max(stop.Sub(plan.measureAt), 0)
	}

	prog.enter(PhaseDrain, cfg.DrainTimeout)
	g.drain()
	drainWait(r, g, cfg.DrainTimeout, cfg.DrainTimeout+cfg.Timeout)
	if slow != nil {
		res.Slow = slow.result()
	}
	g.stop()

	res.Errors = r.errors.snapshot()
	if err := res.fill(g.tallies(), window, cpu); err != nil {
		return nil, err
	}
	if res.Slow != nil {
		res.BytesSent = res.Slow.WrittenBytes
		res.rates()
	}
	return res, nil
}

// waitFor waits for d, or until ctx is done or done is closed.
func waitFor(ctx context.Context, done <-chan struct{}, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-done:
	}
}

// drainWait waits until every connection has finished, for at most long,
// and ends sooner once a whole stall passes with no message completed.
func drainWait(r *runState, g generator, stall, long time.Duration) {
	end := time.Now().Add(long)
	for last := seenMessages(g); ; {
		waitFor(context.Background(), r.finished, min(stall, time.Until(end)))
		select {
		case <-r.finished:
			return
		default:
		}
		n := seenMessages(g)
		if n == last || !time.Now().Before(end) {
			return
		}
		last = n
	}
}

// startPlan is when a run's traffic and measured window begin and end, on
// the monotonic clock of the time it was planned from.
type startPlan struct {
	trafficAt time.Time // the warm-up starts
	measureAt time.Time // the measured window starts
	endAt     time.Time // the window ends; zero: Duration after it actually started
	late      bool      // not ready in time for Config.StartAt
	missed    bool      // not ready before the window ended: nothing to measure
}

// planStart plans a run whose connections are ready now. Without StartAt,
// traffic starts now. With it, the window starts at StartAt and ends at
// StartAt+Duration whatever happens, so that shards' windows coincide: a run
// ready too late for the whole warm-up warms up for less, and one ready
// after StartAt starts measuring at once, late, without a warm-up. One
// ready only once the window has ended has missed it.
func planStart(cfg *Config, now time.Time) startPlan {
	if cfg.StartAt.IsZero() {
		return startPlan{trafficAt: now, measureAt: now.Add(cfg.Warmup)}
	}
	// StartAt carries no monotonic reading (it came from a flag, or JSON),
	// so this difference is on the wall clock, the clock shards share; the
	// times derived from now are then on now's monotonic clock.
	until := cfg.StartAt.Sub(now)
	p := startPlan{measureAt: now.Add(until), endAt: now.Add(until + cfg.Duration)}
	switch {
	case until >= cfg.Warmup:
		p.trafficAt = p.measureAt.Add(-cfg.Warmup)
	case until > 0:
		p.trafficAt = now
	default:
		p.trafficAt, p.measureAt, p.late = now, now, true
		p.missed = !p.endAt.After(now)
	}
	return p
}

// windowEnd is when a window that started at started ends.
func (p startPlan) windowEnd(started time.Time, d time.Duration) time.Time {
	if p.endAt.IsZero() {
		return started.Add(d)
	}
	return p.endAt
}

// missedError says why a run that missed its window measured nothing:
// connecting took it past Config.StartAt+Duration.
func missedError(cfg *Config, connectTime time.Duration) error {
	return fmt.Errorf("load: connected only after the measured window (start time %s to %s) had ended, so nothing was measured: "+
		"dialling %d connections took %v; set the start time further ahead",
		cfg.StartAt.UTC().Format(time.RFC3339Nano), cfg.StartAt.Add(cfg.Duration).UTC().Format(time.RFC3339Nano),
		cfg.Conns, connectTime.Round(time.Millisecond))
}

// cpuTime is the user and system CPU this process has used so far, every
// thread included: the generator's own cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
