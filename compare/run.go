package compare

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// Run runs every series on both engines, Repeat rounds, and returns the
// report. A server that does not start, or a cancelled ctx, ends the
// comparison with an error (and the report so far). A run that fails on its
// own (the load fails, the server dies during it) is recorded in its Trial and
// the comparison goes on; Run then returns the full report and an error that
// counts the failed runs.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Started: time.Now(),
		Settings: Settings{
			Engines: cfg.Engines, Series: cfg.Series, Repeat: cfg.Repeat,
			Duration: cfg.Duration, Warmup: cfg.Warmup, Size: cfg.Size, Pin: cfg.Pin,
			Rate: cfg.Rate, Window: cfg.Window, SlowBytes: SlowBytes, SlowSettle: cfg.SlowSettle,
			StarveLead: StarveLead, StarveStall: StarveStall,
			ServerArgs: cfg.ServerArgs, LoadArgs: cfg.LoadArgs,
			CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		},
	}
	if cfg.Pin {
		rep.Settings.ServerCPUs, rep.Settings.LoadCPUs = cfg.ServerCPUs, cfg.LoadCPUs
	}
	defer func() {
		rep.Elapsed = time.Since(rep.Started)
		rep.Summary = Summarize(rep.Trials, cfg.Engines)
	}()
	failed, firstFailure := 0, ""
	runs, n := len(cfg.Series)*cfg.Repeat*len(cfg.Engines), 0
	for _, s := range cfg.Series {
		for round := 1; round <= cfg.Repeat; round++ {
			for _, eng := range cfg.Engines {
				n++
				stop := reportRun(&cfg, Progress{Series: s, Engine: eng, Round: round, Run: n, Runs: runs, Expected: expected(s, &cfg)})
				run, err := runOne(ctx, &cfg, s, eng, round)
				stop()
				if err != nil {
					return rep, err
				}
				rep.Trials = append(rep.Trials, *run)
				logTrial(cfg.Log, &cfg, run)
				if run.Error != "" {
					failed++
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("%s on %s: %s", s, eng, run.Error)
					}
				}
			}
		}
	}
	if failed > 0 {
		return rep, fmt.Errorf("compare: %d of %d runs failed; the first, %s", failed, len(rep.Trials), firstFailure)
	}
	return rep, nil
}

// runOne starts eng's server, drives series s at it and stops it. Its
// error ends the comparison; what goes wrong within the run is in
// Trial.Error.
func runOne(ctx context.Context, cfg *Config, s Series, eng engine.Name, round int) (*Trial, error) {
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, cfg, eng)
	if err != nil {
		return nil, err
	}
	defer srv.stop(cfg.StopTimeout)
	run := &Trial{Series: s, Engine: eng, Round: round}
	run.Server.PID = srv.cmd.Process.Pid

	smp := startSampler(run.Server.PID, srv.started, cfg.SampleEvery)
	ksmp := startKernelSampler(portOf(srv.addr), srv.started, DefaultKernelEvery)
	var lr *loadRun
	var loadErr error
	if s.Mode == Starve {
		lr, loadErr = runStarve(ctx, cfg, s, srv.addr, srv.started, run)
	} else {
		lr, loadErr = runLoads(ctx, cfg, s, srv.addr, srv.started, run)
	}
	samples, peak, sampleErr := smp.stop()
	ksamples, kernelErr := ksmp.stop()
	diedEarly := !srv.running()
	if exit := srv.stop(cfg.StopTimeout); exit != nil {
		run.Server.Exit = exit.Error()
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	switch {
	case diedEarly:
		run.Error = "the server exited during the run: " + run.Server.Exit
	case loadErr != nil:
		run.Error = loadErr.Error()
	}
	if lr != nil {
		run.Load = lr.result
		run.Generator = GeneratorStats{PID: lr.pid, Samples: lr.samples}
	}
	run.Server.fill(samples, peak, sampleErr == nil, srv.started, lr)
	from, to := time.Duration(0), time.Duration(math.MaxInt64)
	if lr != nil && lr.result != nil {
		from, to = run.Server.WindowFrom, run.Server.WindowFrom+lr.result.Duration
	}
	run.Kernel.fill(ksamples, kernelErr, from, to)
	run.Timeline = makeTimeline(samples, run.progress, run.IntakeEnd)
	return run, nil
}

// runLoads runs series s's load children (jobs) at the server at addr,
// listening since t0: the measured one, and the one beside it if any, whose
// result goes in run.Beside. It returns the measured one's run.
func runLoads(ctx context.Context, cfg *Config, s Series, addr string, t0 time.Time, run *Trial) (*loadRun, error) {
	job, beside := jobs(s, cfg, addr)
	besideDone := make(chan error, 1)
	if beside != nil {
		go func() {
			blr, err := runLoad(ctx, cfg, *beside, t0)
			if blr != nil {
				run.Beside = blr.result
				run.progress.beside = append(run.progress.beside, blr.progress)
			}
			besideDone <- err
		}()
	}
	lr, loadErr := runLoad(ctx, cfg, job, t0)
	if beside != nil {
		if err := <-besideDone; err != nil && loadErr == nil {
			loadErr = fmt.Errorf("the slow connections' load: %w", err)
		}
	}
	if lr != nil {
		run.progress.client = append(run.progress.client, lr.progress)
	}
	return lr, loadErr
}

// logTrial writes one line about a finished run.
func logTrial(w io.Writer, cfg *Config, r *Trial) {
	head := fmt.Sprintf("compare: %-15s %-9s round %d/%d:", r.Series, r.Engine, r.Round, cfg.Repeat)
	if r.Error != "" {
		fmt.Fprintln(w, head, "FAILED:", r.Error)
		return
	}
	m := measure(r)
	line := head
	switch r.Series.Mode {
	case Idle:
	case Starve:
		for _, ph := range []struct{ name, msgs, p99 string }{{"intake", keyIntakeMsgs, keyIntakeP99}, {"after", keyAfterMsgs, keyAfterP99}} {
			if m[ph.msgs].ok {
				line += fmt.Sprintf(" %s %s msg/s, p99 %s µs,", ph.name, human(m[ph.msgs].v), human(m[ph.p99].v))
			} else {
				line += fmt.Sprintf(" %s not measured,", ph.name)
			}
		}
		if e := r.IntakeEnd; e != nil {
			line += fmt.Sprintf(" intake %s at %.1fs,", e.By, e.At.Seconds())
		}
	default:
		line += fmt.Sprintf(" %s msg/s, %s MB/s, p99 %s µs,", human(m[keyMsgs].v), human(m[keyMB].v), human(m[keyP99].v))
	}
	if r.Server.Sampled {
		line += fmt.Sprintf(" server RSS %s MiB, %s KiB/conn,", human(m[keyRSS].v), human(m[keyRSSConn].v))
	}
	if v := m[keyTCPConn]; v.ok {
		line += fmt.Sprintf(" kernel TCP %s KiB/conn,", human(v.v))
	}
	line += fmt.Sprintf(" errors %d", int64(m[keyErrors].v))
	fmt.Fprintln(w, line)
}
