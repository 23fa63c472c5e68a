// Package compare runs the same load series against both server engines and
// puts them side by side.
//
// Each engine's server runs as a child process of its own (this module's
// binary, `serve --quiet --port 0`), and so does the load generator (`load
// --json`), so that the server's memory and CPU, sampled from /proc while it
// runs, are the server's alone. Engines run alternately, A B A B, for a number
// of rounds, and the report quotes the median of each measure and the median
// of the per-round ratios.
//
// The package never prints by itself: Run reports progress through
// Config.Log and returns a Report; WriteTable, WriteJSON and WriteChart
// render it.
package compare

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// Defaults used where a Config field is zero.
const (
	// DefaultDuration is the measured time of one series on one engine:
	// long enough for a steady rate on a noisy machine, short enough that
	// the default series on both engines take under three minutes.
	DefaultDuration = 5 * time.Second
	// DefaultWarmup is the traffic before the measured time.
	DefaultWarmup = time.Second
	// DefaultRepeat is the number of rounds.
	DefaultRepeat = 1
	// DefaultSize is the bytes per message: the original's 16-byte
	// "capitalize this!".
	DefaultSize = 16
	// DefaultRate is a paced series' messages a second per connection.
	DefaultRate = 3
	// DefaultWindow is a window series' bytes in flight per connection:
	// load's window before it had a saturating stream.
	DefaultWindow = 64 << 10
	// DefaultHost is where the servers listen.
	DefaultHost = "127.0.0.1"
	// DefaultServerCPUs and DefaultLoadCPUs are the CPU lists (taskset -c)
	// of the server and the generator when pinning.
	DefaultServerCPUs = "0"
	DefaultLoadCPUs   = "1"
	// DefaultSampleEvery is how often a server's memory and CPU are read.
	DefaultSampleEvery = 25 * time.Millisecond
	// DefaultStartTimeout bounds the wait for a server's "Listening at".
	DefaultStartTimeout = 10 * time.Second
	// DefaultStopTimeout bounds a child's graceful stop before it is
	// killed.
	DefaultStopTimeout = 10 * time.Second
	// DefaultLoadSlack is how much longer than its warm-up and measured
	// time a load child may take (connecting, draining) before it is
	// stopped.
	DefaultLoadSlack = 60 * time.Second
	// IdleInterval is the pace of an idle series' connections: one
	// message per connection per this long, far beyond any run.
	IdleInterval = 1e9 * time.Second
)

// DefaultEngines are the engines compared, in the order they run and in the
// order of the ratio (first / second).
var DefaultEngines = []string{"gnet", "goroutine"}

// Config configures a comparison. The zero value runs DefaultSeries once on
// both engines, unpinned, with the running executable as the binary.
type Config struct {
	// Binary is the upcase-gnet executable that serves and loads; empty
	// means this process's own executable.
	Binary string
	// Engines are the two engines compared, in run order; the ratio is the
	// first over the second. Empty means DefaultEngines.
	Engines []string
	// Series are the series run, in order; empty means DefaultSeries.
	Series []Series
	// Repeat is the number of rounds; 0 means DefaultRepeat.
	Repeat int
	// Duration is the measured time of one run; 0 means DefaultDuration.
	Duration time.Duration
	// Warmup is the traffic before it; 0 means DefaultWarmup, negative none.
	Warmup time.Duration
	// Size is the bytes per message; 0 means DefaultSize.
	Size int
	// Rate is a paced series' messages a second per connection; 0 means
	// DefaultRate.
	Rate float64
	// Window is a window series' bytes in flight per connection; 0 means
	// DefaultWindow.
	Window int
	// SlowSettle is how long a slow series' slow connections send before
	// the measured connection's warm-up; 0 means DefaultSlowSettle.
	SlowSettle time.Duration
	// Host is the address the servers listen on; empty means DefaultHost.
	Host string
	// Pin runs the server under `taskset -c ServerCPUs` and the generator
	// under `taskset -c LoadCPUs`, so that they do not share a core.
	Pin bool
	// ServerCPUs and LoadCPUs are taskset CPU lists; empty means
	// DefaultServerCPUs and DefaultLoadCPUs.
	ServerCPUs, LoadCPUs string
	// Taskset is the taskset executable; empty means the one in PATH.
	Taskset string
	// ServerArgs are passed on to every `serve` (for example
	// --read-size 65536); LoadArgs to every `load`.
	ServerArgs, LoadArgs []string
	// SampleEvery is how often a server's memory and CPU are read; 0 means
	// DefaultSampleEvery.
	SampleEvery time.Duration
	// StartTimeout, StopTimeout and LoadSlack bound the children; 0 means
	// their defaults.
	StartTimeout, StopTimeout, LoadSlack time.Duration
	// Log, if set, gets one line per run as the comparison goes.
	Log io.Writer
}

