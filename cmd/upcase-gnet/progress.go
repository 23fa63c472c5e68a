package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// How the commands show progress: on a terminal a bar (load, compare) or a
// line rewritten with "\r" (serve, client, as the original does); anywhere
// else whole lines, one every plainEvery, since "\r" lines written to a
// file or a pipe run together.

// plainEvery is how often a progress line is written where the output is
// not a terminal: the client's pace, for every command.
const plainEvery = client.PlainEvery

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// plainLines writes a line at most every plainEvery, the first one
// plainEvery after it was made: a short run says nothing.
type plainLines struct {
	w     io.Writer
	every time.Duration

	mu   sync.Mutex
	last time.Time
}

func newPlainLines(w io.Writer) *plainLines {
	return &plainLines{w: w, every: plainEvery, last: time.Now()}
}

// line writes the line format makes unless one was written less than every
// ago; force writes it anyway.
func (p *plainLines) line(force bool, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); force || now.Sub(p.last) >= p.every {
		p.last = now
		fmt.Fprintf(p.w, format+"\n", args...)
	}
}

// restart counts the pace from at, as if a line had been written then.
func (p *plainLines) restart(at time.Time) {
	p.mu.Lock()
	p.last = at
	p.mu.Unlock()
}

// loadLines shows a load's progress as plain lines, each starting "load:",
// or "load 1/4:" for a shard, as shards often share one terminal.
type loadLines struct {
	*plainLines
	who string
}

func newLoadLines(w io.Writer, shard load.Shard) loadLines {
	who := "load"
	if !shard.IsZero() {
		who += " " + shard.String()
	}
	return loadLines{newPlainLines(w), who}
}

func (l loadLines) show(p load.Progress) {
	switch p.Phase {
	case load.PhaseConnect:
		l.line(false, "%s: connecting: %d of %d connected, %d failed", l.who, p.Connected, p.Conns, p.Failed)
	case load.PhaseWait:
		l.line(false, "%s: waiting for --start-at: %s of %s", l.who, secs(p.Elapsed), secs(p.Total))
	case load.PhaseWarmup:
		l.line(false, "%s: warm-up %s of %s: %d messages", l.who, secs(p.Elapsed), secs(p.Total), p.Messages)
	case load.PhaseRun:
		l.line(false, "%s: measured %s of %s: %d messages", l.who, secs(p.Elapsed), secs(p.Total), p.Measured)
	}
}

// secs is d in whole seconds past ten, else to a tenth.
func secs(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// loadBar shows a run's progress on a terminal: one bar while connecting,
// one for the warm-up and one for the measured time; none while draining.
type loadBar struct {
	w     io.Writer
	phase load.Phase
	bar   *progressbar.ProgressBar
}

func (b *loadBar) show(p load.Progress) {
	if p.Phase != b.phase {
		b.close()
		b.phase = p.Phase
		switch p.Phase {
		case load.PhaseConnect:
			b.bar = newBar(b.w, int64(p.Conns), "connecting")
		case load.PhaseWait, load.PhaseWarmup, load.PhaseRun:
			b.bar = newBar(b.w, max(p.Total.Milliseconds(), 1), string(p.Phase))
		}
	}
	if b.bar == nil {
		return
	}
	switch p.Phase {
	case load.PhaseConnect:
		b.bar.Describe(fmt.Sprintf("connecting (%d failed)", p.Failed))
		_ = b.bar.Set(p.Connected + p.Failed)
	case load.PhaseWait:
		b.bar.Describe("waiting for --start-at")
		_ = b.bar.Set64(min(p.Elapsed.Milliseconds(), p.Total.Milliseconds()))
	case load.PhaseWarmup:
		b.bar.Describe(fmt.Sprintf("warmup  %d messages", p.Messages))
		_ = b.bar.Set64(min(p.Elapsed.Milliseconds(), p.Total.Milliseconds()))
	case load.PhaseRun:
		// The measured time's own messages: the warm-up's are not in the
		// result.
		b.bar.Describe(fmt.Sprintf("run     %d messages", p.Measured))
		_ = b.bar.Set64(min(p.Elapsed.Milliseconds(), p.Total.Milliseconds()))
	}
}

// close clears the bar, so that the report starts on a clean line.
func (b *loadBar) close() {
	if b.bar != nil {
		_ = b.bar.Clear()
		b.bar = nil
	}
}

func newBar(w io.Writer, max int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// compareProgress shows the run compare has under way: a bar of its time
// on a terminal, else a line every plainEvery. It is also compare's Log,
// so that a finished run's line never lands inside the bar.
type compareProgress struct {
	w     io.Writer
	plain *plainLines // nil on a terminal

	mu  sync.Mutex
	run int
	bar *progressbar.ProgressBar
}

func newCompareProgress(w io.Writer) *compareProgress {
	cp := &compareProgress{w: w}
	if !terminal(w) {
		cp.plain = newPlainLines(w)
	}
	return cp
}

func (cp *compareProgress) show(p compare.Progress) {
	what := fmt.Sprintf("%s %s round %d (run %d of %d)", p.Series, p.Engine, p.Round, p.Run, p.Runs)
	cp.mu.Lock()
	defer cp.mu.Unlock()
	newRun := p.Run != cp.run
	cp.run = p.Run
	if cp.plain != nil {
		if newRun { // each run's first line plainEvery into it
			cp.plain.restart(time.Now().Add(-p.Elapsed))
		}
		cp.plain.line(false, "compare: %s: %s of about %s", what, secs(p.Elapsed), secs(p.Expected))
		return
	}
	if newRun {
		cp.clear()
		cp.bar = newBar(cp.w, max(p.Expected.Milliseconds(), 1), what)
	}
	// A run may outlast what was expected of it (connecting, a starve
	// series' intake): the bar then waits short of its end.
	_ = cp.bar.Set64(min(p.Elapsed.Milliseconds(), p.Expected.Milliseconds()-1))
}

// Write writes compare's line about a finished run, the bar cleared first.
func (cp *compareProgress) Write(b []byte) (int, error) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.clear()
	return cp.w.Write(b)
}

func (cp *compareProgress) clear() {
	if cp.bar != nil {
		_ = cp.bar.Clear()
		cp.bar = nil
	}
}
