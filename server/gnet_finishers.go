package server

import (
	"os"
	"sync"
	"time"
)

// finishers tracks the running finishers by their sockets, so that a stop
// can bound them by the drain deadline and wait for them.
type finishers struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	running map[*os.File]struct{}
	stopBy  time.Time // zero until the server stops
}

func (fs *finishers) start(f *os.File, run func()) {
	fs.mu.Lock()
	if fs.running == nil {
		fs.running = make(map[*os.File]struct{})
	}
	fs.running[f] = struct{}{}
	fs.wg.Add(1)
	fs.mu.Unlock()
	go func() {
		defer fs.wg.Done()
		run()
		fs.mu.Lock()
		delete(fs.running, f)
		fs.mu.Unlock()
	}()
}

// setDeadline sets d (zero: none), or the stop's earlier deadline, under the
// lock stop holds: a deadline set just after a stop would undo its bound.
func (fs *finishers) setDeadline(set func(time.Time) error, d time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() && (d.IsZero() || fs.stopBy.Before(d)) {
		d = fs.stopBy
	}
	_ = set(d)
}

// stop bounds every running and future finisher by the drain deadline; of
// two stops (asked, and gnet stopping by itself), the earlier bound holds.
func (fs *finishers) stop(by time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() && fs.stopBy.Before(by) {
		return
	}
	fs.stopBy = by
	for f := range fs.running {
		_ = f.SetDeadline(by)
	}
}

func (fs *finishers) stopped() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return !fs.stopBy.IsZero()
}

// drainBy is when the stop's drain ends, drain from now if none bounds them yet.
func (fs *finishers) drainBy(drain time.Duration) time.Time {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.stopBy.IsZero() {
		return fs.stopBy
	}
	return time.Now().Add(drain)
}

func (fs *finishers) wait() { fs.wg.Wait() }
