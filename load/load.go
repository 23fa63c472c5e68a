// Package load drives many connections at an uppercase echo server and
// measures what it sees: connection set-up, throughput, round-trip latency
// from an HDR histogram, errors by kind, and the generator's own CPU cost.
//
// Run dials Config.Conns connections, runs traffic for Config.Warmup
// (unmeasured) and Config.Duration (measured), drains what is still owed
// and returns a Result; NewTextReporter and NewJSONReporter render it. Every
// byte back is checked against the uppercase of what was sent, and every
// failure is counted by kind in Result.Errors, never dropped.
//
// A run that needs more open files than one process may hold is split over
// worker processes (Config.WorkerCommand, ServeWorker) that start their
// traffic together and whose results Merge adds up exactly, histograms
// included.
//
// In pingpong over loopback TCP about nine tenths of the generator's CPU is
// the kernel's work for one write and one read a message, the same work the
// server does: a generator cannot spend much less per message than the
// server it drives, so compare Result.GeneratorCPUPerMsg with the server's
// before reading a pingpong throughput as the server's.
package load

import (
	"context"
	"fmt"
)

// Run drives the load cfg describes and returns what it measured. It
// returns an error only when the run could not be made (bad configuration,
// a worker that failed); errors seen on connections are counted in the
// Result. Cancelling ctx ends the run early: the Result then covers the
// time measured until then.
//
// A run that needs more open files than this process may hold is split over
// worker processes made by cfg.WorkerCommand.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = (cfg.Conns + ConnsPerProcess(cfg.DialsInFlight) - 1) / ConnsPerProcess(cfg.DialsInFlight)
	}
	if workers > cfg.Conns {
		return nil, fmt.Errorf("load: %d workers for %d connections: each worker needs at least one", workers, cfg.Conns)
	}
	if workers > 1 {
		res, err := runWorkers(ctx, cfg, workers)
		if err != nil {
			return nil, err
		}
		res.Shard = cfg.shard.String()
		return res, nil
	}
	if limit := ConnsPerProcess(cfg.DialsInFlight); cfg.Conns > limit {
		return nil, fmt.Errorf("load: %d connections need more open files than one process may hold (%d connections); use more workers", cfg.Conns, limit)
	}
	res, err := runLocal(ctx, &cfg, nil)
	if err != nil {
		return nil, err
	}
	res.Shard = cfg.shard.String()
	return res, nil
}
