package compare

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/upcase-gnet/upcase-gnet/load"
)

// IntakeEnd is how a starve series' intake ended: the boundary between its
// two phases, read from the heavy senders' progress lines.
type IntakeEnd struct {
	// At is when the heavy senders last wrote, after their traffic started
	// (on their own clock, to within a progress line, 200 ms).
	At time.Duration `json:"at_ns"`
	// By says how it ended: IntakeAllSent, IntakeStuck or IntakeSendersDone.
	By string `json:"by"`
	// Seen is when it was seen on the same clock: At, plus StarveStall if
	// the senders were stuck. The light client's intake phase ends here.
	Seen time.Duration `json:"seen_ns"`
	// WroteAgain, when set, is when the heavy senders wrote again after
	// the end was seen: a pause longer than StarveStall (the kernel's
	// retransmission back-off under TCP memory pressure, most likely) was
	// read as the end, and the phase after overlaps the intake.
	WroteAgain time.Duration `json:"wrote_again_ns,omitempty"`
}

// How an intake ends (IntakeEnd.By).
const (
	// IntakeAllSent: every heavy sender connected has written all its bytes.
	IntakeAllSent = "all sent"
	// IntakeStuck: the heavy senders wrote nothing for StarveStall, some
	// with bytes left: the server stopped taking them.
	IntakeStuck = "stuck"
	// IntakeSendersDone: the heavy senders' load ended its run first (every
	// connection failed, say).
	IntakeSendersDone = "senders done"
)

// intakeWatch reads the heavy senders' progress lines, one at a time, for
// when their traffic starts and when their intake ends.
type intakeWatch struct {
	stall   time.Duration
	traffic bool
	written uint64
	grewAt  time.Duration // when written last grew, on the senders' clock
	ended   bool
}

// see takes the next progress line. It says whether the traffic has
// started, and, on the line where the intake is first seen over, how it
// ended.
func (w *intakeWatch) see(p load.Progress) (traffic bool, end *IntakeEnd) {
	var at time.Duration // since traffic started: the run phase's elapsed time (no warm-up)
	switch p.Phase {
	case load.PhaseConnect, load.PhaseWait:
		return w.traffic, nil
	case load.PhaseRun:
		at = p.Elapsed
	case load.PhaseDrain:
		at = w.grewAt // its elapsed time is the drain's
	}
	w.traffic = true
	if w.ended {
		return true, nil
	}
	if p.SlowWritten > w.written {
		w.written, w.grewAt = p.SlowWritten, at
	}
	switch {
	case p.Phase == load.PhaseDrain:
		end = &IntakeEnd{At: w.grewAt, By: IntakeSendersDone, Seen: w.grewAt}
	case p.Connected > 0 && p.SlowComplete >= p.Connected:
		end = &IntakeEnd{At: w.grewAt, By: IntakeAllSent, Seen: at}
	case at-w.grewAt >= w.stall:
		end = &IntakeEnd{At: w.grewAt, By: IntakeStuck, Seen: at}
	}
	w.ended = end != nil
	return true, end
}