// withDefaults fills in the zero fields of cfg, or says what cannot work.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("compare: finding this executable: %w", err)
		}
		cfg.Binary = exe
	}
	if len(cfg.Engines) == 0 {
		cfg.Engines = DefaultEngines
	}
	if len(cfg.Engines) != 2 {
		return cfg, fmt.Errorf("compare: want two engines, got %d", len(cfg.Engines))
	}
	if len(cfg.Series) == 0 {
		cfg.Series = DefaultSeries
	}
	for _, s := range cfg.Series {
		if _, err := parseOne(s.Name()); err != nil {
			return cfg, err
		}
	}
	cfg.Repeat = or(cfg.Repeat, DefaultRepeat)
	cfg.Duration = or(cfg.Duration, DefaultDuration)
	switch {
	case cfg.Warmup == 0:
		cfg.Warmup = DefaultWarmup
	case cfg.Warmup < 0:
		cfg.Warmup = 0
	}
	cfg.Size = or(cfg.Size, DefaultSize)
	cfg.Rate = or(cfg.Rate, DefaultRate)
	cfg.Window = or(cfg.Window, DefaultWindow)
	cfg.SlowSettle = or(cfg.SlowSettle, DefaultSlowSettle)
	if cfg.Repeat < 0 || cfg.Duration < 0 || cfg.Size < 0 || cfg.Window < 0 || cfg.SlowSettle < 0 {
		return cfg, fmt.Errorf("compare: repeat, duration, size, window and slow settle must be positive")
	}
	if !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 0) {
		return cfg, fmt.Errorf("compare: rate must be a positive number of messages a second, got %v", cfg.Rate)
	}
	cfg.Host = or(cfg.Host, DefaultHost)
	cfg.ServerCPUs = or(cfg.ServerCPUs, DefaultServerCPUs)
	cfg.LoadCPUs = or(cfg.LoadCPUs, DefaultLoadCPUs)
	if cfg.Pin {
		name := or(cfg.Taskset, "taskset")
		path, err := exec.LookPath(name)
		if err != nil {
			return cfg, fmt.Errorf("compare: pinning needs taskset (from util-linux): %w", err)
		}
		cfg.Taskset = path
	}
	cfg.SampleEvery = or(cfg.SampleEvery, DefaultSampleEvery)
	cfg.StartTimeout = or(cfg.StartTimeout, DefaultStartTimeout)
	cfg.StopTimeout = or(cfg.StopTimeout, DefaultStopTimeout)
	cfg.LoadSlack = or(cfg.LoadSlack, DefaultLoadSlack)
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return cfg, nil
}

// or is v, or def where v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Report is everything a comparison measured, raw runs and their summary.
type Report struct {
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Settings Settings      `json:"settings"`
	Trials   []Trial       `json:"trials"`
	// Summary is Summarize(Trials, Settings.Engines).
	Summary []SeriesSummary `json:"summary"`
}

