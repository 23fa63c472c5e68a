package load

import (
	"fmt"
	"time"
)

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
