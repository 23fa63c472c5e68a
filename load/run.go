package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
)

// generator drives the connections of one process. Its methods are called in
// order: add for each connection dialed (concurrently), then start once,
// then drain once, then stop once.
type generator interface {
	// add takes over an established connection, the i-th of this process.
	add(c net.Conn, i int) error
	// start begins traffic on every connection added.
	start()
	// drain tells every connection to send nothing more and to finish once
	// it has had back everything it is owed.
	drain()
	// stop counts whatever is still owed as a timeout, closes every
	// connection and returns once the generator has stopped.
	stop()
	// tallies are the measurements, read after stop.
	tallies() []*tally
}

// Phases as run.phase holds them.
const (
	phaseConnect int32 = iota
	phaseWarmup
	phaseRun
	phaseDrain
)

// run is the state one process's generator shares with the driver.
type run struct {
	cfg  *Config
	pay  *payload
	pace pacer
	// chunk is the messages a stream connection without a window writes
	// at once.
	chunk  int
	phase  atomic.Int32
	errors errorCounts

	// live counts connections taken over that have not finished (drained or
	// failed), plus one held by the driver until traffic starts; finished
	// is closed when it reaches zero.
	live     atomic.Int64
	finished chan struct{}
	once     sync.Once

	// windowFrom and windowTo, when windowTo is set (Config.StartAt), are
	// the measured time on now()'s clock. What completes in it is measured
	// whenever the driver wakes to change phase: a generator host short of
	// CPU wakes it late (50-160 ms was seen here under load), and shards'
	// windows must agree as well as their clocks do, not their schedulers.
	windowFrom, windowTo atomic.Int64
}

func newRun(cfg *Config) *run {
	r := &run{
		cfg:      cfg,
		pay:      newPayload(cfg.Size, max(cfg.Window, StreamChunk)),
		pace:     newPacer(cfg.Rate),
		chunk:    max(StreamChunk/cfg.Size, 1),
		finished: make(chan struct{}),
	}
	r.live.Store(1)
	return r
}

// measuring reports whether what completes at at is measured.
func (r *run) measuring(at int64) bool {
	ph := r.phase.Load()
	if to := r.windowTo.Load(); to != 0 {
		return (ph == phaseWarmup || ph == phaseRun) && at >= r.windowFrom.Load() && at < to
	}
	return ph == phaseRun
}

// unwindowed reports whether connections stream without a window.
func (r *run) unwindowed() bool { return r.cfg.Mode == Stream && r.cfg.Window == 0 }

// sending reports whether connections may send new messages.
func (r *run) sending() bool { return r.phase.Load() < phaseDrain }

// finish is called once for each connection taken over, when it has drained
// or failed.
func (r *run) finish() {
	if r.live.Add(-1) == 0 {
		r.once.Do(func() { close(r.finished) })
	}
}

// fail counts an error of the given kind.
func (r *run) fail(kind string) { r.errors.add(kind) }

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

// fdReserve is the descriptors a process keeps for what is not a
// connection: pollers, event fds, pipes, the binary, standard streams.
const fdReserve = 256

// ConnsPerProcess is how many connections one process can hold within its
// open-file limit, leaving room for dialsInFlight dials in flight (the gnet
// generator holds two descriptors of a connection while it takes it over).
func ConnsPerProcess(dialsInFlight int) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<24 {
		return 1 << 20
	}
	return max(int(rl.Cur)-fdReserve-2*dialsInFlight, 1)
}

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
	clocked := !cfg.StartAt.IsZero()
	if clocked {
		r.windowFrom.Store(int64(plan.measureAt.Sub(epoch)))
		r.windowTo.Store(max(int64(plan.endAt.Sub(epoch)), r.windowFrom.Load()+1))
	}
	if d := time.Until(plan.trafficAt); d > 0 {
		prog.enter(PhaseWait, d)
		wait(ctx, nil, d)
	}

	r.phase.Store(phaseWarmup)
	prog.enter(PhaseWarmup, plan.measureAt.Sub(plan.trafficAt))
	g.start()
	r.finish() // the driver's own share of live: from now on only connections hold it
	wait(ctx, r.finished, time.Until(plan.measureAt))

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
	wait(ctx, r.finished, time.Until(end))
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

// wait waits for d, or until ctx is done or done is closed.
func wait(ctx context.Context, done <-chan struct{}, d time.Duration) {
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
func drainWait(r *run, g generator, stall, long time.Duration) {
	seen := func() uint64 {
		var n uint64
		for _, t := range g.tallies() {
			n += t.messagesSeen.Load()
		}
		return n
	}
	end := time.Now().Add(long)
	for last := seen(); ; {
		wait(context.Background(), r.finished, min(stall, time.Until(end)))
		select {
		case <-r.finished:
			return
		default:
		}
		n := seen()
		if n == last || !time.Now().Before(end) {
			return
		}
		last = n
	}
}

// progress calls Config.Progress about five times a second.
type progress struct {
	cfg  *Config
	mu   sync.Mutex
	ph   Phase
	at   time.Time
	long time.Duration
	quit chan struct{}
	done chan struct{}
}

func startProgress(cfg *Config, r *run, d *dialer, g generator) *progress {
	p := &progress{cfg: cfg, ph: PhaseConnect, at: time.Now(), quit: make(chan struct{}), done: make(chan struct{})}
	if cfg.Progress == nil {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
			}
			p.mu.Lock()
			pr := Progress{Phase: p.ph, Conns: cfg.Conns, Elapsed: time.Since(p.at), Total: p.long}
			p.mu.Unlock()
			pr.Connected, pr.Failed = int(d.connected.Load()), int(d.failed.Load())
			if r.phase.Load() > phaseConnect {
				for _, t := range g.tallies() {
					pr.Messages += t.messagesSeen.Load()
				}
			}
			cfg.Progress(pr)
		}
	}()
	return p
}

// enter marks the start of a phase that lasts about long.
func (p *progress) enter(ph Phase, long time.Duration) {
	p.mu.Lock()
	p.ph, p.at, p.long = ph, time.Now(), long
	p.mu.Unlock()
}

func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}