// Settings is what a comparison ran with, as recorded in its Report.
type Settings struct {
	Engines    []string      `json:"engines"`
	Series     []Series      `json:"series"`
	Repeat     int           `json:"repeat"`
	Duration   time.Duration `json:"duration_ns"`
	Warmup     time.Duration `json:"warmup_ns"`
	Size       int           `json:"size_bytes"` // per message
	Rate       float64       `json:"rate_per_s"` // paced series, per connection
	Window     int           `json:"window_bytes"`
	SlowBytes  int           `json:"slow_bytes"` // each slow connection sends
	SlowSettle time.Duration `json:"slow_settle_ns"`
	Pin        bool          `json:"pin"`
	ServerCPUs string        `json:"server_cpus,omitempty"`
	LoadCPUs   string        `json:"load_cpus,omitempty"`
	ServerArgs []string      `json:"server_args,omitempty"`
	LoadArgs   []string      `json:"load_args,omitempty"`
	CPUs       int           `json:"cpus"` // CPUs this machine has
	OS         string        `json:"os"`   // GOOS/GOARCH
}

// Trial is one series on one engine in one round.
type Trial struct {
	Series Series       `json:"series"`
	Engine string       `json:"engine"`
	Round  int          `json:"round"` // from 1
	Server ServerStats  `json:"server"`
	Load   *load.Result `json:"load"` // nil if the load failed
	// Beside is the load run beside the measured one: a slow series' slow
	// connections; nil in other series.
	Beside *load.Result `json:"beside,omitempty"`
	// Generator is the load child process, sampled like the server.
	Generator GeneratorStats `json:"generator"`
	// Kernel is the kernel's socket memory during the run.
	Kernel KernelStats `json:"kernel"`
	// Error says why the run did not measure what it should: the load
	// failed, or the server died during it. Empty for a good run.
	Error string `json:"error,omitempty"`
}

// ServerStats is what was sampled of a server process during one run.
type ServerStats struct {
	PID int `json:"pid"`
	// Sampled says whether memory and CPU could be read (Linux only).
	Sampled bool `json:"sampled"`
	// BaselineRSS is the resident set right after start, before any load.
	BaselineRSS int64 `json:"baseline_rss_bytes"`
	// PeakRSS is the highest resident set up to the end of the load.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// CPU is the server's CPU time within the load's measured time,
	// interpolated between samples. The load does not say when its
	// measured time started; WindowFrom is where it was found, and
	// WindowBy how (see locateWindow).
	CPU        time.Duration `json:"cpu_ns"`
	WindowFrom time.Duration `json:"window_from_ns"` // on the samples' clock
	WindowBy   string        `json:"window_by"`
	// CPUAll is the server's CPU time from the load's start to its end,
	// connecting and draining included.
	CPUAll time.Duration `json:"cpu_all_ns"`
	// Samples are the readings, the first one the baseline.
	Samples []Sample `json:"samples,omitempty"`
	// Exit is how the server ended when stopped, if not cleanly.
	Exit string `json:"exit,omitempty"`
}

// GeneratorStats is what was sampled of the load child process.
type GeneratorStats struct {
	PID     int      `json:"pid"`
	Samples []Sample `json:"samples,omitempty"` // on the server's clock
}