// runStarve drives starve series s at the server at addr, listening since
// t0. It starts the heavy senders and reads their progress. Once their
// traffic has started it runs the light client over the intake
// (starveJobs), and stops it where the intake is seen over: every heavy
// sender has written all its bytes, or none has written for StarveStall.
// Then it runs the light client again, after the intake, and stops the
// heavy senders once that is done. It fills run's Beside, Intake and
// IntakeEnd, and returns the light client's run after the intake: the
// series' measured load, whose time the server's figures are read over.
//
// The light client's intake phase may thus reach up to StarveStall, plus
// a progress line, past the last byte taken where the senders got stuck;
// where the intake outlasts --duration it is cut there, all of it intake.
func runStarve(ctx context.Context, cfg *Config, s Series, addr string, t0 time.Time, run *Trial) (*loadRun, error) {
	heavyJob, intakeJob, afterJob := starveJobs(s, cfg, addr)
	watch := &intakeWatch{stall: StarveStall}
	traffic := make(chan struct{})
	ended := make(chan IntakeEnd, 1)
	seenTraffic := false
	stopHeavy := make(chan struct{})
	heavyDone := make(chan struct{})
	var heavy *loadRun
	var heavyErr error
	go func() {
		defer close(heavyDone)
		heavy, heavyErr = runLoadWith(ctx, cfg, heavyJob, t0, loadHooks{stop: stopHeavy, progress: func(p load.Progress) {
			started, end := watch.see(p)
			if started && !seenTraffic {
				seenTraffic = true
				close(traffic)
			}
			if end != nil {
				ended <- *end // see reports an end once: never blocks
			}
		}})
	}()
	finish := func(lr *loadRun, err error) (*loadRun, error) {
		close(stopHeavy)
		<-heavyDone
		if heavy != nil {
			run.Beside = heavy.result
			run.progress.beside = append(run.progress.beside, heavy.progress)
		}
		if lr != nil {
			run.progress.client = append(run.progress.client, lr.progress)
		}
		if err == nil && heavyErr != nil {
			err = fmt.Errorf("the heavy senders' load: %w", heavyErr)
		}
		return lr, err
	}

	select {
	case <-traffic:
	case <-heavyDone:
		return finish(nil, fmt.Errorf("the heavy senders' load ended before their traffic started: %v", heavyErr))
	case <-ctx.Done():
		return finish(nil, context.Cause(ctx))
	}

	stopIntake := make(chan struct{})
	intakeDone := make(chan struct{})
	var intake *loadRun
	var intakeErr error
	go func() {
		defer close(intakeDone)
		intake, intakeErr = runLoadWith(ctx, cfg, intakeJob, t0, loadHooks{stop: stopIntake})
	}()
	end, err := awaitIntakeEnd(ctx, ended, heavyDone, intakeDone)
	stoppedEarly := false
	select {
	case <-intakeDone:
	default:
		stoppedEarly = true
	}
	close(stopIntake)
	<-intakeDone
	if intake != nil {
		run.Intake = intake.result
		run.progress.client = append(run.progress.client, intake.progress)
	}
	run.IntakeEnd = end
	switch {
	case err != nil:
		return finish(nil, err)
	case intakeErr != nil && !stoppedEarly:
		// A light client stopped before it had anything to report (the
		// intake was over as it connected) leaves the phase unmeasured;
		// any other failure is the run's.
		return finish(nil, fmt.Errorf("the light client's load over the intake: %w", intakeErr))
	}

	lr, err := runLoad(ctx, cfg, afterJob, t0)
	lr, err = finish(lr, err)
	if b := run.Beside; err == nil && b != nil && b.Slow != nil && b.Slow.LastWrite > end.Seen {
		// A pause longer than StarveStall read as the end: the phase after
		// the intake was not all after it. Said, not failed: the pause is
		// the kernel's, and the phases' figures still stand as measured.
		run.IntakeEnd.WroteAgain = b.Slow.LastWrite
	}
	return lr, err
}

// awaitIntakeEnd waits for the heavy senders' intake to end, as ended says,
// while the light client's intake load runs (intakeDone) and after. The
// heavy senders' load ending first, starveIntakeLimit passing or ctx
// ending is an error.
func awaitIntakeEnd(ctx context.Context, ended <-chan IntakeEnd, heavyDone, intakeDone <-chan struct{}) (*IntakeEnd, error) {
	limit := time.NewTimer(starveIntakeLimit)
	defer limit.Stop()
	for {
		select {
		case e := <-ended:
			return &e, nil
		case <-intakeDone:
			intakeDone = nil // its window was over first: wait on for the end
		case <-heavyDone:
			// Its last progress line, sent before it ended, may be the end.
			select {
			case e := <-ended:
				return &e, nil
			default:
			}
			return nil, errors.New("the heavy senders' load ended before their intake did")
		case <-limit.C:
			return nil, fmt.Errorf("the heavy senders' intake went on past %v", starveIntakeLimit)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