// Sample is one reading of a server or generator process.
type Sample struct {
	At  time.Duration `json:"at_ns"`     // since the server said it was listening
	RSS int64         `json:"rss_bytes"` // resident set
	CPU time.Duration `json:"cpu_ns"`    // user+system since the process started
}

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
	for _, s := range cfg.Series {
		for round := 1; round <= cfg.Repeat; round++ {
			for _, engine := range cfg.Engines {
				run, err := runOne(ctx, &cfg, s, engine, round)
				if err != nil {
					return rep, err
				}
				rep.Trials = append(rep.Trials, *run)
				logTrial(cfg.Log, &cfg, run)
				if run.Error != "" {
					failed++
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("%s on %s: %s", s, engine, run.Error)
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

// runOne starts engine's server, drives series s at it and stops it. Its
// error ends the comparison; what goes wrong within the run is in
// Trial.Error.
func runOne(ctx context.Context, cfg *Config, s Series, engine string, round int) (*Trial, error) {
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, cfg, engine)
	if err != nil {
		return nil, err
	}
	defer srv.stop(cfg.StopTimeout)
	run := &Trial{Series: s, Engine: engine, Round: round}
	run.Server.PID = srv.cmd.Process.Pid

	smp := startSampler(run.Server.PID, srv.started, cfg.SampleEvery)
	ksmp := startKernelSampler(portOf(srv.addr), srv.started, DefaultKernelEvery)
	job, beside := s.jobs(cfg)
	besideDone := make(chan error, 1)
	if beside != nil {
		go func() {
			blr, err := runLoad(ctx, cfg, srv.addr, *beside, srv.started)
			if blr != nil {
				run.Beside = blr.result
			}
			besideDone <- err
		}()
	}
	lr, loadErr := runLoad(ctx, cfg, srv.addr, job, srv.started)
	if beside != nil {
		if err := <-besideDone; err != nil && loadErr == nil {
			loadErr = fmt.Errorf("the slow connections' load: %w", err)
		}
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
	return run, nil
}

// fill derives the run's server figures from its samples.
func (st *ServerStats) fill(samples []Sample, peak int64, ok bool, started time.Time, lr *loadRun) {
	st.Samples = samples
	if !ok || len(samples) == 0 {
		return
	}
	st.Sampled = true
	st.BaselineRSS = samples[0].RSS
	st.PeakRSS = peak
	for _, s := range samples {
		st.PeakRSS = max(st.PeakRSS, s.RSS)
	}
	st.CPUAll = samples[len(samples)-1].CPU - samples[0].CPU
	if lr == nil || lr.result == nil {
		return
	}
	res := lr.result
	guess := lr.started.Sub(started) + res.ConnectTime + res.Warmup
	st.WindowFrom, st.WindowBy = guess, "load start (unchecked)"
	if res.Workers <= 1 {
		st.WindowFrom, st.WindowBy = locateWindow(lr.samples, res.Duration, res.GeneratorCPU, guess)
	}
	st.CPU = cpuAt(samples, st.WindowFrom+res.Duration) - cpuAt(samples, st.WindowFrom)
}

// locateWindow finds where a load's measured time of length d began, on the
// clock of gen, the samples of the generator process. The guess is when the
// load child started plus its connect and warm-up times; it stands if the
// generator's CPU over [guess, guess+d] matches want, the CPU the generator
// measured itself over its measured time. Otherwise the window is where
// gen's CPU over d comes closest to want (the latest of equals, as the
// warm-up comes first). It returns the guess unchecked if the samples
// cannot tell (too little CPU, too few samples, nothing close).
//
// Why not the guess alone: on a busy machine a new process may wait
// seconds before it runs (seen here: 7 s), and the server's CPU would then
// be read over time the load was not yet driving it. Within the warm-up and
// the measured time the generator's CPU rises at a steady rate, so a window
// found a little early or late still measures the same steady state.
func locateWindow(gen []Sample, d, want, guess time.Duration) (time.Duration, string) {
	tick := time.Second / time.Duration(clockTicks)
	if len(gen) < 2 || want < 20*tick || gen[len(gen)-1].At-gen[0].At < d {
		return guess, "load start (unchecked)"
	}
	tolerance := max(want*3/100, 3*tick)
	offBy := func(t time.Duration) time.Duration {
		off := cpuAt(gen, t+d) - cpuAt(gen, t) - want
		return max(off, -off)
	}
	if offBy(guess) <= tolerance {
		return guess, "load start (checked by generator CPU)"
	}
	const step = 5 * time.Millisecond
	best, bestOff := time.Duration(-1), time.Duration(math.MaxInt64)
	for t := gen[0].At; t+d <= gen[len(gen)-1].At; t += step {
		if off := offBy(t); off <= bestOff {
			best, bestOff = t, off
		}
	}
	if best < 0 || bestOff > tolerance {
		return guess, "load start (unchecked)"
	}
	return best, "generator CPU"
}

// cpuAt is the CPU time at t, interpolated between the samples around it
// (the first or last sample's outside them).
func cpuAt(samples []Sample, t time.Duration) time.Duration {
	if t <= samples[0].At {
		return samples[0].CPU
	}
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if t <= b.At {
			if b.At == a.At {
				return b.CPU
			}
			f := float64(t-a.At) / float64(b.At-a.At)
			return a.CPU + time.Duration(f*float64(b.CPU-a.CPU))
		}
	}
	return samples[len(samples)-1].CPU
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
	if r.Series.Mode != Idle {
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
